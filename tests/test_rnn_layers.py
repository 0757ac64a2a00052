"""The layers of cs231n/rnn_layers.py, checked three independent ways:

1. every backward against centered differences computed here (tests/oracle_numeric.py states the
   error measure: entrywise |a - n| <= 1e-7 * max|n| + 1e-5 * |n|, float64, h = 1e-6);
2. every forward and backward against PyTorch's nn.RNN / nn.LSTM / cross entropy (float64, agreement
   to 1e-10 relative);
3. the fixed-input checks of the classic course notebooks, with their published expected outputs.

Shapes include the edge cases T = 1, N = 1, H = 1 and D = 1. No test looks inside a cache.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from cs231n import gradient_check
from cs231n import rnn_layers as L
from tests import oracle_torch
from tests.oracle_numeric import (
    assert_gradient_close,
    numeric_gradient,
    numeric_input_gradients,
    notebook_rel_error,
)

# (N, T, D, H): the edge cases first, then an ordinary one.
SHAPES = [(1, 1, 1, 1), (2, 1, 3, 1), (1, 4, 2, 3), (3, 1, 2, 2), (3, 5, 4, 3)]
SHAPE_IDS = [f"N{n}-T{t}-D{d}-H{h}" for n, t, d, h in SHAPES]
VOCAB = 3  # small, so that words repeat within and across captions


@dataclass
class Layer:
    """A forward/backward pair described for the generic tests below."""
    name: str
    make_inputs: Callable   # (rng, N, T, D, H) -> list of arrays
    forward: Callable       # (*inputs) -> (tuple of outputs, cache)
    backward: Callable      # (tuple of upstream gradients, cache) -> tuple of gradients
    wrt: tuple              # indices of the inputs that backward returns gradients for
    torch_forward: Callable  # (*torch tensors) -> tensor or tuple of tensors
    integer: tuple = ()     # indices of integer inputs


def _randn(rng, *shape):
    return rng.standard_normal(shape)


def _sequence_inputs(gates):
    def make(rng, N, T, D, H):
        return [_randn(rng, N, T, D), _randn(rng, N, H), _randn(rng, D, gates * H),
                _randn(rng, H, gates * H), _randn(rng, gates * H)]
    return make


def _single(forward):
    """Adapt a forward returning (out, cache) to ((out,), cache)."""
    def call(*inputs):
        out, cache = forward(*inputs)
        return (out,), cache
    return call


def _lstm_step_forward(*inputs):
    next_h, next_c, cache = L.lstm_step_forward(*inputs)
    return (next_h, next_c), cache


def _torch_sequence(cell_type):
    return lambda x, h0, Wx, Wh, b: oracle_torch.torch_sequence(cell_type, x, h0, Wx, Wh, b)


LAYERS = [
    Layer("affine",
          lambda rng, N, T, D, H: [_randn(rng, N, T, D), _randn(rng, T * D, H), _randn(rng, H)],
          _single(L.affine_forward), lambda up, cache: L.affine_backward(up[0], cache), (0, 1, 2),
          lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b),
    Layer("temporal_affine",
          lambda rng, N, T, D, H: [_randn(rng, N, T, D), _randn(rng, D, H), _randn(rng, H)],
          _single(L.temporal_affine_forward), lambda up, cache: L.temporal_affine_backward(up[0], cache),
          (0, 1, 2), lambda x, w, b: x @ w + b),
    Layer("rnn_step",
          lambda rng, N, T, D, H: [_randn(rng, N, D), _randn(rng, N, H), _randn(rng, D, H),
                                   _randn(rng, H, H), _randn(rng, H)],
          _single(L.rnn_step_forward), lambda up, cache: L.rnn_step_backward(up[0], cache),
          (0, 1, 2, 3, 4),
          lambda x, h, Wx, Wh, b: oracle_torch.torch_step("rnn", x, h, None, Wx, Wh, b)),
    Layer("rnn", _sequence_inputs(1), _single(L.rnn_forward),
          lambda up, cache: L.rnn_backward(up[0], cache), (0, 1, 2, 3, 4), _torch_sequence("rnn")),
    Layer("lstm_step",
          lambda rng, N, T, D, H: [_randn(rng, N, D), _randn(rng, N, H), _randn(rng, N, H),
                                   _randn(rng, D, 4 * H), _randn(rng, H, 4 * H), _randn(rng, 4 * H)],
          _lstm_step_forward, lambda up, cache: L.lstm_step_backward(up[0], up[1], cache),
          (0, 1, 2, 3, 4, 5),
          lambda x, h, c, Wx, Wh, b: oracle_torch.torch_step("lstm", x, h, c, Wx, Wh, b)),
    Layer("lstm", _sequence_inputs(4), _single(L.lstm_forward),
          lambda up, cache: L.lstm_backward(up[0], cache), (0, 1, 2, 3, 4), _torch_sequence("lstm")),
    Layer("word_embedding",
          lambda rng, N, T, D, H: [rng.integers(0, VOCAB, size=(N, T)), _randn(rng, VOCAB, D)],
          _single(L.word_embedding_forward),
          lambda up, cache: (L.word_embedding_backward(up[0], cache),), (1,),
          lambda x, W: oracle_torch.F.embedding(x, W), integer=(0,)),
]


def _case(layer, shape, seed=0):
    """Inputs, outputs, cache and random upstream gradients of one layer at one shape."""
    rng = np.random.default_rng(seed)
    inputs = layer.make_inputs(rng, *shape)
    outputs, cache = layer.forward(*inputs)
    upstream = tuple(rng.standard_normal(out.shape) for out in outputs)
    return inputs, outputs, cache, upstream


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_backward_matches_centered_differences(layer, shape):
    inputs, _, cache, upstream = _case(layer, shape)
    analytic = layer.backward(upstream, cache)
    assert len(analytic) == len(layer.wrt)
    numeric = numeric_input_gradients(lambda *a: layer.forward(*a)[0], inputs, upstream, layer.wrt)
    for k, a, n in zip(layer.wrt, analytic, numeric):
        assert_gradient_close(a, n, f"{layer.name} d(input {k})")


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_forward_and_backward_match_torch(layer, shape):
    inputs, outputs, cache, upstream = _case(layer, shape, seed=1)
    analytic = layer.backward(upstream, cache)
    expected_outputs, expected_grads = oracle_torch.run(
        layer.torch_forward, inputs, upstream if len(upstream) > 1 else upstream[0], layer.integer)
    expected_outputs = expected_outputs if isinstance(expected_outputs, tuple) else (expected_outputs,)
    for k, (ours, theirs) in enumerate(zip(outputs, expected_outputs)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{layer.name} output {k}")
    for k, grad in zip(layer.wrt, analytic):
        np.testing.assert_allclose(grad, expected_grads[k], rtol=1e-10, atol=1e-12,
                                   err_msg=f"{layer.name} gradient of input {k}")


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_backward_leaves_upstream_and_cache_unchanged(layer):
    """The upstream gradients are not modified, and backward can run twice on one cache."""
    _, _, cache, upstream = _case(layer, (3, 4, 2, 3))
    copies = tuple(u.copy() for u in upstream)
    first = layer.backward(upstream, cache)
    for k, (u, c) in enumerate(zip(upstream, copies)):
        np.testing.assert_array_equal(u, c, err_msg=f"{layer.name} modified upstream gradient {k}")
    second = layer.backward(copies, cache)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b, err_msg=f"{layer.name}: a second backward differs")


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_forward_leaves_inputs_unchanged(layer):
    rng = np.random.default_rng(2)
    inputs = layer.make_inputs(rng, 2, 3, 4, 5)
    copies = [a.copy() for a in inputs]
    layer.forward(*inputs)
    for k, (a, c) in enumerate(zip(inputs, copies)):
        np.testing.assert_array_equal(a, c, err_msg=f"{layer.name} modified input {k}")


def test_sequence_outputs_exclude_h0():
    """h holds h_1 ... h_T: its first step equals one step from h0, and T = 1 gives that step only."""
    rng = np.random.default_rng(3)
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    Wx, Wh, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
    h, _ = L.rnn_forward(x, h0, Wx, Wh, b)
    np.testing.assert_allclose(h[:, 0], np.tanh(x[:, 0] @ Wx + h0 @ Wh + b), rtol=1e-12)
    Wx4, Wh4, b4 = rng.standard_normal((4, 20)), rng.standard_normal((5, 20)), rng.standard_normal(20)
    h, _ = L.lstm_forward(x, h0, Wx4, Wh4, b4)
    step_h, _, _ = L.lstm_step_forward(x[:, 0], h0, np.zeros_like(h0), Wx4, Wh4, b4)
    np.testing.assert_allclose(h[:, 0], step_h, rtol=1e-12)


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sequence_layer_equals_its_steps_chained(cell_type):
    """rnn/lstm_forward and _backward agree with chaining the step functions by hand (the sequence
    layers may be written out for speed; they must compute the same thing)."""
    rng = np.random.default_rng(10)
    N, T, D, H = 3, 6, 4, 5
    gates = 4 if cell_type == "lstm" else 1
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, gates * H)), rng.standard_normal((H, gates * H))
    b, dh = rng.standard_normal(gates * H), rng.standard_normal((N, T, H))
    forward, backward = (L.lstm_forward, L.lstm_backward) if gates == 4 else (L.rnn_forward, L.rnn_backward)
    h, cache = forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = backward(dh, cache)

    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        if gates == 4:
            prev_h, prev_c, step_cache = L.lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        else:
            prev_h, step_cache = L.rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], prev_h, rtol=1e-12, atol=1e-14, err_msg=f"h step {t}")
        caches.append(step_cache)
    expected = {"dx": np.zeros_like(x), "dWx": 0, "dWh": 0, "db": 0}
    dprev_h, dprev_c = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        if gates == 4:
            dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = L.lstm_step_backward(
                dh[:, t] + dprev_h, dprev_c, caches[t])
        else:
            dx_t, dprev_h, dWx_t, dWh_t, db_t = L.rnn_step_backward(dh[:, t] + dprev_h, caches[t])
        expected["dx"][:, t] = dx_t
        expected["dWx"] += dWx_t
        expected["dWh"] += dWh_t
        expected["db"] += db_t
    for name, ours in (("dx", dx), ("dWx", dWx), ("dWh", dWh), ("db", db)):
        np.testing.assert_allclose(ours, expected[name], rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(dh0, dprev_h, rtol=1e-10, atol=1e-12, err_msg="dh0")


def test_word_embedding_accumulates_repeated_words():
    x = np.array([[1, 1, 2], [2, 1, 0]])  # word 1 three times, word 2 twice, word 3 never
    W = np.arange(12.0).reshape(4, 3)
    out, cache = L.word_embedding_forward(x, W)
    np.testing.assert_array_equal(out, W[x])
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dW = L.word_embedding_backward(dout, cache)
    expected = np.zeros_like(W)
    for n in range(2):
        for t in range(3):
            expected[x[n, t]] += dout[n, t]
    np.testing.assert_allclose(dW, expected, rtol=1e-12)
    assert not dW[3].any()


# ---- temporal softmax loss -------------------------------------------------------------------

SOFTMAX_CASES = [(1, 1, 1), (1, 1, 4), (2, 1, 5), (1, 6, 3), (4, 5, 7)]


def _softmax_case(N, T, V, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, V)) * 2
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.6
    mask[0, 0] = True
    if N > 1:
        mask[-1] = False  # a caption with nothing to score
    return x, y, mask


@pytest.mark.parametrize("N,T,V", SOFTMAX_CASES)
def test_temporal_softmax_loss_gradient_matches_centered_differences(N, T, V):
    x, y, mask = _softmax_case(N, T, V, seed=5)
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    numeric = numeric_gradient(lambda v: L.temporal_softmax_loss(v, y, mask)[0], x)
    assert_gradient_close(dx, numeric, "temporal_softmax_loss dx")
    assert not dx[~mask].any(), "dx must be zero where mask is False"


@pytest.mark.parametrize("N,T,V", SOFTMAX_CASES)
def test_temporal_softmax_loss_matches_torch_cross_entropy(N, T, V):
    x, y, mask = _softmax_case(N, T, V, seed=6)
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    expected_loss, (expected_dx, _, _) = oracle_torch.run(
        oracle_torch.masked_cross_entropy, [x, y, mask.astype(float)], None, integer_inputs=(1,))
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-10, atol=1e-14)


def test_temporal_softmax_loss_is_stable_for_large_scores():
    x, y, mask = _softmax_case(3, 4, 5, seed=7)
    big = x * 1e4
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss, dx = L.temporal_softmax_loss(big, y, mask)
        shifted_loss, shifted_dx = L.temporal_softmax_loss(big - 5e4, y, mask)
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    np.testing.assert_allclose(loss, shifted_loss, rtol=1e-9)
    np.testing.assert_allclose(dx, shifted_dx, atol=1e-12)


def test_temporal_softmax_loss_divides_by_batch_not_by_tokens():
    """Uniform scores: each scored token costs log V; the sum over tokens is divided by N only."""
    N, T, V = 4, 6, 5
    mask = np.zeros((N, T), dtype=bool)
    mask[0, :5] = True
    mask[2, :1] = True
    loss, _ = L.temporal_softmax_loss(np.zeros((N, T, V)), np.zeros((N, T), dtype=int), mask)
    np.testing.assert_allclose(loss, mask.sum() * np.log(V) / N, rtol=1e-12)


@pytest.mark.parametrize("N,T,V,p", [(100, 1, 10, 1.0), (100, 10, 10, 1.0), (5000, 10, 10, 0.1)])
def test_temporal_softmax_loss_classic_sanity_values(N, T, V, p):
    """The notebook's sanity check: tiny random scores cost about T * p * log(V) per caption
    (about 2.3, 23 and 2.3 for these three cases)."""
    np.random.seed(231)
    x = 0.001 * np.random.randn(N, T, V)
    y = np.random.randint(V, size=(N, T))
    mask = np.random.rand(N, T) <= p
    loss, _ = L.temporal_softmax_loss(x, y, mask)
    np.testing.assert_allclose(loss, T * p * np.log(V), rtol=0.05)


def test_sigmoid_is_stable_and_accurate():
    """No overflow or invalid value for huge |x|, and accurate to 1e-15 everywhere."""
    x = np.array([-1e4, -800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = L.sigmoid(x)
    expected = np.exp(-np.logaddexp(0, -x))  # log-domain 1 / (1 + exp(-x)), exact here
    np.testing.assert_allclose(s, expected, rtol=1e-14, atol=1e-15)
    assert s[0] == pytest.approx(0, abs=1e-300) and s[-1] == 1.0
    x32 = np.array([-200.0, 0.0, 200.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s32 = L.sigmoid(x32)
    np.testing.assert_allclose(s32, [0.0, 0.5, 1.0], atol=1e-7)


# ---- dtypes (the kit trains in float32) ------------------------------------------------------

@pytest.mark.kit_extra
@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_float32_stays_float32(layer):
    rng = np.random.default_rng(8)
    inputs = [a if k in layer.integer else a.astype(np.float32)
              for k, a in enumerate(layer.make_inputs(rng, 2, 3, 4, 5))]
    outputs, cache = layer.forward(*inputs)
    assert all(out.dtype == np.float32 for out in outputs), [out.dtype for out in outputs]
    upstream = tuple(np.ones_like(out) for out in outputs)
    grads = layer.backward(upstream, cache)
    assert all(np.asarray(g).dtype == np.float32 for g in grads), [np.asarray(g).dtype for g in grads]


# ---- the classic notebooks' fixed-input checks (published expected outputs) -----------------

def test_classic_rnn_step_forward():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    next_h, _ = L.rnn_step_forward(x, prev_h, Wx, Wh, b)
    expected_next_h = np.asarray([
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    np.testing.assert_allclose(next_h, expected_next_h, rtol=0, atol=1e-8)


def test_classic_rnn_forward():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)
    h, _ = L.rnn_forward(x, h0, Wx, Wh, b)
    expected_h = np.asarray([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])
    np.testing.assert_allclose(h, expected_h, rtol=0, atol=1e-8)


def test_classic_word_embedding_forward():
    V, D = 5, 3
    x = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
    W = np.linspace(0, 1, num=V * D).reshape(V, D)
    out, _ = L.word_embedding_forward(x, W)
    expected_out = np.asarray([
        [[0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429],
         [0.21428571, 0.28571429, 0.35714286],
         [0.42857143, 0.5, 0.57142857]],
        [[0.42857143, 0.5, 0.57142857],
         [0.21428571, 0.28571429, 0.35714286],
         [0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429]]])
    np.testing.assert_allclose(out, expected_out, rtol=0, atol=1e-8)


def test_classic_lstm_step_forward():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    next_h, next_c, _ = L.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    expected_next_h = np.asarray([
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_next_c = np.asarray([
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    np.testing.assert_allclose(next_h, expected_next_h, rtol=0, atol=1e-8)
    np.testing.assert_allclose(next_c, expected_next_c, rtol=0, atol=1e-8)


def test_classic_lstm_forward():
    N, D, H, T = 2, 5, 4, 3
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    h, _ = L.lstm_forward(x, h0, Wx, Wh, b)
    expected_h = np.asarray([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])
    np.testing.assert_allclose(h, expected_h, rtol=0, atol=1e-8)


# The notebooks' seeded gradient checks, run as the notebooks run them: np.random.seed(231), arrays
# drawn with randn in the notebook's order, cs231n.gradient_check with lambdas that read the perturbed
# array through a closure. The notebooks print errors up to ~1e-6 here (h = 1e-5 differences on entries
# near zero); a wrong gradient gives errors near 1.
CLASSIC_GRADIENT_THRESHOLD = 1e-5


def _classic_check(forward, backward, arrays, dout_shape_from, num_outputs=1):
    """Gradient check in the notebook style for a forward with the given arrays (drawn already)."""
    out = forward(*arrays)
    outs = out[:num_outputs]
    cache = out[num_outputs]
    douts = [np.random.randn(*o.shape) for o in outs]
    analytic = backward(*douts, cache)
    for k, array in enumerate(arrays):
        numeric = sum(gradient_check.eval_numerical_gradient_array(
            lambda _, j=j: forward(*arrays)[j], array, dout) for j, dout in enumerate(douts))
        error = notebook_rel_error(numeric, analytic[k])
        assert error < CLASSIC_GRADIENT_THRESHOLD, f"input {k}: rel_error {error:.2e}"


def test_classic_seeded_rnn_step_backward():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    arrays = [np.random.randn(N, D), np.random.randn(N, H), np.random.randn(D, H),
              np.random.randn(H, H), np.random.randn(H)]
    _classic_check(L.rnn_step_forward, L.rnn_step_backward, arrays, None)


def test_classic_seeded_rnn_backward():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 5
    arrays = [np.random.randn(N, T, D), np.random.randn(N, H), np.random.randn(D, H),
              np.random.randn(H, H), np.random.randn(H)]
    _classic_check(L.rnn_forward, L.rnn_backward, arrays, None)


def test_classic_seeded_lstm_step_backward():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    arrays = [np.random.randn(N, D), np.random.randn(N, H), np.random.randn(N, H),
              np.random.randn(D, 4 * H), np.random.randn(H, 4 * H), np.random.randn(4 * H)]
    _classic_check(L.lstm_step_forward, L.lstm_step_backward, arrays, None, num_outputs=2)


def test_classic_seeded_lstm_backward():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 6
    arrays = [np.random.randn(N, T, D), np.random.randn(N, H), np.random.randn(D, 4 * H),
              np.random.randn(H, 4 * H), np.random.randn(4 * H)]
    _classic_check(L.lstm_forward, L.lstm_backward, arrays, None)


def test_classic_seeded_temporal_affine_and_embedding_backward():
    np.random.seed(231)
    N, T, D, M = 2, 3, 4, 5
    arrays = [np.random.randn(N, T, D), np.random.randn(D, M), np.random.randn(M)]
    _classic_check(L.temporal_affine_forward, L.temporal_affine_backward, arrays, None)

    np.random.seed(231)
    N, T, V, D = 50, 3, 5, 6
    x = np.random.randint(V, size=(N, T))
    W = np.random.randn(V, D)
    out, cache = L.word_embedding_forward(x, W)
    dout = np.random.randn(*out.shape)
    dW = L.word_embedding_backward(dout, cache)
    dW_num = gradient_check.eval_numerical_gradient_array(
        lambda _: L.word_embedding_forward(x, W)[0], W, dout)
    assert notebook_rel_error(dW, dW_num) < CLASSIC_GRADIENT_THRESHOLD


# ---- cs231n.gradient_check itself ------------------------------------------------------------

def test_gradient_check_perturbs_in_place_and_restores():
    """Closures that ignore their argument see the perturbed array; the array comes back intact."""
    rng = np.random.default_rng(9)
    A = rng.standard_normal((3, 4))
    original = A.copy()
    grad = gradient_check.eval_numerical_gradient(lambda _: np.sum(A ** 3), A, verbose=False)
    np.testing.assert_array_equal(A, original)
    np.testing.assert_allclose(grad, 3 * original ** 2, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(grad, numeric_gradient(lambda v: np.sum(v ** 3), original),
                               rtol=1e-6, atol=1e-9)

    df = rng.standard_normal((3, 4))
    grad = gradient_check.eval_numerical_gradient_array(lambda _: np.sin(A), A, df)
    np.testing.assert_array_equal(A, original)
    np.testing.assert_allclose(grad, np.cos(original) * df, rtol=1e-7, atol=1e-9)


def test_gradient_check_verbose_and_step_size(capsys):
    x = np.array([1.0, 2.0])
    grad = gradient_check.eval_numerical_gradient(lambda v: float(v @ v), x, verbose=True, h=1e-3)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-9)
    printed = capsys.readouterr().out
    assert "(0,)" in printed and "(1,)" in printed
    assert gradient_check.rel_error(np.array([1.0]), np.array([1.0 + 2e-9])) == pytest.approx(1e-9)
