"""The inputs of every check of the assignment, visible and hidden.

Each ``Case`` names a check of ``cs231n.checks`` and holds its inputs; the reference outputs are
computed from them by ``kit.author.reference_outputs``. Inputs come from ``np.linspace`` or a
seeded ``RandomState`` only, so the same code always gives the same cases. Hidden cases (other shapes and
seeds, T = 1, repeated words, a fully masked row, huge scores, upstream gradients left unmodified,
captions that end early) run only in the hidden part of the notebooks' test cells.

``requirements`` lists properties the reference outputs of a case must have for the case to test
what it claims (e.g. that some sampled captions end early); ``kit.author.reference_outputs``
asserts them.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from cs231n.checks import Case

from . import char_check_cases

END_EARLY = "captions that end at different steps"
GATES = {"rnn": 1, "lstm": 4, "gru": 3}   # blocks of H columns in Wx, Wh and b
WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "cat", "dog", "on", "a", "mat", "red"]


def _lin(low: float, high: float, *shape: int) -> np.ndarray:
    return np.linspace(low, high, num=int(np.prod(shape))).reshape(shape)


def _randn(seed: int, **shapes) -> dict:
    """Standard-normal arrays of the given shapes, drawn in order from RandomState(seed)."""
    rng = np.random.RandomState(seed)
    return {name: rng.randn(*shape) for name, shape in shapes.items()}


def _hidden(case: Case, label: str, **options) -> Case:
    case.hidden, case.label = True, label
    case.options.update(options)
    return case


# --- vanilla RNN ------------------------------------------------------------------------------

def rnn_step_cases() -> list[Case]:
    N, D, H = 3, 10, 4
    visible = {"x": _lin(-0.4, 0.7, N, D), "prev_h": _lin(-0.2, 0.5, N, H),
               "Wx": _lin(-0.1, 0.9, D, H), "Wh": _lin(-0.3, 0.7, H, H), "b": _lin(-0.2, 0.4, H)}

    def step(seed, N, D, H, upstream=False):
        arrays = _randn(seed, x=(N, D), prev_h=(N, H), Wx=(D, H), Wh=(H, H), b=(H,),
                        dnext_h=(N, H))
        if not upstream:
            arrays.pop("dnext_h")
        return arrays

    return [
        Case("rnn_step_forward", visible),
        _hidden(Case("rnn_step_forward", step(11, 5, 7, 6)), "N=5, D=7, H=6"),
        _hidden(Case("rnn_step_forward", step(12, 1, 1, 1)), "N=D=H=1"),
        Case("rnn_step_backward", step(231, 4, 5, 6, upstream=True),
             options={"check_upstream": True}),
        _hidden(Case("rnn_step_backward", step(13, 2, 3, 8, upstream=True)), "N=2, D=3, H=8",
                check_upstream=True),
        _hidden(Case("rnn_step_backward", step(14, 1, 2, 3, upstream=True)), "N=1"),
    ]


def _sequence(seed: int, N: int, T: int, D: int, H: int, gates: int = 1) -> dict:
    return _randn(seed, x=(N, T, D), h0=(N, H), Wx=(D, gates * H), Wh=(H, gates * H),
                  b=(gates * H,), dh=(N, T, H))


def _forward_only(arrays: dict) -> dict:
    return {k: v for k, v in arrays.items() if k != "dh"}


def rnn_sequence_cases() -> list[Case]:
    N, T, D, H = 2, 3, 4, 5
    visible = {"x": _lin(-0.1, 0.3, N, T, D), "h0": _lin(-0.3, 0.1, N, H),
               "Wx": _lin(-0.2, 0.4, D, H), "Wh": _lin(-0.4, 0.1, H, H), "b": _lin(-0.7, 0.1, H)}
    return [
        Case("rnn_forward", visible),
        _hidden(Case("rnn_forward", _forward_only(_sequence(21, 3, 1, 4, 5))), "T=1"),
        _hidden(Case("rnn_forward", _forward_only(_sequence(22, 3, 6, 2, 3))),
                "N=3, T=6, D=2, H=3"),
        Case("rnn_backward", _sequence(231, 2, 3, 4, 5), options={"check_upstream": True}),
        _hidden(Case("rnn_backward", _sequence(23, 2, 1, 3, 4)), "T=1", check_upstream=True),
        _hidden(Case("rnn_backward", _sequence(24, 3, 5, 2, 4)), "N=3, T=5, D=2, H=4",
                check_upstream=True),
    ]


# --- word embeddings, temporal affine, temporal softmax loss ---------------------------------

def word_embedding_cases() -> list[Case]:
    V, D = 5, 3

    def backward(seed, x, V, D):
        arrays = _randn(seed, W=(V, D), dout=x.shape + (D,))
        return {"x": x, **arrays}

    rng = np.random.RandomState(231)
    visible_x = rng.randint(V, size=(50, 3))
    return [
        Case("word_embedding_forward", {"x": np.array([[0, 3, 1, 2], [2, 1, 0, 3]]),
                                        "W": _lin(0, 1, V, D)}),
        _hidden(Case("word_embedding_forward",
                     {"x": np.random.RandomState(31).randint(10, size=(3, 6)),
                      "W": _randn(32, W=(10, 4))["W"]}), "V=10, D=4, N=3, T=6"),
        _hidden(Case("word_embedding_forward", {"x": np.array([[4], [0], [4]]),
                                                "W": _lin(-1, 1, 6, 2)}), "T=1"),
        Case("word_embedding_backward", backward(232, visible_x, V, 6),
             options={"check_upstream": True}),
        Case("word_embedding_backward", backward(235, np.array([[1, 1, 3], [3, 1, 1]]), 6, 2),
             label="repeated words, unused rows", options={"check_upstream": True}),
        _hidden(Case("word_embedding_backward", backward(33, np.full((4, 5), 2), 6, 3)),
                "one word repeated everywhere, unused rows", check_upstream=True),
        _hidden(Case("word_embedding_backward", backward(34, np.array([[1], [3], [1]]), 4, 5)),
                "T=1, a word twice", check_upstream=True),
    ]


def temporal_affine_cases() -> list[Case]:
    arrays = _randn(41, x=(2, 3, 4), w=(4, 5), b=(5,), dout=(2, 3, 5))
    return [Case("temporal_affine_forward", {k: arrays[k] for k in ("x", "w", "b")}),
            Case("temporal_affine_backward", arrays)]


def _softmax_inputs(seed: int, N: int, T: int, V: int, scale: float = 1.0) -> dict:
    rng = np.random.RandomState(seed)
    x = scale * rng.randn(N, T, V)
    y = rng.randint(V, size=(N, T))
    mask = rng.rand(N, T) > 0.3
    mask[:, 0] = True  # every row scores at least one word
    return {"x": x, "y": y, "mask": mask}


def softmax_loss_cases() -> list[Case]:
    masked_row = _softmax_inputs(52, 4, 5, 6)
    masked_row["mask"][2] = False
    no_mask = _softmax_inputs(54, 3, 4, 5)
    no_mask["mask"][:] = False
    visible_masked_row = _softmax_inputs(56, 3, 4, 6)
    visible_masked_row["mask"][1] = False
    return [
        Case("temporal_softmax_loss", _softmax_inputs(231, 4, 5, 7)),
        Case("temporal_softmax_loss", visible_masked_row, label="a fully masked row"),
        Case("temporal_softmax_loss", _softmax_inputs(57, 2, 3, 6, scale=1000.0),
             label="scores around 1e3", options={"numerical": False}),
        _hidden(Case("temporal_softmax_loss", masked_row), "a fully masked row"),
        _hidden(Case("temporal_softmax_loss", _softmax_inputs(53, 3, 4, 5, scale=1000.0)),
                "scores around 1e3", numerical=False),
        _hidden(Case("temporal_softmax_loss", _softmax_inputs(55, 5, 1, 8)), "T=1"),
        _hidden(Case("temporal_softmax_loss", no_mask), "everything masked"),
    ]


# --- the captioning model ---------------------------------------------------------------------

def _model(cell_type: str, seed: int, N: int, D: int, W: int, H: int, V: int,
           scale: float = 1.0) -> dict:
    """Features and parameters (standard normal times scale) of a model with V words."""
    gates = GATES[cell_type]
    rng = np.random.RandomState(seed)
    shapes = {"W_embed": (V, W), "W_proj": (D, H), "b_proj": (H,), "Wx": (W, gates * H),
              "Wh": (H, gates * H), "b": (gates * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    arrays = {"features": rng.randn(N, D)}
    arrays.update({f"params/{k}": scale * rng.randn(*shape) for k, shape in shapes.items()})
    return arrays


def _options(V: int, W: int, H: int, **more) -> dict:
    return {"words": WORDS[:V], "wordvec_dim": W, "hidden_dim": H, **more}


def _realistic_captions(seed: int, N: int, T: int, V: int) -> np.ndarray:
    """<START> words <END> <NULL>..., with rows of different lengths and one row that is only
    <START> followed by <NULL> (a fully masked row of targets)."""
    rng = np.random.RandomState(seed)
    captions = np.zeros((N, T + 1), dtype=np.int32)
    captions[:, 0] = WORDS.index("<START>")
    for n in range(1, N):
        length = rng.randint(0, T)  # words before <END>
        captions[n, 1:1 + length] = rng.randint(4, V, size=length)
        captions[n, 1 + length] = WORDS.index("<END>")
    return captions


def model_loss_cases(cell_type: str) -> list[Case]:
    name = f"captioning_{cell_type}_loss"
    gates = GATES[cell_type]
    N, D, W, H, V, T = 10, 20, 30, 40, 6, 13
    visible = {"features": _lin(-1.5, 0.3, N, D),
               "captions": (np.arange(N * (T + 1)) % V).reshape(N, T + 1).astype(np.int32)}
    shapes = {"W_embed": (V, W), "W_proj": (D, H), "b_proj": (H,), "Wx": (W, gates * H),
              "Wh": (H, gates * H), "b": (gates * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    visible.update({f"params/{k}": _lin(-1.4, 1.3, *s) for k, s in shapes.items()})
    realistic = _model(cell_type, 61, 5, 6, 4, 5, 10, scale=0.5)
    realistic["captions"] = _realistic_captions(62, 5, 7, 10)
    short = _model(cell_type, 63, 4, 3, 5, 2, 8)
    short["captions"] = np.random.RandomState(64).randint(8, size=(4, 2)).astype(np.int32)
    padded = _model(cell_type, 65, 3, 5, 4, 3, 9, scale=0.5)
    padded["captions"] = _realistic_captions(66, 3, 6, 9)
    return [
        Case(name, visible, options=_options(V, W, H)),
        Case(name, padded, options=_options(9, 4, 3),
             label="padded captions, a row with only <NULL> targets"),
        _hidden(Case(name, realistic, options=_options(10, 4, 5)),
                "padded captions, a row with only <NULL> targets"),
        _hidden(Case(name, short, options=_options(8, 5, 2)), "T=1"),
    ]


def model_gradient_cases(cell_type: str) -> list[Case]:
    name = f"captioning_{cell_type}_gradient"
    visible = _model(cell_type, 231, 2, 4, 5, 6, 8, scale=0.5)
    visible["captions"] = np.random.RandomState(232).randint(8, size=(2, 4)).astype(np.int32)
    hidden = _model(cell_type, 71, 3, 3, 4, 3, 7, scale=0.5)
    hidden["captions"] = _realistic_captions(72, 3, 5, 7)
    padded = _model(cell_type, 73, 2, 3, 3, 4, 6, scale=0.5)
    padded["captions"] = _realistic_captions(74, 2, 4, 6)
    return [
        Case(name, visible, options=_options(8, 5, 6)),
        Case(name, padded, options=_options(6, 3, 4), label="padded captions"),
        _hidden(Case(name, hidden, options=_options(7, 4, 3)), "padded captions"),
    ]


def model_sample_cases(cell_type: str) -> list[Case]:
    name = f"captioning_{cell_type}_sample"
    return [
        Case(name, _model(cell_type, 231, 3, 6, 5, 7, 8), options=_options(8, 5, 7, max_length=6)),
        Case(name, _model(cell_type, 84, 5, 4, 3, 5, 6), options=_options(6, 3, 5, max_length=7),
             label=END_EARLY),
        _hidden(Case(name, _model(cell_type, 81, 6, 4, 3, 5, 6),
                     options=_options(6, 3, 5, max_length=8)),
                END_EARLY),
        _hidden(Case(name, _model(cell_type, 82, 2, 5, 4, 3, 9),
                     options=_options(9, 4, 3, max_length=1)), "max_length=1"),
        _hidden(Case(name, _model(cell_type, 83, 1, 3, 4, 6, 10),
                     options=_options(10, 4, 6, max_length=5)), "N=1"),
    ]


# --- gated cells: LSTM, and the GRU (extra credit) -----------------------------------------------
# Every backward case checks that the upstream gradients are left unmodified; the hidden cases
# differ from the visible ones only in sizes (T = 1 among them) and values (large inputs that
# saturate the gates among them: a visible step case has large inputs too).

def _gated_step_cases(cell: str, gates: int, states: tuple, seeds: tuple,
                      large: tuple) -> list[Case]:
    """The step cases of a cell with `gates` gates and the states `states` (prev_h, and prev_c
    for the LSTM). seeds: of the visible large case, then of the four hidden ones and of the
    visible backward case; large: the labels of the visible and the hidden large-input case."""
    N, D, H = 3, 4, 5
    starts = {"prev_h": (-0.3, 0.7), "prev_c": (-0.4, 0.9)}
    visible = {"x": _lin(-0.4, 1.2, N, D),
               **{state: _lin(*starts[state], N, H) for state in states},
               "Wx": _lin(-2.1, 1.3, D, gates * H), "Wh": _lin(-0.7, 2.2, H, gates * H),
               "b": _lin(0.3, 0.7, gates * H)}
    upstreams = tuple("dnext_" + state.split("_")[1] for state in states)

    def step(seed, N, D, H, upstream=True, scale=1.0):
        arrays = _randn(seed, x=(N, D), **{state: (N, H) for state in states},
                        Wx=(D, gates * H), Wh=(H, gates * H), b=(gates * H,),
                        **{name: (N, H) for name in upstreams})
        arrays["x"] *= scale
        if not upstream:
            for name in upstreams:
                del arrays[name]
        return arrays

    forward, backward = f"{cell}_step_forward", f"{cell}_step_backward"
    large_seed, h1, h2, h3, h4, visible_backward = seeds
    return [
        Case(forward, visible),
        Case(forward, step(large_seed, *((3, 2, 3) if cell == "lstm" else (2, 3, 4)),
                           upstream=False, scale=100.0), label=large[0]),
        _hidden(Case(forward, step(h1, 4, 6, 3, upstream=False)), "N=4, D=6, H=3"),
        _hidden(Case(forward, step(h2, 2, 3, 4, upstream=False, scale=100.0)), large[1]),
        Case(backward, step(visible_backward, 4, 5, 6), options={"check_upstream": True}),
        _hidden(Case(backward, step(h3, 2, 3, 2)), "N=2, D=3, H=2", check_upstream=True),
        _hidden(Case(backward, step(h4, 1, 4, 3)), "N=1", check_upstream=True),
    ]


def _gated_sequence_cases(cell: str, gates: int, seed: int) -> list[Case]:
    """The sequence cases of a cell with `gates` gates; the hidden ones drawn from seed..seed+3."""
    N, D, H, T = 2, 5, 4, 3
    visible = {"x": _lin(-0.4, 0.6, N, T, D), "h0": _lin(-0.4, 0.8, N, H),
               "Wx": _lin(-0.2, 0.9, D, gates * H), "Wh": _lin(-0.3, 0.6, H, gates * H),
               "b": _lin(0.2, 0.7, gates * H)}
    forward, backward = f"{cell}_forward", f"{cell}_backward"
    return [
        Case(forward, visible),
        _hidden(Case(forward, _forward_only(_sequence(seed, 3, 1, 4, 5, gates))), "T=1"),
        _hidden(Case(forward, _forward_only(_sequence(seed + 1, 2, 7, 3, 2, gates))),
                "N=2, T=7, D=3, H=2"),
        Case(backward, _sequence(231, 2, 10, 3, 6, gates), options={"check_upstream": True}),
        _hidden(Case(backward, _sequence(seed + 2, 3, 1, 2, 4, gates)), "T=1",
                check_upstream=True),
        _hidden(Case(backward, _sequence(seed + 3, 2, 4, 3, 3, gates)), "N=2, T=4, D=3, H=3",
                check_upstream=True),
    ]


def lstm_step_cases() -> list[Case]:
    return _gated_step_cases("lstm", 4, ("prev_h", "prev_c"), (95, 91, 92, 93, 94, 231),
                             ("saturated gates", "saturated gates"))


def lstm_sequence_cases() -> list[Case]:
    return _gated_sequence_cases("lstm", 4, 101)


def gru_step_cases() -> list[Case]:
    return _gated_step_cases("gru", 3, ("prev_h",), (230, 111, 112, 113, 114, 231),
                             ("large inputs", "larger inputs"))


def gru_sequence_cases() -> list[Case]:
    return _gated_sequence_cases("gru", 3, 121)


# --- everything -------------------------------------------------------------------------------

def all_cases() -> list[Case]:
    """Every case, in the order of the checks."""
    return (rnn_step_cases() + rnn_sequence_cases() + word_embedding_cases()
            + temporal_affine_cases() + softmax_loss_cases()
            + model_loss_cases("rnn") + model_gradient_cases("rnn") + model_sample_cases("rnn")
            + lstm_step_cases() + lstm_sequence_cases()
            + model_loss_cases("lstm") + model_gradient_cases("lstm") + model_sample_cases("lstm")
            + gru_step_cases() + gru_sequence_cases()
            + model_loss_cases("gru") + model_gradient_cases("gru") + model_sample_cases("gru")
            + char_check_cases.all_cases())


def _some_end_early(case: Case, expected: dict) -> str | None:
    """Problems with a 'captions that end at different steps' case: some rows must end before the
    last step and some later (or never)."""
    end = case.options["words"].index("<END>")
    captions = expected["captions"]
    stops = [int(np.argmax(row == end)) if (row == end).any() else len(row) for row in captions]
    if len(set(stops)) < 2 or min(stops) >= len(captions[0]) - 1:
        return f"the sampled captions stop at steps {stops}: pick another seed"
    return None


def requirements(case: Case) -> list[Callable[[Case, dict], str | None]]:
    """Properties the reference outputs of this case must have (each returns a problem or None)."""
    if case.label == END_EARLY:
        return [_some_end_early]
    return []
