"""Checks of the captioning model (CaptioningRNN in cs231n/classifiers/rnn.py): its loss and
gradients against the reference and numerical gradients, its sampled captions word for word."""
from __future__ import annotations

import numpy as np

from ..gradient_check import eval_numerical_gradient
from .calls import ContractError, call, import_module, unpack
from .cases import Case
from .comparisons import Check, compare_numerical


PARAM_NAMES = ("W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def build_model(case: Case, cell_type: str):
    """A float64 CaptioningRNN with the case's vocabulary, sizes and parameters."""
    module = import_module("classifiers.rnn")
    word_to_idx = {w: i for i, w in enumerate(case.options["words"])}
    features = case.inputs["features"]
    what = "CaptioningRNN(...)"
    model = call(what, module.CaptioningRNN, word_to_idx, features.shape[1],
                 case.options["wordvec_dim"], case.options["hidden_dim"], cell_type, np.float64)
    return load_params(model, "CaptioningRNN", PARAM_NAMES, case, f"cell_type={cell_type!r}")


def load_params(model, model_name: str, names, case: Case, context: str):
    """Give the model the case's parameters (``params/<name>`` inputs), after checking that
    model.params has exactly the keys names and the case's shapes; returns the model."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or set(params) != set(names):
        keys = sorted(params) if isinstance(params, dict) else params
        raise ContractError(f"{model_name}.params has keys {keys}, expected {sorted(names)}")
    for key in names:
        value = case.inputs[f"params/{key}"]
        if np.shape(params[key]) != value.shape:
            raise ContractError(f"{model_name}.params['{key}'] has shape "
                                f"{np.shape(params[key])}, expected {value.shape} ({context})")
        params[key] = value.copy()
    return model


def model_loss(model, case):
    result = call("CaptioningRNN.loss", model.loss, case.inputs["features"].copy(),
                  case.inputs["captions"].copy())
    loss, grads = unpack("CaptioningRNN.loss", result, ("loss", "grads"))
    if not isinstance(grads, dict):
        raise ContractError(f"CaptioningRNN.loss returned grads as a {type(grads).__name__}, "
                            f"expected a dict with the keys of model.params")
    return loss, grads


def model_loss_check(cell_type: str, *, after: tuple) -> Check:
    """CaptioningRNN.loss: the loss and every gradient compared with the reference."""
    def compute(case):
        loss, grads = model_loss(build_model(case, cell_type), case)
        return {"loss": loss, **{f"grads['{k}']": grads.get(k) for k in PARAM_NAMES}}

    return Check(f"captioning_{cell_type}_loss", "CaptioningRNN.loss in cs231n/classifiers/rnn.py",
                 compute, after=after)


def model_gradient_check(cell_type: str, *, after: tuple) -> Check:
    """CaptioningRNN.loss: every gradient compared with the numerical gradient of the loss."""
    def extras(case, got):
        try:
            model = build_model(case, cell_type)
            _, grads = model_loss(model, case)
            for key in PARAM_NAMES:
                f = lambda _: float(model_loss(model, case)[0])  # noqa: E731
                numerical = eval_numerical_gradient(f, model.params[key], verbose=False)
                yield compare_numerical(f"grads['{key}']", grads.get(key), numerical)
        except ContractError as e:
            yield False, str(e)

    return Check(f"captioning_{cell_type}_gradient",
                 "CaptioningRNN.loss in cs231n/classifiers/rnn.py", lambda case: {}, extras,
                 after=after)


def compare_captions(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    """Sampled captions: each row must equal the reference's up to and including its first <END>
    (what follows <END> is never compared)."""
    words = case.options["words"]
    end = words.index("<END>")
    got = np.asarray(got) if got is not None else None
    if got is None or got.shape != expected.shape or not np.issubdtype(got.dtype, np.integer):
        described = "None" if got is None else f"{got.dtype} array of shape {got.shape}"
        return False, (f"captions is {described}, expected an integer array of shape "
                       f"{expected.shape} (N, max_length)")
    wrong = []
    for row, (g, e) in enumerate(zip(got, expected)):
        stop = int(np.argmax(e == end)) + 1 if (e == end).any() else len(e)
        if not np.array_equal(g[:stop], e[:stop]):
            wrong.append((row, stop))
    text = (f"captions vs reference output (up to <END>), {len(wrong)} of {len(expected)} rows "
            f"differ (threshold 0)")
    if wrong:
        def decode(row):
            return " ".join(words[int(i)] if 0 <= i < len(words) else f"<{i}?>" for i in row)
        row, stop = wrong[0]
        text += (f"; row {row}: got '{decode(got[row][:stop])}', "
                 f"expected '{decode(expected[row][:stop])}'")
    return not wrong, text


def model_sample_check(cell_type: str, *, after: tuple) -> Check:
    """CaptioningRNN.sample: greedy captions compared with the reference up to <END>."""
    def compute(case):
        model = build_model(case, cell_type)
        captions = call("CaptioningRNN.sample", model.sample, case.inputs["features"].copy(),
                        case.options["max_length"])
        return {"captions": captions}

    return Check(f"captioning_{cell_type}_sample",
                 "CaptioningRNN.sample in cs231n/classifiers/rnn.py", compute,
                 compare=compare_captions, after=after)

