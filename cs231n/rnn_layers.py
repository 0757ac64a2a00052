"""Layers for recurrent networks, in plain numpy.

Shapes: N batch, T time steps, D input dim, H hidden dim, V vocabulary size, M output dim.

Every layer has a forward function that returns ``(out, cache)`` and a backward function that takes
``(dout, cache)``. The cache holds whatever the backward pass needs; nothing outside this file looks
inside it. A backward function never modifies the upstream gradient it is given.

The notebooks give the equations of each layer. Your code goes in place of each
``# YOUR CODE HERE`` stub. Keep the functions vectorised: no Python loops over the batch or
the hidden units (a loop over time steps is fine).
"""
import numpy as np

from .layers import affine_backward, affine_forward  # noqa: F401 - part of this module


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """Forward pass of one time step of a vanilla RNN with a tanh activation (the equation is in
    the notebook). The minibatch has N examples, the input dimension is D, the hidden state has H
    values.

    Inputs:
    - x: input data for this time step, (N, D)
    - prev_h: hidden state from the previous time step, (N, H)
    - Wx: input-to-hidden weights, (D, H)
    - Wh: hidden-to-hidden weights, (H, H)
    - b: biases, (H,)

    Returns (next_h, cache): next_h of shape (N, H), and cache, whatever values
    ``rnn_step_backward`` needs (nothing else reads it).
    """
    ### BEGIN SOLUTION
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    ### END SOLUTION
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN step.

    Hint: the derivative of tanh is tanh'(a) = 1 - tanh(a)^2, and tanh(a) is an output you already
    computed in the forward pass.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, (N, H)
    - cache: from ``rnn_step_forward``

    Returns (dx, dprev_h, dWx, dWh, db) with the shapes of (x, prev_h, Wx, Wh, b).
    """
    ### BEGIN SOLUTION
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Forward pass of a vanilla RNN over a whole sequence of T inputs, one ``rnn_step_forward``
    per time step, starting from the initial hidden state h0.

    Inputs:
    - x: input data for the whole sequence, (N, T, D)
    - h0: initial hidden state, (N, H)
    - Wx: input-to-hidden weights, (D, H)
    - Wh: hidden-to-hidden weights, (H, H)
    - b: biases, (H,)

    Returns (h, cache): h (N, T, H) holds the T new hidden states (h_1 ... h_T), not h0; cache
    holds what ``rnn_backward`` needs.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx))
    prev_h = h0
    for t in range(T):
        prev_h, _ = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    ### END SOLUTION
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass of ``rnn_forward`` (backpropagation through time).

    Inputs:
    - dh: upstream gradient of each step's output only, (N, T, H). The gradient that flows into
      h_t from step t+1 is not in dh: add it here as you go back in time.
    - cache: from ``rnn_forward``

    Returns (dx, dh0, dWx, dWh, db) with the shapes of (x, h0, Wx, Wh, b). The weights are shared
    by all time steps: their gradients add up over the steps.
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, h = cache
    N, T, _ = x.shape
    # Gradient through tanh for every step, collected so the weight gradients are one matmul each.
    da = np.empty_like(h)
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + dprev_h) * (1 - h[:, t] * h[:, t])
        dprev_h = da[:, t].dot(Wh.T)
    dh0 = dprev_h
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1]], axis=1)
    da_flat = da.reshape(N * T, -1)
    dx = da_flat.dot(Wx.T).reshape(x.shape)
    dWx = x.reshape(N * T, -1).T.dot(da_flat)
    dWh = h_prev.reshape(N * T, -1).T.dot(da_flat)
    db = da_flat.sum(axis=0)
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    """Forward pass of word embeddings: each word index is replaced by its word vector, the row of
    W with that index. N sequences of T words, a vocabulary of V words, vectors of size D.

    Inputs:
    - x: integer word indices, (N, T), each in [0, V)
    - W: word vectors, one row per word, (V, D)

    Returns (out, cache): out (N, T, D), the word vector of every position; cache holds what
    ``word_embedding_backward`` needs.
    """
    ### BEGIN SOLUTION
    out = W[x]
    cache = (x, W.shape)
    ### END SOLUTION
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass of ``word_embedding_forward``.

    A word that appears at several positions gets the gradients of all of them, and a word that
    appears nowhere gets zeros. Hint: look up ``np.add.at``.

    Inputs:
    - dout: upstream gradient, (N, T, D)
    - cache: from ``word_embedding_forward``

    Returns dW, (V, D).
    """
    ### BEGIN SOLUTION
    x, W_shape = cache
    dW = np.zeros(W_shape, dtype=dout.dtype)
    np.add.at(dW, x.ravel(), dout.reshape(-1, W_shape[1]))
    ### END SOLUTION
    return dW


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise, keeping x's dtype.

    Computed as (1 + tanh(x / 2)) / 2, the same function, which never overflows for large
    positive or negative x (exp(-x) would) and costs one pass over the array.
    """
    return 0.5 * (1 + np.tanh(0.5 * x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """Forward pass of one time step of an LSTM (the equations are in the notebook). The input
    dimension is D, the hidden and cell states have H values, the minibatch N examples.

    The activation vector of size 4H is cut into four consecutive blocks of H values, in the order
    input gate i, forget gate f, output gate o, candidate values g. Use ``sigmoid`` (above), which
    is numerically stable.

    Inputs:
    - x: input data for this time step, (N, D)
    - prev_h: previous hidden state, (N, H)
    - prev_c: previous cell state, (N, H)
    - Wx: input-to-hidden weights, (D, 4H)
    - Wh: hidden-to-hidden weights, (H, 4H)
    - b: biases, (4H,)

    Returns (next_h, next_c, cache): both states of shape (N, H), and cache, whatever values
    ``lstm_step_backward`` needs.
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    ifo = sigmoid(a[:, :3 * H])
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    ### END SOLUTION
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Hints: the cell state next_c receives gradient from two places, the next time step (dnext_c)
    and next_h. The sigmoid's derivative is sigmoid(z) (1 - sigmoid(z)), tanh's is
    1 - tanh(z)^2. The gradient of the activation vector has its four blocks in the order i, f, o, g.

    Inputs:
    - dnext_h: gradient with respect to next_h, (N, H)
    - dnext_c: gradient with respect to next_c, (N, H)
    - cache: from ``lstm_step_forward``

    Returns (dx, dprev_h, dprev_c, dWx, dWh, db) with the shapes of (x, prev_h, prev_c, Wx, Wh, b).
    """
    ### BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
    da = np.concatenate([
        dc * g * i * (1 - i),              # input gate
        dc * prev_c * f * (1 - f),         # forget gate
        dnext_h * tanh_c * o * (1 - o),    # output gate
        dc * i * (1 - g * g),              # candidate values
    ], axis=1)
    dprev_c = dc * f
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """Forward pass of an LSTM over a whole sequence of T inputs, one ``lstm_step_forward`` per
    time step. The initial cell state c0 is zeros; the cell states stay inside the layer (keep what
    ``lstm_backward`` needs in the cache).

    Inputs:
    - x: input data, (N, T, D)
    - h0: initial hidden state, (N, H)
    - Wx: input-to-hidden weights, (D, 4H)
    - Wh: hidden-to-hidden weights, (H, 4H)
    - b: biases, (4H,)

    Returns (h, cache): h (N, T, H) holds the T new hidden states, not h0.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx))
    prev_h, prev_c = h0, np.zeros_like(h0)
    steps = []
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        steps.append(step_cache)
    cache = (x, h0, Wx, Wh, h, steps)
    ### END SOLUTION
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass of ``lstm_forward`` (backpropagation through time).

    Inputs:
    - dh: upstream gradient of each step's hidden output only, (N, T, H). The gradient carried from
      step t+1 (into h_t and c_t) is added here; the cell-state gradient starts at zero.
    - cache: from ``lstm_forward``

    Returns (dx, dh0, dWx, dWh, db) with the shapes of (x, h0, Wx, Wh, b); dc0 is not returned.
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, h, steps = cache
    N, T, _ = x.shape
    H = h0.shape[1]
    # This loop does not call lstm_step_backward, on purpose: that would compute dx, dWx and dWh
    # with small matmuls at every step, which made the whole layer about twice as slow. Instead it
    # collects the gradient of each step's gate pre-activations a_t in da, and dx, dWx, dWh and db
    # are one matmul each over all N*T rows after the loop.
    da = np.empty((N, T, 4 * H), dtype=h.dtype)
    dprev_h = np.zeros_like(h0)
    dprev_c = np.zeros_like(h0)
    for t in reversed(range(T)):
        _, _, prev_c, _, _, i, f, o, g, tanh_c = steps[t]
        dnext_h = dh[:, t] + dprev_h
        dc = dprev_c + dnext_h * o * (1 - tanh_c * tanh_c)
        da[:, t, :H] = dc * g * i * (1 - i)
        da[:, t, H:2 * H] = dc * prev_c * f * (1 - f)
        da[:, t, 2 * H:3 * H] = dnext_h * tanh_c * o * (1 - o)
        da[:, t, 3 * H:] = dc * i * (1 - g * g)
        dprev_c = dc * f
        dprev_h = da[:, t].dot(Wh.T)
    dh0 = dprev_h
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1]], axis=1)
    da_flat = da.reshape(N * T, 4 * H)
    dx = da_flat.dot(Wx.T).reshape(x.shape)
    dWx = x.reshape(N * T, -1).T.dot(da_flat)
    dWh = h_prev.reshape(N * T, H).T.dot(da_flat)
    db = da_flat.sum(axis=0)
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    """An affine layer applied at every time step: out[n, t] = x[n, t] w + b.

    Inputs:
    - x: (N, T, D)
    - w: weights, (D, M)
    - b: biases, (M,)

    Returns (out, cache) with out of shape (N, T, M).
    """
    N, T, D = x.shape
    out = x.reshape(N * T, D).dot(w).reshape(N, T, -1) + b
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    """Backward pass of ``temporal_affine_forward``.

    Returns (dx, dw, db) with the shapes of (x, w, b).
    """
    x, w = cache
    N, T, D = x.shape
    dout_flat = dout.reshape(N * T, -1)
    dx = dout_flat.dot(w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T.dot(dout_flat)
    db = dout_flat.sum(axis=0)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax cross-entropy loss over a sequence of scores (the equation is in the notebook):
    summed over the time steps and averaged over the batch. Note the normalisation: divide by N,
    the number of sequences, not by the number of unmasked words. Masked positions (mask False,
    e.g. <NULL> padding) add nothing to the loss or the gradient. Large scores must not overflow.

    Inputs:
    - x: scores, (N, T, V)
    - y: integer targets, (N, T), each in [0, V)
    - mask: booleans, (N, T): whether each target counts
    - verbose: print the shapes of the intermediate arrays

    Returns (loss, dx): the scalar loss and its gradient with respect to x, (N, T, V).
    """
    ### BEGIN SOLUTION
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    shifted = x_flat - x_flat.max(axis=1, keepdims=True)  # stable for large scores
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N * T)
    loss = -np.sum(mask_flat * log_probs[rows, y_flat]) / N

    dx_flat = np.exp(log_probs)
    dx_flat[rows, y_flat] -= 1
    dx_flat *= mask_flat[:, None] / N
    if verbose:
        print("dx_flat:", dx_flat.shape)
    dx = dx_flat.reshape(N, T, V)
    ### END SOLUTION
    return loss, dx


# --------------------------------------------------------------------------------------------
# GRU (extra credit)
#
# The gated recurrent unit of Cho et al. (2014), in the form of the lecture. Its weights hold
# three blocks of H columns, in the order r, z, n:
#   r: reset gate, z: update gate, n: candidate hidden state (h~ in the lecture).
# The notebook Gradient_Flow.ipynb states the equations.
# --------------------------------------------------------------------------------------------

def gru_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a GRU.

    The columns of Wx, Wh and b are three consecutive blocks of H columns, in the order r (reset
    gate), z (update gate), n (candidate hidden state). The candidate's block of Wh multiplies the
    reset previous state r * prev_h, not prev_h.

    Inputs:
    - x: input data for this time step, (N, D)
    - prev_h: hidden state from the previous time step, (N, H)
    - Wx: input-to-hidden weights, (D, 3H)
    - Wh: hidden-to-hidden weights, (H, 3H)
    - b: biases, (3H,)

    Returns (next_h, cache) with next_h of shape (N, H); the cache holds what
    ``gru_step_backward`` needs.
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a_x = x.dot(Wx) + b
    rz = sigmoid(a_x[:, :2 * H] + prev_h.dot(Wh[:, :2 * H]))
    r, z = rz[:, :H], rz[:, H:]
    reset_h = r * prev_h
    n = np.tanh(a_x[:, 2 * H:] + reset_h.dot(Wh[:, 2 * H:]))
    next_h = z * prev_h + (1 - z) * n
    cache = (x, prev_h, Wx, Wh, r, z, n, reset_h)
    ### END SOLUTION
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    """Backward pass of one GRU step.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, (N, H)
    - cache: from ``gru_step_forward``

    Returns (dx, dprev_h, dWx, dWh, db) with the shapes of (x, prev_h, Wx, Wh, b).
    """
    ### BEGIN SOLUTION
    x, prev_h, Wx, Wh, r, z, n, reset_h = cache
    H = prev_h.shape[1]
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    da_n = dn * (1 - n * n)
    dreset_h = da_n.dot(Wh[:, 2 * H:].T)
    dr = dreset_h * prev_h
    da_rz = np.concatenate([dr * r * (1 - r), dz * z * (1 - z)], axis=1)
    da = np.concatenate([da_rz, da_n], axis=1)
    dprev_h = dnext_h * z + dreset_h * r + da_rz.dot(Wh[:, :2 * H].T)
    dx = da.dot(Wx.T)
    dWx = x.T.dot(da)
    dWh = np.concatenate([prev_h.T.dot(da_rz), reset_h.T.dot(da_n)], axis=1)
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    """A GRU run over a whole sequence.

    Inputs:
    - x: input data, (N, T, D)
    - h0: initial hidden state, (N, H)
    - Wx: input-to-hidden weights, (D, 3H), blocks in the order r, z, n
    - Wh: hidden-to-hidden weights, (H, 3H)
    - b: biases, (3H,)

    Returns (h, cache): h (N, T, H) holds the T new hidden states, not h0; the cache holds what
    ``gru_backward`` needs.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx))
    prev_h = h0
    steps = []
    for t in range(T):
        prev_h, step_cache = gru_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        steps.append(step_cache)
    cache = (x, h0, Wx, Wh, steps)
    ### END SOLUTION
    return h, cache


def gru_backward(dh, cache):
    """Backward pass of ``gru_forward`` (backpropagation through time).

    Inputs:
    - dh: upstream gradient of each step's output only, (N, T, H). The gradient that flows into
      h_t from step t+1 is not in dh: add it here as you go back in time.
    - cache: from ``gru_forward``

    Returns (dx, dh0, dWx, dWh, db) with the shapes of (x, h0, Wx, Wh, b).
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, steps = cache
    T = x.shape[1]
    dx = np.empty(x.shape, dtype=np.result_type(dh, Wx))
    dWx, dWh = np.zeros_like(Wx, dtype=dx.dtype), np.zeros_like(Wh, dtype=dx.dtype)
    db = np.zeros(Wx.shape[1], dtype=dx.dtype)
    dprev_h = np.zeros_like(h0, dtype=dx.dtype)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = gru_step_backward(dh[:, t] + dprev_h, steps[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db
