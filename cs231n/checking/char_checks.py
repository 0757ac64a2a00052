"""The checks of the character-level language model notebook.

- ``char_probabilities``: the distribution of the next character (temperature, greedy, top-k);
- ``char_rnn_loss``: CharRNN.loss (loss, gradients, final state) against the reference;
- ``char_rnn_gradient``: CharRNN.loss's gradients against numerical gradients;
- ``char_rnn_tbptt``: truncated BPTT: two chunks with the state carried from the first to the
  second give the loss and the final state of the whole sequence, and the second chunk's
  gradients are those of a model whose initial state is a constant;
- ``char_rnn_sample``: CharRNN.sample's characters, drawn with draw_chars from a seeded generator,
  against the reference;
- ``clip_grad_norm``: clipping by global norm (cs231n/optim.py).
"""
from __future__ import annotations

import numpy as np

from ..gradient_check import eval_numerical_gradient
from .calls import ContractError, call, import_module, unpack
from .cases import Case
from .comparisons import TOL_NUMERICAL, TOL_REFERENCE, Check, compare, scaled_error
from .model_checks import load_params

MODEL_FILE = "cs231n/classifiers/char_rnn.py"
_LAYERS = ("word_embedding_forward", "word_embedding_backward", "rnn_forward", "rnn_backward",
           "lstm_step_forward", "lstm_step_backward", "temporal_softmax_loss")


def _module():
    return import_module("classifiers.char_rnn")


def param_names(num_layers: int) -> list[str]:
    """The keys of CharRNN.params for num_layers layers, in their order of creation."""
    layers = [f"{k}{layer}" for layer in range(num_layers) for k in ("Wx", "Wh", "b")]
    return ["W_embed", *layers, "W_vocab", "b_vocab"]


def _build_model(case: Case):
    """A float64 CharRNN with the case's sizes and parameters."""
    o = case.options
    what = "CharRNN(...)"
    model = call(what, _module().CharRNN, o["vocab_size"], o["wordvec_dim"], o["hidden_dim"],
                 o["num_layers"], o["cell_type"], np.float64)
    return load_params(model, "CharRNN", param_names(o["num_layers"]), case,
                       f"cell_type={o['cell_type']!r}, num_layers={o['num_layers']}")


def _state(case: Case, prefix: str = "") -> tuple:
    """The case's initial state (h0, c0), None where the case gives none (zeros)."""
    return tuple(case.inputs[f"{prefix}{k}"].copy() if f"{prefix}{k}" in case.inputs else None
                 for k in ("h0", "c0"))


def _loss(model, x, y, h0, c0) -> tuple:
    """(loss, grads, hT, cT) of CharRNN.loss, with its return value checked."""
    what = "CharRNN.loss"
    loss, grads, state = unpack(what, call(what, model.loss, x.copy(), y.copy(), h0, c0),
                                ("loss", "grads", "state"))
    if not isinstance(grads, dict):
        raise ContractError(f"{what} returned grads as a {type(grads).__name__}, expected a dict "
                            "with the keys of model.params")
    hT, cT = unpack(f"{what}'s state", state, ("hT", "cT"))
    return loss, grads, hT, cT


def _loss_outputs(case: Case, model) -> dict:
    loss, grads, hT, cT = _loss(model, case.inputs["x"], case.inputs["y"], *_state(case))
    names = param_names(case.options["num_layers"])
    return {"loss": loss, **{f"grads['{k}']": grads.get(k) for k in names}, "hT": hT, "cT": cT}


def _loss_check() -> Check:
    """CharRNN.loss: the loss, every gradient and the final state against the reference."""
    return Check("char_rnn_loss", f"CharRNN.loss in {MODEL_FILE}",
                 lambda case: _loss_outputs(case, _build_model(case)), after=_LAYERS)


def _gradient_check() -> Check:
    """CharRNN.loss: every gradient against the numerical gradient of the loss (from the case's
    initial state)."""
    def extras(case, got):
        try:
            model = _build_model(case)
            x, y = case.inputs["x"], case.inputs["y"]
            h0, c0 = _state(case)
            _, grads, _, _ = _loss(model, x, y, h0, c0)
            f = lambda _: float(_loss(model, x, y, h0, c0)[0])  # noqa: E731
            for key in param_names(case.options["num_layers"]):
                numerical = eval_numerical_gradient(f, model.params[key], verbose=False)
                yield compare(f"grads['{key}']", grads.get(key), numerical, "numerical gradient",
                              TOL_NUMERICAL)
        except ContractError as e:
            yield False, str(e)

    return Check("char_rnn_gradient", f"CharRNN.loss in {MODEL_FILE}", lambda case: {}, extras,
                 after=("char_rnn_loss",))


def _tbptt_check() -> Check:
    """Truncated BPTT: the sequence x is cut after `split` characters; chunk 1 starts from the
    case's state, chunk 2 from chunk 1's final state."""
    def chunks(case, model):
        x, y, k = case.inputs["x"], case.inputs["y"], case.options["split"]
        first = _loss(model, x[:, :k], y[:, :k], *_state(case))
        second = _loss(model, x[:, k:], y[:, k:], _copy(first[2]), _copy(first[3]))
        return first, second

    def compute(case):
        first, second = chunks(case, _build_model(case))
        return {"loss of chunk 1": first[0], "loss of chunk 2": second[0],
                "hT after chunk 2": second[2], "cT after chunk 2": second[3]}

    def extras(case, got):
        try:
            model = _build_model(case)
            x, y, k = case.inputs["x"], case.inputs["y"], case.options["split"]
            whole = _loss(model, x, y, *_state(case))
            first, second = chunks(case, model)
            total = float(first[0]) + float(second[0])
            err = scaled_error(total, whole[0])
            yield (err <= TOL_REFERENCE,
                   f"loss of chunk 1 + loss of chunk 2 vs loss of the whole sequence, error "
                   f"{err:.1e} (threshold {TOL_REFERENCE:.0e}): the second chunk must start from "
                   "the state the first one ended in")
            for name, a, b in (("hT", second[2], whole[2]), ("cT", second[3], whole[3])):
                yield compare(f"{name} after chunk 2", a, np.asarray(b, dtype=np.float64),
                              f"{name} after the whole sequence", TOL_REFERENCE)
            # Chunk 2's gradient is that of a model whose initial state is the constant
            # state chunk 1 ended in: nothing flows back into chunk 1.
            h1, c1 = _copy(first[2]), _copy(first[3])
            x2, y2 = x[:, k:], y[:, k:]
            f = lambda _: float(_loss(model, x2, y2, h1.copy(), c1.copy())[0])  # noqa: E731
            for key in param_names(case.options["num_layers"]):
                numerical = eval_numerical_gradient(f, model.params[key], verbose=False)
                yield compare(f"chunk 2 grads['{key}']", second[1].get(key), numerical,
                              "numerical gradient from a constant initial state", TOL_NUMERICAL)
        except ContractError as e:
            yield False, str(e)

    return Check("char_rnn_tbptt", f"CharRNN.loss in {MODEL_FILE} (the initial state, the "
                 "final state)", compute, extras, after=("char_rnn_loss",))


def _copy(value):
    return None if value is None else np.array(value, dtype=np.float64, copy=True)


def _probabilities_check() -> Check:
    """char_probabilities: the probabilities against the reference; each row sums to 1."""
    name = "char_probabilities"

    def compute(case):
        o = case.options
        probs = call(name, _module().char_probabilities, case.inputs["scores"].copy(),
                     o["temperature"], o["top_k"])
        return {"probs": probs}

    def extras(case, got):
        probs = np.asarray(got["probs"], dtype=np.float64)
        if probs.shape == case.inputs["scores"].shape:
            err = float(np.max(np.abs(probs.sum(axis=1) - 1)))
            yield err <= TOL_REFERENCE, (f"rows of probs sum to 1, error {err:.1e} (threshold "
                                         f"{TOL_REFERENCE:.0e})")

    return Check(name, f"{name} in {MODEL_FILE}", compute, extras)


def _compare_chars(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    """Sampled characters: every one must equal the reference's."""
    got = None if got is None else np.asarray(got)
    if got is None or got.shape != expected.shape or not np.issubdtype(got.dtype, np.integer):
        described = "None" if got is None else f"{got.dtype} array of shape {got.shape}"
        return False, (f"{name} is {described}, expected an integer array of shape "
                       f"{expected.shape} (N, length)")
    wrong = np.argwhere(got != expected)
    text = (f"{name} vs reference output, {len(wrong)} of {expected.size} characters differ "
            "(threshold 0)")
    if len(wrong):
        n, t = wrong[0]
        text += (f"; first at stream {n}, step {t}: got {got[n, t]}, expected {expected[n, t]} "
                 "(draw each character with draw_chars(probs, rng), once per step)")
    return not len(wrong), text


def _sample_check() -> Check:
    """CharRNN.sample: the characters drawn from np.random.default_rng(seed), exactly."""
    def compute(case):
        o = case.options
        model = _build_model(case)
        h0, c0 = _state(case)
        chars = call("CharRNN.sample", model.sample, case.inputs["prime"].copy(), o["length"],
                     o["temperature"], o["top_k"], np.random.default_rng(o["seed"]), h0, c0)
        return {"chars": chars}

    return Check("char_rnn_sample", f"CharRNN.sample in {MODEL_FILE}", compute,
                 compare=_compare_chars,
                 after=("char_probabilities", "rnn_step_forward", "lstm_step_forward"))


def _clip_check() -> Check:
    """clip_grad_norm: clipped gradients and the norm against the reference; grads unmodified."""
    name = "clip_grad_norm"

    def clip(case):
        grads = {k.split("/", 1)[1]: v.copy() for k, v in case.inputs.items()
                 if k.startswith("grads/")}
        optim = import_module("optim")
        result = call(name, optim.clip_grad_norm, grads, case.options["max_norm"])
        clipped, total_norm = unpack(name, result, ("clipped", "total_norm"))
        if not isinstance(clipped, dict):
            raise ContractError(f"{name} returned clipped as a {type(clipped).__name__}, "
                                "expected a dict with the keys of grads")
        return grads, clipped, total_norm

    def compute(case):
        _, clipped, total_norm = clip(case)
        return {"total_norm": total_norm,
                **{f"clipped['{k.split('/', 1)[1]}']": clipped.get(k.split("/", 1)[1])
                   for k in case.inputs if k.startswith("grads/")}}

    def extras(case, got):
        grads, _, _ = clip(case)
        same = all(np.array_equal(v, case.inputs[f"grads/{k}"]) for k, v in grads.items())
        yield same, ("grads left unmodified" if same else "grads was modified in place: return "
                     "new arrays and leave the gradients you were given as they are")

    return Check(name, f"{name} in cs231n/optim.py", compute, extras)


def char_checks() -> list[Check]:
    """The checks of the language-model notebook, in its order."""
    return [_probabilities_check(), _loss_check(), _gradient_check(), _tbptt_check(),
            _sample_check(), _clip_check()]
