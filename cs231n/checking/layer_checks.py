"""Checks of a layer's functions: forward outputs against the reference; backward gradients against
the reference and numerical gradients (and upstream gradients left unmodified); the temporal
softmax loss."""
from __future__ import annotations

import numpy as np

from ..gradient_check import eval_numerical_gradient
from .calls import call, copies, layer, unpack
from .comparisons import LARGE_VALUE, Check, compare_numerical, compare_reference


LAYERS_FILE = "cs231n/rnn_layers.py"


def _fix(function: str, provided: bool) -> str:
    """What a failed check of a function of cs231n/rnn_layers.py tells students to fix."""
    if provided:
        return f"{function} in {LAYERS_FILE} (provided: restore the original if you changed it)"
    return f"{function} in {LAYERS_FILE}"


def forward_check(function: str, *, args: tuple, outputs: tuple, after: tuple = (),
                  provided: bool = False) -> Check:
    """A layer's forward function, called on the case's inputs named args: the outputs it returns
    (before the cache) compared with the reference."""
    def compute(case):
        result = call(function, layer(function), *copies(case.inputs[a] for a in args))
        return dict(zip(outputs, unpack(function, result, outputs + ("cache",))))
    return Check(function, _fix(function, provided), compute, after=after, provided=provided)


def backward_check(backward: str, *, forward: str, args: tuple, outputs: tuple, upstream: tuple,
                   grads: tuple, wrt: tuple | None = None, after: tuple = (),
                   provided: bool = False) -> Check:
    """A layer's backward function, called on the cache of its forward function: gradients compared
    with the reference and with numerical gradients of the forward function.

    upstream names one upstream gradient per output of the forward function; grads names the
    returned gradients, the i-th being the gradient with respect to the input wrt[i] (default:
    args). Case option ``check_upstream``: also check that the upstream gradients are left
    unmodified.
    """
    wrt = args if wrt is None else wrt

    def run_forward(inputs):
        result = call(forward, layer(forward), *[inputs[a] for a in args])
        return unpack(forward, result, outputs + ("cache",))

    def compute(case):
        cache = run_forward(dict(zip(args, copies(case.inputs[a] for a in args))))[-1]
        ups = copies(case.inputs[u] for u in upstream)
        result = call(backward, layer(backward), *ups, cache)
        result = (result,) if len(grads) == 1 and not isinstance(result, (tuple, list)) else result
        return dict(zip(grads, unpack(backward, result, grads)))

    def unmodified(case):
        ups = copies(case.inputs[u] for u in upstream)
        cache = run_forward(dict(zip(args, copies(case.inputs[a] for a in args))))[-1]
        call(backward, layer(backward), *ups, cache)
        for name, up in zip(upstream, ups):
            same = np.array_equal(up, case.inputs[name])
            yield same, (f"{name} left unmodified" if same else
                         f"{name} was modified in place: compute into a new array "
                         f"({name} = {name} + ..., not {name} += ...); a backward function "
                         f"must not change its upstream gradient")

    def extras(case, got):
        if case.options.get("check_upstream"):
            yield from unmodified(case)
        if not case.options.get("numerical", True):
            return
        inputs = dict(zip(args, copies(case.inputs[a] for a in args)))
        ups = [case.inputs[u] for u in upstream]

        def weighted_sum(_):
            outs = run_forward(inputs)[:-1]
            return sum(float(np.sum(np.asarray(o, dtype=np.float64) * u))
                       for o, u in zip(outs, ups))

        for grad_name, arg in zip(grads, wrt):
            numerical = eval_numerical_gradient(weighted_sum, inputs[arg], verbose=False)
            yield compare_numerical(grad_name, got[grad_name], numerical)

    return Check(backward, _fix(backward, provided), compute, extras, after=after,
                 unmodified=unmodified, provided=provided)


def softmax_loss_check() -> Check:
    """temporal_softmax_loss: loss and dx compared with the reference; dx with the numerical
    gradient of the loss (case option ``numerical``: false skips it, e.g. for huge scores)."""
    name = "temporal_softmax_loss"

    def loss_and_grad(x, y, mask):
        return unpack(name, call(name, layer(name), x, y, mask), ("loss", "dx"))

    def compute(case):
        loss, dx = loss_and_grad(*copies(case.inputs[k] for k in ("x", "y", "mask")))
        return {"loss": loss, "dx": dx}

    def extras(case, got):
        if not case.options.get("numerical", True):
            return
        x, y, mask = copies(case.inputs[k] for k in ("x", "y", "mask"))
        numerical = eval_numerical_gradient(lambda _: float(loss_and_grad(x, y, mask)[0]), x,
                                            verbose=False)
        yield compare_numerical("dx", got["dx"], numerical)

    def compare(case, output, got, expected):
        passed, text = compare_reference(case, output, got, expected)
        try:
            values = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            values = np.zeros(1)
        if not passed and not np.all(np.isfinite(values)):
            what = (f"is {float(values)}" if values.ndim == 0 else
                    f"has {int(np.sum(~np.isfinite(values)))} nan/inf entries")
            large = float(np.max(np.abs(case.inputs["x"]))) >= LARGE_VALUE
            text += (f"; {output} {what}{' for large scores' if large else ''}: compute "
                     f"log-softmax as x - max - log(sum(exp(x - max))), not log(probs)")
        return passed, text

    return Check(name, _fix(name, False), compute, extras, compare)

