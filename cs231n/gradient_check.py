"""Numerical gradients by centered differences, to check analytic gradients.

Both functions perturb ``x`` in place, one entry at a time, and put the entry back: ``f`` may ignore
its argument and read the perturbed array through a closure (``lambda _: layer(x, w)[0]``).
"""
import numpy as np


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function f at x:

        grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)

    Inputs:
    - f: function of one argument returning a scalar
    - x: array at which to evaluate the gradient (perturbed in place and restored)
    - verbose: print each entry's index and gradient
    - h: the step size

    Returns grad, an array of x's shape.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        fxph = f(x)
        x[ix] = old_value - h
        fxmh = f(x)
        x[ix] = old_value
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of sum(f(x) * df) with respect to x, for an array-valued f.

    Inputs:
    - f: function of one argument returning an array of df's shape
    - x: array at which to evaluate the gradient (perturbed in place and restored)
    - df: upstream gradient, the shape of f(x)
    - h: the step size

    Returns grad, an array of x's shape.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        pos = f(x).copy()
        x[ix] = old_value - h
        neg = f(x).copy()
        x[ix] = old_value
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def rel_error(x, y):
    """Maximum relative error max(|x - y| / max(1e-8, |x| + |y|)), as the notebooks define it."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
