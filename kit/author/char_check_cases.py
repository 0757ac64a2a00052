"""The inputs of the character-level language model's checks, visible and hidden.

Hidden cases change only sizes and values: every property they test (both cell types, stacked
layers, a given or a zero initial state, T = 1, greedy decoding, top-k, huge scores, gradients above
and below the clipping norm) is tested by a visible case too, and asked for in the notebook.
"""
from __future__ import annotations

import numpy as np

from cs231n.checking.char_checks import param_names
from cs231n.checks import Case


def _hidden(case: Case, label: str) -> Case:
    case.hidden, case.label = True, label
    return case


def _model(seed: int, cell_type: str, num_layers: int, N: int, T: int, V: int, W: int, H: int,
           state: bool = True, scale: float = 0.5) -> tuple[dict, dict]:
    """(inputs, options) of a model check: parameters, x, y and (if state) h0, c0."""
    rng = np.random.RandomState(seed)
    m = 4 if cell_type == "lstm" else 1
    shapes = {"W_embed": (V, W)}
    for layer in range(num_layers):
        inputs = W if layer == 0 else H
        shapes.update({f"Wx{layer}": (inputs, m * H), f"Wh{layer}": (H, m * H),
                       f"b{layer}": (m * H,)})
    shapes.update({"W_vocab": (H, V), "b_vocab": (V,)})
    assert list(shapes) == param_names(num_layers)
    arrays = {f"params/{k}": scale * rng.randn(*shape) for k, shape in shapes.items()}
    arrays["x"] = rng.randint(V, size=(N, T))
    arrays["y"] = rng.randint(V, size=(N, T))
    if state:
        arrays["h0"] = rng.randn(num_layers, N, H) * 0.5
        arrays["c0"] = rng.randn(num_layers, N, H) * 0.5 if cell_type == "lstm" \
            else np.zeros((num_layers, N, H))
    options = {"cell_type": cell_type, "num_layers": num_layers, "vocab_size": V,
               "wordvec_dim": W, "hidden_dim": H}
    return arrays, options


def _model_case(check: str, seed: int, *args, state: bool = True, **more) -> Case:
    arrays, options = _model(seed, *args, state=state)
    return Case(check, arrays, options={**options, **more})


def probability_cases() -> list[Case]:
    def case(seed, N, V, temperature, top_k=None, scale=2.0):
        scores = scale * np.random.RandomState(seed).randn(N, V)
        return Case("char_probabilities", {"scores": scores},
                    options={"temperature": temperature, "top_k": top_k})

    return [
        case(231, 3, 6, 1.0),
        case(232, 3, 6, 0.5, top_k=3),
        case(233, 4, 5, 0.0),
        case(234, 2, 7, 2.0, scale=1000.0),
        _hidden(case(31, 5, 9, 1.5, top_k=1), "N=5, V=9, T=1.5, top_k=1"),
        _hidden(case(32, 1, 4, 0.0), "greedy, N=1"),
        _hidden(case(33, 3, 8, 0.7, top_k=5, scale=1e4), "scores around 1e4, top_k=5"),
        _hidden(case(34, 2, 3, 1.0), "V=3"),
    ]


def loss_cases() -> list[Case]:
    name = "char_rnn_loss"
    return [
        _model_case(name, 231, "lstm", 2, 3, 4, 7, 5, 6),
        _model_case(name, 232, "rnn", 2, 3, 4, 7, 5, 6),
        _model_case(name, 233, "lstm", 1, 2, 3, 5, 4, 3, state=False),
        _hidden(_model_case(name, 41, "lstm", 3, 2, 5, 6, 3, 4), "lstm, 3 layers"),
        _hidden(_model_case(name, 42, "rnn", 1, 4, 1, 8, 2, 5), "rnn, T=1"),
        _hidden(_model_case(name, 43, "rnn", 2, 1, 6, 4, 3, 2, state=False),
                "rnn, zero state, N=1"),
        _hidden(_model_case(name, 44, "lstm", 2, 3, 1, 5, 4, 3), "lstm, T=1"),
    ]


def gradient_cases() -> list[Case]:
    name = "char_rnn_gradient"
    return [
        _model_case(name, 231, "lstm", 2, 2, 4, 5, 3, 4),
        _model_case(name, 232, "rnn", 2, 2, 4, 5, 3, 4),
        _hidden(_model_case(name, 51, "lstm", 3, 2, 3, 4, 2, 3), "lstm, 3 layers"),
        _hidden(_model_case(name, 52, "rnn", 1, 3, 1, 6, 3, 2), "rnn, T=1"),
    ]


def tbptt_cases() -> list[Case]:
    name = "char_rnn_tbptt"
    return [
        _model_case(name, 231, "lstm", 2, 3, 6, 6, 4, 5, split=3),
        _model_case(name, 232, "rnn", 2, 3, 6, 6, 4, 5, split=2),
        _hidden(_model_case(name, 61, "lstm", 1, 2, 5, 5, 3, 4, split=1),
                "lstm, chunk 1 of one character"),
        _hidden(_model_case(name, 62, "rnn", 3, 2, 7, 4, 3, 3, split=4), "rnn, 3 layers"),
        _hidden(_model_case(name, 63, "lstm", 3, 1, 4, 5, 2, 3, split=2), "lstm, 3 layers, N=1"),
    ]


def sample_cases() -> list[Case]:
    name = "char_rnn_sample"

    def case(seed, cell_type, num_layers, N, P, V, W, H, length, temperature, top_k, state,
             scale=1.0):
        arrays, options = _model(seed, cell_type, num_layers, N, P, V, W, H, state=state,
                                 scale=scale)
        arrays["prime"] = arrays.pop("x")
        del arrays["y"]
        return Case(name, arrays, options={**options, "length": length, "temperature": temperature,
                                           "top_k": top_k, "seed": seed})

    return [
        case(231, "lstm", 2, 3, 2, 7, 4, 5, 8, 1.0, None, False),
        case(232, "rnn", 1, 2, 1, 6, 3, 4, 6, 0.5, 3, True),
        case(233, "lstm", 1, 3, 3, 5, 3, 4, 5, 0.0, None, True),
        _hidden(case(71, "lstm", 3, 2, 2, 6, 3, 3, 7, 1.5, 4, True), "lstm, 3 layers, T=1.5"),
        _hidden(case(72, "rnn", 2, 1, 4, 8, 5, 3, 1, 1.0, None, False), "rnn, length=1, N=1"),
        _hidden(case(73, "rnn", 2, 4, 1, 5, 2, 6, 6, 0.0, 2, False), "rnn, greedy"),
    ]


def clip_cases() -> list[Case]:
    def case(seed, max_norm, scale, *shapes):
        rng = np.random.RandomState(seed)
        grads = {f"grads/{name}": scale * rng.randn(*shape)
                 for name, shape in zip(("W", "b", "U"), shapes)}
        return Case("clip_grad_norm", grads, options={"max_norm": max_norm})

    return [
        case(231, 5.0, 10.0, (4, 3), (3,)),         # norm about 37: scaled down to 5
        case(232, 5.0, 0.5, (4, 3), (3,)),          # norm about 2: unchanged
        _hidden(case(81, 1.0, 3.0, (2, 5), (5,), (3, 2)), "three arrays, norm above"),
        _hidden(case(82, 100.0, 1.0, (6,)), "one array, norm below"),
    ]


def all_cases() -> list[Case]:
    """Every case of the language model's checks, in the order of the checks."""
    return (probability_cases() + loss_cases() + gradient_cases() + tbptt_cases()
            + sample_cases() + clip_cases())
