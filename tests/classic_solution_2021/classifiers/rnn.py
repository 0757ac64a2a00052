import numpy as np

from ..rnn_layers import *


class CaptioningRNN:
    """A classic-style CaptioningRNN in the course layout of 2021-2024 (every layer comes from
    cs231n.rnn_layers)."""

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128,
                 cell_type="rnn", dtype=np.float32):
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError('Invalid cell_type "%s"' % cell_type)

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim)
        self.params["W_embed"] /= 100

        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim)
        self.params["W_proj"] /= np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        dim_mul = {"lstm": 4, "rnn": 1}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim)
        self.params["Wx"] /= np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim)
        self.params["Wh"] /= np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)

        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size)
        self.params["W_vocab"] /= np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = captions_out != self._null

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        forward = rnn_forward if self.cell_type == "rnn" else lstm_forward
        backward = rnn_backward if self.cell_type == "rnn" else lstm_backward

        h0, proj_cache = affine_forward(features, W_proj, b_proj)
        x, embed_cache = word_embedding_forward(captions_in, W_embed)
        h, rnn_cache = forward(x, h0, Wx, Wh, b)
        scores, scores_cache = temporal_affine_forward(h, W_vocab, b_vocab)
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, scores_cache)
        dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = backward(dh, rnn_cache)
        grads["W_embed"] = word_embedding_backward(dx, embed_cache)
        _, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, proj_cache)
        return loss, grads

    def sample(self, features, max_length=30):
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        h, _ = affine_forward(features, W_proj, b_proj)
        c = np.zeros_like(h)
        word = np.full(N, self._start)
        for t in range(max_length):
            x = W_embed[word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores = h @ W_vocab + b_vocab
            word = scores.argmax(axis=1)
            captions[:, t] = word
        return captions
