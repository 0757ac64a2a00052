"""The same layers built from PyTorch's own modules and autograd (CPU, float64): an independent
implementation to compare forward values and every gradient with.

Weight mapping: torch stores W_ih (k*H, D) and W_hh (k*H, H), i.e. our Wx and Wh transposed, with two
biases (b_ih, b_hh: here b_ih = b and b_hh = 0). torch's LSTM gate order is i, f, g, o; ours is
i, f, o, g, so the last two blocks swap places. torch is a test dependency only: cs231n never imports it.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call


def tensor(a, grad=True):
    """A float64 leaf tensor holding a copy of a."""
    return torch.tensor(np.array(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def ours_to_torch_gates(w, axis=-1):
    """Reorder the gate blocks i, f, o, g (ours) to i, f, g, o (torch) along axis."""
    i, f, o, g = torch.chunk(w, 4, dim=axis)
    return torch.cat([i, f, g, o], dim=axis)


def _cell_params(Wx, Wh, b, lstm):
    """torch parameter dict (transposed, gates reordered) built from our tensors, gradients flowing."""
    reorder = ours_to_torch_gates if lstm else (lambda w, axis=-1: w)
    return {"weight_ih": reorder(Wx).T, "weight_hh": reorder(Wh).T,
            "bias_ih": reorder(b), "bias_hh": torch.zeros_like(b)}


def _layer_params(Wx, Wh, b, lstm):
    return {name + "_l0": value for name, value in _cell_params(Wx, Wh, b, lstm).items()}


def torch_sequence(cell_type, x, h0, Wx, Wh, b):
    """h (N, T, H) of nn.RNN / nn.LSTM (batch_first) on torch tensors with our parameter layout."""
    N, T, D = x.shape
    H = h0.shape[1]
    lstm = cell_type == "lstm"
    module = (torch.nn.LSTM if lstm else torch.nn.RNN)(D, H, batch_first=True).double()
    state = (h0[None], torch.zeros_like(h0)[None]) if lstm else h0[None]
    h, _ = functional_call(module, _layer_params(Wx, Wh, b, lstm), (x, state))
    return h


def torch_step(cell_type, x, prev_h, prev_c, Wx, Wh, b):
    """One step of nn.RNNCell / nn.LSTMCell: next_h (rnn) or (next_h, next_c) (lstm)."""
    D, H = x.shape[1], prev_h.shape[1]
    lstm = cell_type == "lstm"
    module = (torch.nn.LSTMCell if lstm else torch.nn.RNNCell)(D, H).double()
    state = (prev_h, prev_c) if lstm else prev_h
    return functional_call(module, _cell_params(Wx, Wh, b, lstm), (x, state))


def masked_cross_entropy(scores, targets, mask):
    """sum over (n, t) with mask of -log softmax(scores[n, t])[targets[n, t]], divided by N."""
    N, T, V = scores.shape
    per_token = F.cross_entropy(scores.reshape(N * T, V), targets.reshape(N * T), reduction="none")
    return (per_token * mask.reshape(N * T)).sum() / N


def run(forward, inputs, upstream, integer_inputs=()):
    """Evaluate forward on torch copies of inputs, backpropagate upstream, return numpy results.

    - forward: function of torch tensors returning one tensor or a tuple of tensors
    - inputs: list of numpy arrays; those at integer_inputs are passed as int64 tensors
    - upstream: one array or tuple of arrays matching the outputs (None for a scalar output)
    Returns (outputs as numpy (tuple or single), gradients as numpy list, None for integer inputs).
    """
    leaves = [torch.as_tensor(np.asarray(a), dtype=torch.int64) if k in integer_inputs else tensor(a)
              for k, a in enumerate(inputs)]
    out = forward(*leaves)
    outs = out if isinstance(out, tuple) else (out,)
    if upstream is None:
        outs[0].backward()
    else:
        ups = upstream if isinstance(upstream, tuple) else (upstream,)
        torch.autograd.backward(outs, [torch.as_tensor(np.asarray(u, dtype=np.float64)) for u in ups])
    grads = []
    for k, leaf in enumerate(leaves):
        if k in integer_inputs:
            grads.append(None)
        else:  # an input the output does not depend on has no .grad: its gradient is zero
            grads.append(leaf.grad.numpy() if leaf.grad is not None else np.zeros(leaf.shape))
    values = tuple(o.detach().numpy() for o in outs)
    return (values if isinstance(out, tuple) else values[0]), grads


def captioning_loss(params, features, captions, cell_type, null=0):
    """CaptioningRNN.loss rebuilt with torch modules: returns (loss, grads) with numpy values."""
    p = {k: tensor(v) for k, v in params.items()}
    captions = torch.as_tensor(np.asarray(captions), dtype=torch.int64)
    captions_in, captions_out = captions[:, :-1], captions[:, 1:]
    h0 = tensor(features, grad=False) @ p["W_proj"] + p["b_proj"]
    words = F.embedding(captions_in, p["W_embed"])
    h = torch_sequence(cell_type, words, h0, p["Wx"], p["Wh"], p["b"])
    scores = h @ p["W_vocab"] + p["b_vocab"]
    loss = masked_cross_entropy(scores, captions_out, (captions_out != null).double())
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in p.items()}
