"""Numerical gradients by centered differences, the kit's own oracle for every backward pass.

Written here, independently of ``cs231n.gradient_check``, so that a bug there cannot hide a bug in a
layer. Each probe works on a copy: the arrays passed in are never modified.

The error measure is stated once, here, and used by every gradient test:

    |analytic - numeric| <= ATOL_SCALE * max|numeric| + RTOL * |numeric|      entry by entry

With float64 and h = 1e-6 the truncation error of centered differences is O(h**2) ~ 1e-12 and the
rounding error is O(eps * |L| / h) ~ 1e-9 for the losses used in the tests, so a correct backward
passes with a wide margin while a missing or wrong term (an error of the order of the gradient
itself) fails by many orders of magnitude.
"""
import numpy as np

H_STEP = 1e-6
RTOL = 1e-5
ATOL_SCALE = 1e-7


def numeric_gradient(f, x, h=H_STEP):
    """Gradient of the scalar function f at x, entry by entry: (f(x + h e_k) - f(x - h e_k)) / 2h."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[k] += h
        minus.flat[k] -= h
        grad.flat[k] = (f(plus) - f(minus)) / (2 * h)
    return grad


def numeric_input_gradients(forward, inputs, upstream, wrt=None, h=H_STEP):
    """Gradients of L = sum_k sum(outputs[k] * upstream[k]) with respect to some of the inputs.

    - forward: function of the inputs returning one array or a tuple of arrays
    - inputs: list of arrays, the arguments of forward
    - upstream: one array or a tuple of arrays, matching forward's outputs
    - wrt: indices of the inputs to differentiate (default: all)
    Returns a list with one gradient per index of wrt.
    """
    upstream = upstream if isinstance(upstream, tuple) else (upstream,)
    wrt = range(len(inputs)) if wrt is None else wrt

    def scalar_loss(index, value):
        args = list(inputs)
        args[index] = value
        outputs = forward(*args)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        return sum(np.sum(out * up) for out, up in zip(outputs, upstream))

    return [numeric_gradient(lambda v, i=i: scalar_loss(i, v), inputs[i], h) for i in wrt]


def gradient_error(analytic, numeric):
    """max |analytic - numeric| / max |numeric|: the error relative to the gradient's own scale."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    return float(np.max(np.abs(analytic - numeric)) / max(np.max(np.abs(numeric)), 1e-300))


def assert_gradient_close(analytic, numeric, name):
    """Entrywise |a - n| <= ATOL_SCALE * max|n| + RTOL * |n|, with shapes equal."""
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    assert analytic.shape == numeric.shape, f"{name}: shape {analytic.shape}, expected {numeric.shape}"
    scale = float(np.max(np.abs(numeric))) if numeric.size else 0.0
    np.testing.assert_allclose(
        analytic, numeric, rtol=RTOL, atol=ATOL_SCALE * scale + 1e-12,
        err_msg=f"{name}: analytic gradient differs from centered differences "
                f"(relative error {gradient_error(analytic, numeric):.2e})")


def notebook_rel_error(x, y):
    """The notebooks' rel_error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
