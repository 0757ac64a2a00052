"""Every check of the package, in the order of the notebooks (CHECKS), which of them are worth extra
credit (EXTRA_CREDIT) and which test code students are given (PROVIDED)."""
from __future__ import annotations

from .char_checks import char_checks
from .comparisons import Check
from .layer_checks import backward_check, forward_check, softmax_loss_check
from .model_checks import model_gradient_check, model_loss_check, model_sample_check

STEP = ("x", "prev_h", "Wx", "Wh", "b")              # inputs of rnn_step_forward, gru_step_forward
SEQUENCE = ("x", "h0", "Wx", "Wh", "b")              # inputs of rnn_forward, lstm_forward, ...
LSTM_STEP = ("x", "prev_h", "prev_c", "Wx", "Wh", "b")
STEP_GRADS = ("dx", "dprev_h", "dWx", "dWh", "db")
SEQUENCE_GRADS = ("dx", "dh0", "dWx", "dWh", "db")


def _recurrent_checks(cell: str) -> list[Check]:
    """The step and sequence functions of a cell with one hidden state (rnn, gru)."""
    step, sequence = f"{cell}_step_forward", f"{cell}_forward"
    return [
        forward_check(step, args=STEP, outputs=("next_h",)),
        backward_check(f"{cell}_step_backward", forward=step, args=STEP, outputs=("next_h",),
                       upstream=("dnext_h",), grads=STEP_GRADS, after=(step,)),
        forward_check(sequence, args=SEQUENCE, outputs=("h",), after=(step,)),
        backward_check(f"{cell}_backward", forward=sequence, args=SEQUENCE, outputs=("h",),
                       upstream=("dh",), grads=SEQUENCE_GRADS,
                       after=(sequence, f"{cell}_step_backward")),
    ]


def _lstm_checks() -> list[Check]:
    """The LSTM's step and sequence functions (two states: h and c)."""
    return [
        forward_check("lstm_step_forward", args=LSTM_STEP, outputs=("next_h", "next_c")),
        backward_check("lstm_step_backward", forward="lstm_step_forward", args=LSTM_STEP,
                       outputs=("next_h", "next_c"), upstream=("dnext_h", "dnext_c"),
                       grads=("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
                       after=("lstm_step_forward",)),
        forward_check("lstm_forward", args=SEQUENCE, outputs=("h",), after=("lstm_step_forward",)),
        backward_check("lstm_backward", forward="lstm_forward", args=SEQUENCE, outputs=("h",),
                       upstream=("dh",), grads=SEQUENCE_GRADS,
                       after=("lstm_forward", "lstm_step_backward")),
    ]


def _model_checks(cell: str) -> list[Check]:
    """The captioning model with a cell type: its loss, its gradients and its sampled captions."""
    parts = ("word_embedding_forward", "word_embedding_backward", f"{cell}_forward",
             f"{cell}_backward", "temporal_softmax_loss")
    return [model_loss_check(cell, after=parts), model_gradient_check(cell, after=parts),
            model_sample_check(cell, after=(f"{cell}_step_forward",))]


def _word_checks() -> list[Check]:
    """Word embedding, the provided temporal affine layer and the temporal softmax loss."""
    return [
        forward_check("word_embedding_forward", args=("x", "W"), outputs=("out",)),
        backward_check("word_embedding_backward", forward="word_embedding_forward",
                       args=("x", "W"), outputs=("out",), upstream=("dout",), grads=("dW",),
                       wrt=("W",), after=("word_embedding_forward",)),
        forward_check("temporal_affine_forward", args=("x", "w", "b"), outputs=("out",),
                      provided=True),
        backward_check("temporal_affine_backward", forward="temporal_affine_forward",
                       args=("x", "w", "b"), outputs=("out",), upstream=("dout",),
                       grads=("dx", "dw", "db"), provided=True),
        softmax_loss_check(),
    ]


CHECKS: dict[str, Check] = {check.name: check for check in (
    # RNN_Captioning.ipynb
    *_recurrent_checks("rnn"), *_word_checks(), *_model_checks("rnn"),
    # LSTM_Captioning.ipynb
    *_lstm_checks(), *_model_checks("lstm"),
    # Gradient_Flow.ipynb: the GRU (extra credit)
    *_recurrent_checks("gru"), *_model_checks("gru"),
    # CharRNN_Language_Model.ipynb
    *char_checks(),
)}

# Checks worth extra credit: the gradebook counts their points on top of the maximum score.
EXTRA_CREDIT = frozenset(name for name in CHECKS if name.startswith(("gru_", "captioning_gru_")))
# Checks of code students are given: the student version passes them, they earn no points.
PROVIDED = frozenset(name for name, check in CHECKS.items() if check.provided)
