"""A deep character-level language model trained with truncated backpropagation through time.

Shapes: N parallel streams of text, T characters per chunk, V characters in the vocabulary,
W character-vector dim, H hidden dim, L layers.

The model reads a chunk of characters x (N, T) and predicts each next character y (N, T):
embedding -> L stacked rnn or lstm layers (layer l's hidden states are layer l+1's inputs) ->
temporal affine to vocabulary scores -> temporal softmax loss. It reuses the layers of
cs231n/rnn_layers.py.

The state of the model is (h, c): the hidden states h and the cell states c of every layer, two
arrays of shape (L, N, H). A vanilla rnn has no cell state: its c is zeros and stays zeros.
"""
import numpy as np

from ..rnn_layers import (lstm_step_backward, lstm_step_forward, rnn_backward, rnn_forward,
                          rnn_step_forward, temporal_affine_backward, temporal_affine_forward,
                          temporal_softmax_loss, word_embedding_backward,
                          word_embedding_forward)

CELL_TYPES = ("rnn", "lstm")


def layer_keys(layer):
    """The names of layer `layer`'s parameters: ('Wx0', 'Wh0', 'b0') for layer 0."""
    return f"Wx{layer}", f"Wh{layer}", f"b{layer}"


def draw_chars(probs, rng):
    """Draw one character per row of a probability table: the sampling primitive of the kit.

    One number u is drawn per row with rng.random(N); the character drawn is the smallest index i
    with u < probs[n, 0] + ... + probs[n, i] (inverse transform sampling). A character of
    probability 0 is never drawn. Given the same probabilities and the same generator state, every
    correct sampler that calls this function once per step draws the same characters.

    Inputs:
    - probs: (N, V) rows of probabilities, each summing to 1
    - rng: a numpy Generator (np.random.default_rng(seed))

    Returns an int array (N,) of character indices.
    """
    probs = np.asarray(probs, dtype=np.float64)
    u = rng.random(probs.shape[0])
    cumulative = np.cumsum(probs, axis=1)
    index = np.sum(cumulative <= u[:, None], axis=1)
    last_possible = probs.shape[1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=1)
    return np.minimum(index, last_possible).astype(np.int64)


def char_probabilities(scores, temperature=1.0, top_k=None):
    """The distribution the next character is drawn from, given the model's scores.

    With temperature T > 0 the probabilities are the softmax of scores / T: T = 1 is the model's
    own distribution, T < 1 sharpens it and T > 1 flattens it. T = 0 is greedy decoding: probability
    1 for the highest score of each row (the first one, np.argmax, if several are equal) and 0
    elsewhere. With top_k = k, only the characters whose score is at least the k-th highest score of
    their row keep their probability; the others get 0, and each row is renormalised to sum to 1.
    Computed without overflow for scores of any size.

    Inputs:
    - scores: (N, V) unnormalised scores
    - temperature: float >= 0
    - top_k: None (every character), or an int in [1, V]

    Returns probs, a float64 array (N, V) whose rows sum to 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    V = scores.shape[1]
    if top_k is not None and not 1 <= top_k <= V:
        raise ValueError(f"top_k must be None or an int in [1, {V}], got {top_k}")
    probs = np.zeros_like(scores)
    ### BEGIN SOLUTION
    if temperature == 0:
        probs[np.arange(len(scores)), np.argmax(scores, axis=1)] = 1.0
        return probs
    keep = np.ones(scores.shape, dtype=bool)
    if top_k is not None:
        kth = np.sort(scores, axis=1)[:, V - top_k]
        keep = scores >= kth[:, None]
    shifted = (scores - scores.max(axis=1, keepdims=True)) / temperature
    weights = np.where(keep, np.exp(shifted), 0.0)
    probs = weights / weights.sum(axis=1, keepdims=True)
    ### END SOLUTION
    return probs


class CharRNN:
    """A character-level language model with num_layers stacked rnn or lstm layers.

    Parameters (in self.params), drawn with the global np.random.randn in this order, then cast to
    dtype (m = 1 for rnn, 4 for lstm; layer 0 reads character vectors, the others hidden states):

    | key | shape | initial value |
    |---|---|---|
    | W_embed | (V, W) | randn / 10 |
    | Wx{l} | (W or H, m*H) | randn / sqrt(input dim) |
    | Wh{l} | (H, m*H) | randn / sqrt(H) |
    | b{l} | (m*H,) | zeros (lstm: 1 for the forget gate's block, so the cells remember at first) |
    | W_vocab | (H, V) | randn / sqrt(H) |
    | b_vocab | (V,) | zeros |
    """

    def __init__(self, vocab_size, wordvec_dim=32, hidden_dim=128, num_layers=1,
                 cell_type="lstm", dtype=np.float32):
        if cell_type not in CELL_TYPES:
            raise ValueError(f'cell_type must be one of {CELL_TYPES}, got {cell_type!r}')
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.cell_type, self.dtype = cell_type, dtype
        self.vocab_size, self.hidden_dim, self.num_layers = vocab_size, hidden_dim, num_layers
        V, W, H = vocab_size, wordvec_dim, hidden_dim
        m = 4 if cell_type == "lstm" else 1
        self.params = {"W_embed": np.random.randn(V, W) / 10}
        for layer in range(num_layers):
            wx, wh, b = layer_keys(layer)
            inputs = W if layer == 0 else H
            self.params[wx] = np.random.randn(inputs, m * H) / np.sqrt(inputs)
            self.params[wh] = np.random.randn(H, m * H) / np.sqrt(H)
            self.params[b] = np.zeros(m * H)
            if cell_type == "lstm":
                self.params[b][H:2 * H] = 1.0
        self.params["W_vocab"] = np.random.randn(H, V) / np.sqrt(H)
        self.params["b_vocab"] = np.zeros(V)
        for key, value in self.params.items():
            self.params[key] = value.astype(dtype)

    def initial_state(self, N):
        """The zero state (h, c) of N streams: two arrays (L, N, H)."""
        shape = (self.num_layers, N, self.hidden_dim)
        return np.zeros(shape, dtype=self.dtype), np.zeros(shape, dtype=self.dtype)

    def loss(self, x, y, h0=None, c0=None):
        """Loss and gradients on one chunk of text, starting from a given state.

        The loss is temporal_softmax_loss of the scores of every position (no position is masked):
        summed over the T positions, averaged over the N streams. Truncated backpropagation
        through time: the gradients are those of this chunk's loss with the initial state (h0, c0)
        held constant; nothing flows back into the chunk before. The final state lets the next
        chunk of the same streams start where this one ended.

        Inputs:
        - x: int array (N, T), input characters
        - y: int array (N, T), target characters (the next character of each input)
        - h0: (L, N, H) initial hidden state of every layer, or None for zeros
        - c0: (L, N, H) initial cell state of every layer (lstm; ignored for rnn), or None for zeros

        Returns a tuple of:
        - loss: float
        - grads: dict with the keys of self.params, the gradients of the loss
        - state: (hT, cT), the hidden and cell states of every layer after the last position,
          arrays (L, N, H); cT is zeros for rnn
        """
        zero_h, zero_c = self.initial_state(x.shape[0])
        loss, grads = 0.0, {}
        hT, cT = np.zeros_like(zero_h), np.zeros_like(zero_c)
        ### BEGIN SOLUTION
        h0 = zero_h if h0 is None else h0
        c0 = zero_c if c0 is None else c0
        layer_in, embed_cache = word_embedding_forward(x, self.params["W_embed"])
        caches = []
        for layer in range(self.num_layers):
            Wx, Wh, b = (self.params[k] for k in layer_keys(layer))
            if self.cell_type == "rnn":
                h, cache = rnn_forward(layer_in, h0[layer], Wx, Wh, b)
            else:
                h, cT[layer], cache = lstm_sequence_forward(layer_in, h0[layer], c0[layer], Wx, Wh, b)
            hT[layer] = h[:, -1]
            caches.append(cache)
            layer_in = h
        scores, affine_cache = temporal_affine_forward(layer_in, self.params["W_vocab"],
                                                       self.params["b_vocab"])
        loss, dscores = temporal_softmax_loss(scores, y, np.ones(x.shape, dtype=bool))

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, affine_cache)
        for layer in reversed(range(self.num_layers)):
            wx, wh, b = layer_keys(layer)
            backward = rnn_backward if self.cell_type == "rnn" else lstm_sequence_backward
            dh, _, grads[wx], grads[wh], grads[b] = backward(dh, caches[layer])
        grads["W_embed"] = word_embedding_backward(dh, embed_cache)
        ### END SOLUTION
        return loss, grads, (hT, cT)

    def sample(self, prime, length, temperature=1.0, top_k=None, rng=None, h0=None, c0=None):
        """Generate text one character at a time, feeding each drawn character back in.

        The model first reads the prime characters (from the state (h0, c0), zeros by default);
        the scores after the last prime character give the distribution of the first generated
        character. At every step the distribution is char_probabilities(scores, temperature,
        top_k) and the character is drawn with draw_chars(probs, rng), called exactly once per
        generated character (so the same generator seed gives the same text). The layers run one
        step at a time (rnn_step_forward or lstm_step_forward).

        Inputs:
        - prime: int array (N, P), P >= 1, the characters each stream starts with
        - length: number of characters to generate
        - temperature, top_k: as in char_probabilities
        - rng: numpy Generator, e.g. np.random.default_rng(0) (None: a fresh unseeded one)
        - h0, c0: initial state (L, N, H), or None for zeros

        Returns an int array (N, length) of generated characters (the prime not included).
        """
        rng = np.random.default_rng() if rng is None else rng
        prime = np.asarray(prime)
        N = prime.shape[0]
        zero_h, zero_c = self.initial_state(N)
        h = (zero_h if h0 is None else h0).copy()
        c = (zero_c if c0 is None else c0).copy()
        generated = np.zeros((N, length), dtype=np.int64)
        ### BEGIN SOLUTION
        def step(chars):
            layer_in = self.params["W_embed"][chars]
            for layer in range(self.num_layers):
                Wx, Wh, b = (self.params[k] for k in layer_keys(layer))
                if self.cell_type == "rnn":
                    h[layer], _ = rnn_step_forward(layer_in, h[layer], Wx, Wh, b)
                else:
                    h[layer], c[layer], _ = lstm_step_forward(layer_in, h[layer], c[layer],
                                                              Wx, Wh, b)
                layer_in = h[layer]
            return layer_in.dot(self.params["W_vocab"]) + self.params["b_vocab"]

        for t in range(prime.shape[1]):
            scores = step(prime[:, t])
        for t in range(length):
            probs = char_probabilities(scores, temperature, top_k)
            generated[:, t] = draw_chars(probs, rng)
            scores = step(generated[:, t])
        ### END SOLUTION
        return generated


def lstm_sequence_forward(x, h0, c0, Wx, Wh, b):
    """An LSTM over a sequence from the state (h0, c0), one lstm_step_forward per time step.

    Inputs:
    - x: (N, T, D) inputs; h0, c0: (N, H) initial hidden and cell states
    - Wx (D, 4H), Wh (H, 4H), b (4H,): as in lstm_step_forward

    Returns (h, cT, cache): h (N, T, H) the hidden states, cT (N, H) the cell state after the
    last step.
    """
    h, cT, cache = None, None, None
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=np.result_type(x, h0))
    steps, prev_h, cT = [], h0, c0
    for t in range(T):
        prev_h, cT, step_cache = lstm_step_forward(x[:, t], prev_h, cT, Wx, Wh, b)
        h[:, t] = prev_h
        steps.append(step_cache)
    cache = (steps, x.shape, Wx.shape, Wh.shape, b.shape)
    ### END SOLUTION
    return h, cT, cache


def lstm_sequence_backward(dh, cache):
    """Backward pass of lstm_sequence_forward, one lstm_step_backward per time step.

    Inputs:
    - dh: (N, T, H) upstream gradient of each step's hidden state (none arrives at the last cell
      state)
    - cache: from lstm_sequence_forward

    Returns (dx, dh0, dWx, dWh, db) with the shapes of (x, h0, Wx, Wh, b).
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    ### BEGIN SOLUTION
    steps, x_shape, wx_shape, wh_shape, b_shape = cache
    T = x_shape[1]
    dx = np.zeros(x_shape, dtype=dh.dtype)
    dWx, dWh, db = (np.zeros(s, dtype=dh.dtype) for s in (wx_shape, wh_shape, b_shape))
    dh0, dprev_c = np.zeros_like(dh[:, 0]), np.zeros_like(dh[:, 0])
    for t in reversed(range(T)):
        dx[:, t], dh0, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dh0, dprev_c, steps[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db
