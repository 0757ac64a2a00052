from builtins import range
from builtins import object
import numpy as np

from cs231n.layers import *
from cs231n.rnn_layers import *


class CaptioningRNN(object):
    """A classic-style CaptioningRNN in the course layout of 2017-2020 (the affine layers come
    from cs231n.layers, imported with a star as the course did)."""

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128,
                 hidden_dim=128, cell_type='rnn', dtype=np.float32):
        if cell_type not in {'rnn', 'lstm'}:
            raise ValueError('Invalid cell_type "%s"' % cell_type)

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx['<NULL>']
        self._start = word_to_idx.get('<START>', None)
        self._end = word_to_idx.get('<END>', None)

        self.params['W_embed'] = np.random.randn(vocab_size, wordvec_dim)
        self.params['W_embed'] /= 100

        self.params['W_proj'] = np.random.randn(input_dim, hidden_dim)
        self.params['W_proj'] /= np.sqrt(input_dim)
        self.params['b_proj'] = np.zeros(hidden_dim)

        dim_mul = {'lstm': 4, 'rnn': 1}[cell_type]
        self.params['Wx'] = np.random.randn(wordvec_dim, dim_mul * hidden_dim)
        self.params['Wx'] /= np.sqrt(wordvec_dim)
        self.params['Wh'] = np.random.randn(hidden_dim, dim_mul * hidden_dim)
        self.params['Wh'] /= np.sqrt(hidden_dim)
        self.params['b'] = np.zeros(dim_mul * hidden_dim)

        self.params['W_vocab'] = np.random.randn(hidden_dim, vocab_size)
        self.params['W_vocab'] /= np.sqrt(hidden_dim)
        self.params['b_vocab'] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = (captions_out != self._null)

        W_proj, b_proj = self.params['W_proj'], self.params['b_proj']
        W_embed = self.params['W_embed']
        Wx, Wh, b = self.params['Wx'], self.params['Wh'], self.params['b']
        W_vocab, b_vocab = self.params['W_vocab'], self.params['b_vocab']

        loss, grads = 0.0, {}
        h0, cache_proj = affine_forward(features, W_proj, b_proj)
        x, cache_embed = word_embedding_forward(captions_in, W_embed)
        if self.cell_type == 'rnn':
            h, cache_rnn = rnn_forward(x, h0, Wx, Wh, b)
        else:
            h, cache_rnn = lstm_forward(x, h0, Wx, Wh, b)
        scores, cache_scores = temporal_affine_forward(h, W_vocab, b_vocab)
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        dh, grads['W_vocab'], grads['b_vocab'] = temporal_affine_backward(dscores, cache_scores)
        if self.cell_type == 'rnn':
            dx, dh0, grads['Wx'], grads['Wh'], grads['b'] = rnn_backward(dh, cache_rnn)
        else:
            dx, dh0, grads['Wx'], grads['Wh'], grads['b'] = lstm_backward(dh, cache_rnn)
        grads['W_embed'] = word_embedding_backward(dx, cache_embed)
        _, grads['W_proj'], grads['b_proj'] = affine_backward(dh0, cache_proj)
        return loss, grads

    def sample(self, features, max_length=30):
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        W_proj, b_proj = self.params['W_proj'], self.params['b_proj']
        W_embed = self.params['W_embed']
        Wx, Wh, b = self.params['Wx'], self.params['Wh'], self.params['b']
        W_vocab, b_vocab = self.params['W_vocab'], self.params['b_vocab']

        prev_h, _ = affine_forward(features, W_proj, b_proj)
        prev_c = np.zeros_like(prev_h)
        prev_word = self._start * np.ones(N, dtype=np.int32)
        for t in range(max_length):
            x, _ = word_embedding_forward(prev_word, W_embed)
            if self.cell_type == 'rnn':
                prev_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
            else:
                prev_h, prev_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
            scores, _ = affine_forward(prev_h, W_vocab, b_vocab)
            prev_word = np.argmax(scores, axis=1)
            captions[:, t] = prev_word
        return captions
