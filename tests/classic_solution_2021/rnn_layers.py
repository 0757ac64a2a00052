"""This file defines layer types that are commonly used for recurrent neural networks.

(A classic-style solution in the course layout of 2021-2024: the affine layers are in this file,
temporal_softmax_loss is the course's provided code, and lstm_step_backward adds into its upstream
gradient with +=, as most public solutions of those years do.)
"""

import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = None, None
    a = x @ Wx + prev_h @ Wh + b
    next_h = np.tanh(a)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - np.square(next_h))
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    cache = []
    h = []
    prev_h = h0
    for t in range(T):
        prev_h, c = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h.append(prev_h)
        cache.append(c)
    h = np.stack(h, axis=1)
    return h, cache


def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][2].shape[0]
    dx = np.empty((N, T, D))
    dh0 = np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for t in range(T - 1, -1, -1):
        dx[:, t], dh0, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh0, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    out, cache = None, None
    out = W[x]
    cache = (x, W.shape)
    return out, cache


def word_embedding_backward(dout, cache):
    dW = None
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)
    return dW


def sigmoid(x):
    """A numerically stable version of the logistic sigmoid function."""
    pos_mask = x >= 0
    neg_mask = x < 0
    z = np.zeros_like(x)
    z[pos_mask] = np.exp(-x[pos_mask])
    z[neg_mask] = np.exp(x[neg_mask])
    top = np.ones_like(x)
    top[neg_mask] = z[neg_mask]
    return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c, cache = None, None, None
    H = prev_h.shape[1]
    A = x @ Wx + prev_h @ Wh + b
    i, f, o, g = np.split(A, 4, axis=1)
    i, f, o, g = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(g)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)
    dprev_c = dnext_c * f
    di = dnext_c * g * i * (1 - i)
    df = dnext_c * prev_c * f * (1 - f)
    do = dnext_h * np.tanh(next_c) * o * (1 - o)
    dg = dnext_c * i * (1 - g ** 2)
    dA = np.concatenate([di, df, do, dg], axis=1)
    dx = dA @ Wx.T
    dprev_h = dA @ Wh.T
    dWx = x.T @ dA
    dWh = prev_h.T @ dA
    db = dA.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    prev_c = np.zeros((N, H))
    for t in range(T):
        prev_h, prev_c, c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(c)
    return h, cache


def lstm_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][3].shape[0]
    dx = np.empty((N, T, D))
    dh0 = np.zeros((N, H))
    dc = np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    for t in reversed(range(T)):
        dx[:, t], dh0, dc, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh0, dc, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    cache = x, w, b, out
    return out, cache


def temporal_affine_backward(dout, cache):
    x, w, b, out = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = dout.reshape(N * T, M).dot(w.T).reshape(N, T, D)
    dw = dout.reshape(N * T, M).T.dot(x.reshape(N * T, D)).T
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape

    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    dx_flat = probs.copy()
    dx_flat[np.arange(N * T), y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]

    if verbose:
        print("dx_flat: ", dx_flat.shape)

    dx = dx_flat.reshape(N, T, V)

    return loss, dx
