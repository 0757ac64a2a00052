"""Fully connected layers, in plain numpy: ``affine_forward`` and ``affine_backward``.

They are also importable from ``cs231n.rnn_layers``. This module keeps the place the course gave
them from 2017 to 2020, so a ``classifiers/rnn.py`` of those years (``from ..layers import *``, or
``from cs231n.layers import *``) imports unchanged.
"""
__all__ = ["affine_forward", "affine_backward"]


def affine_forward(x, w, b):
    """Fully connected layer: out = x w + b.

    Inputs:
    - x: (N, d_1, ..., d_k); each example is flattened to D = d_1 * ... * d_k values
    - w: weights, (D, M)
    - b: biases, (M,)

    Returns (out, cache) with out of shape (N, M).
    """
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w)


def affine_backward(dout, cache):
    """Backward pass of ``affine_forward``.

    Inputs:
    - dout: upstream gradient, (N, M)
    - cache: from ``affine_forward``

    Returns (dx, dw, db): dx has x's original shape, dw (D, M), db (M,).
    """
    x, w = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
