"""The GRU of cs231n/rnn_layers.py (extra credit of Gradient_Flow.ipynb) and CaptioningRNN with
cell_type="gru", against an independent implementation: the lecture's equations written out in
PyTorch, differentiated by autograd, and centered differences.

The lecture's GRU (Cho et al., 2014) applies the reset gate before the matrix product,
h~ = tanh(x W_xn + (r * h) W_hn + b_n); torch.nn.GRU applies it after (r * (h W_hn + b_hn)), so
torch.nn.GRU is not an oracle for this form (a test below shows the two differ).
"""
import numpy as np
import pytest
import torch

from cs231n import rnn_layers as L
from cs231n.classifiers.rnn import CaptioningRNN
from tests import oracle_torch
from tests.oracle_numeric import assert_gradient_close, numeric_input_gradients

# (N, T, D, H), edge cases N = 1, T = 1, H = 1 included.
SHAPES = [(1, 1, 1, 1), (2, 1, 3, 4), (3, 5, 2, 3), (4, 7, 5, 6)]
IDS = [f"N{n}-T{t}-D{d}-H{h}" for n, t, d, h in SHAPES]


def torch_gru_step(x, prev_h, Wx, Wh, b):
    """The lecture's GRU step written out: blocks r, z, n of Wx, Wh, b."""
    H = prev_h.shape[1]
    ax = x @ Wx + b
    r = torch.sigmoid(ax[:, :H] + prev_h @ Wh[:, :H])
    z = torch.sigmoid(ax[:, H:2 * H] + prev_h @ Wh[:, H:2 * H])
    n = torch.tanh(ax[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:])
    return z * prev_h + (1 - z) * n


def torch_gru_sequence(x, h0, Wx, Wh, b):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = torch_gru_step(x[:, t], h, Wx, Wh, b)
        states.append(h)
    return torch.stack(states, dim=1)


def _inputs(rng, N, T, D, H, step, scale=1.0):
    x = rng.standard_normal((N, D) if step else (N, T, D))
    h = rng.standard_normal((N, H))
    return [scale * x, h, rng.standard_normal((D, 3 * H)), rng.standard_normal((H, 3 * H)) / 2,
            rng.standard_normal(3 * H)]


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("step", [True, False], ids=["step", "sequence"])
def test_gru_matches_the_lectures_equations_in_torch(shape, step):
    rng = np.random.default_rng(sum(shape))
    inputs = _inputs(rng, *shape, step)
    forward = L.gru_step_forward if step else L.gru_forward
    backward = L.gru_step_backward if step else L.gru_backward
    out, cache = forward(*inputs)
    upstream = rng.standard_normal(out.shape)
    grads = backward(upstream, cache)
    expected, expected_grads = oracle_torch.run(
        torch_gru_step if step else torch_gru_sequence, inputs, upstream)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    assert len(grads) == 5
    for name, got, want in zip(("dx", "dh", "dWx", "dWh", "db"), grads, expected_grads):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("shape", SHAPES[1:3], ids=IDS[1:3])
@pytest.mark.parametrize("step", [True, False], ids=["step", "sequence"])
def test_gru_backward_matches_centered_differences(shape, step):
    rng = np.random.default_rng(7)
    inputs = _inputs(rng, *shape, step)
    forward = L.gru_step_forward if step else L.gru_forward
    backward = L.gru_step_backward if step else L.gru_backward
    out, cache = forward(*inputs)
    upstream = rng.standard_normal(out.shape)
    analytic = backward(upstream, cache)
    numeric = numeric_input_gradients(lambda *a: forward(*a)[0], inputs, upstream)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        assert_gradient_close(a, n, f"gru d(input {k})")


def test_gru_saturated_gates_stay_finite_and_correct():
    rng = np.random.default_rng(3)
    inputs = _inputs(rng, 2, 1, 3, 4, step=True, scale=100.0)
    out, cache = L.gru_step_forward(*inputs)
    upstream = rng.standard_normal(out.shape)
    grads = L.gru_step_backward(upstream, cache)
    expected, expected_grads = oracle_torch.run(torch_gru_step, inputs, upstream)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    for got, want in zip(grads, expected_grads):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_gru_is_not_torch_nn_gru():
    """Same weights, other form: torch.nn.GRU multiplies by r after the matrix product."""
    rng = np.random.default_rng(0)
    x, h0, Wx, Wh, b = _inputs(rng, 2, 3, 2, 3, step=False)
    ours, _ = L.gru_forward(x, h0, Wx, Wh, b)
    module = torch.nn.GRU(2, 3, batch_first=True).double()
    H = 3
    # torch's block order is r, z, n as well, with h' = (1 - z) * n + z * h: the same except
    # where r is applied.
    params = {"weight_ih_l0": torch.tensor(Wx.T), "weight_hh_l0": torch.tensor(Wh.T),
              "bias_ih_l0": torch.tensor(b), "bias_hh_l0": torch.zeros(3 * H, dtype=torch.float64)}
    theirs, _ = torch.func.functional_call(module, params, (torch.tensor(x), torch.tensor(h0)[None]))
    assert not np.allclose(ours, theirs.detach().numpy(), atol=1e-3)


def test_gru_sequence_is_its_steps_chained_and_leaves_inputs_alone():
    rng = np.random.default_rng(5)
    x, h0, Wx, Wh, b = _inputs(rng, 3, 4, 2, 5, step=False)
    copies = [a.copy() for a in (x, h0, Wx, Wh, b)]
    h, cache = L.gru_forward(x, h0, Wx, Wh, b)
    prev = h0
    for t in range(4):
        prev, _ = L.gru_step_forward(x[:, t], prev, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], prev, rtol=1e-14)
    dh = rng.standard_normal(h.shape)
    dh_copy = dh.copy()
    first = L.gru_backward(dh, cache)
    np.testing.assert_array_equal(dh, dh_copy)
    for a, c in zip((x, h0, Wx, Wh, b), copies):
        np.testing.assert_array_equal(a, c)
    for a, c in zip(first, L.gru_backward(dh_copy, cache)):
        np.testing.assert_array_equal(a, c)


def test_gru_float32_stays_float32():
    rng = np.random.default_rng(1)
    inputs = [a.astype(np.float32) for a in _inputs(rng, 2, 3, 4, 5, step=False)]
    h, cache = L.gru_forward(*inputs)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in L.gru_backward(np.ones_like(h), cache))


def torch_gru_captioning_loss(params, features, captions, null=0):
    p = {k: oracle_torch.tensor(v) for k, v in params.items()}
    captions = torch.as_tensor(captions, dtype=torch.int64)
    h0 = oracle_torch.tensor(features, grad=False) @ p["W_proj"] + p["b_proj"]
    words = torch.nn.functional.embedding(captions[:, :-1], p["W_embed"])
    h = torch_gru_sequence(words, h0, p["Wx"], p["Wh"], p["b"])
    scores = h @ p["W_vocab"] + p["b_vocab"]
    targets = captions[:, 1:]
    loss = oracle_torch.masked_cross_entropy(scores, targets, (targets != null).double())
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in p.items()}


def test_captioning_gru_loss_matches_torch(word_to_idx):
    model = CaptioningRNN(word_to_idx, input_dim=4, wordvec_dim=3, hidden_dim=5, cell_type="gru",
                          dtype=np.float64)
    assert model.params["Wx"].shape == (3, 15) and model.params["Wh"].shape == (5, 15)
    assert model.params["b"].shape == (15,)
    rng = np.random.default_rng(2)
    for k, v in model.params.items():
        model.params[k] = 0.7 * rng.standard_normal(v.shape)
    features = rng.standard_normal((3, 4))
    captions = rng.integers(4, len(word_to_idx), size=(3, 6))
    captions[:, 0], captions[1, 3], captions[1, 4:] = 1, 2, 0
    loss, grads = model.loss(features, captions)
    expected_loss, expected_grads = torch_gru_captioning_loss(model.params, features, captions)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert set(grads) == set(model.params)
    for key, value in expected_grads.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-9, atol=1e-12, err_msg=key)


def test_captioning_gru_samples_with_gru_steps(word_to_idx):
    np.random.seed(0)
    model = CaptioningRNN(word_to_idx, input_dim=4, wordvec_dim=3, hidden_dim=5, cell_type="gru",
                          dtype=np.float64)
    features = np.random.default_rng(1).standard_normal((2, 4))
    captions = model.sample(features, max_length=4)
    # The first word by hand: one GRU step from the projected features on <START>.
    h0 = features @ model.params["W_proj"] + model.params["b_proj"]
    h1, _ = L.gru_step_forward(model.params["W_embed"][[1, 1]], h0, model.params["Wx"],
                               model.params["Wh"], model.params["b"])
    first = (h1 @ model.params["W_vocab"] + model.params["b_vocab"]).argmax(axis=1)
    np.testing.assert_array_equal(captions[:, 0], first)


def test_unknown_cell_type_names_gru_among_the_choices(word_to_idx):
    with pytest.raises(ValueError, match="gru"):
        CaptioningRNN(word_to_idx, cell_type="transformer")
