"""An image-captioning model: image features -> initial hidden state -> RNN or LSTM over words."""
import numpy as np

from ..rnn_layers import (
    affine_backward,
    affine_forward,
    gru_backward,
    gru_forward,
    gru_step_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

CELL_TYPES = ("rnn", "lstm", "gru")


class CaptioningRNN:
    """Produces captions from image features with a recurrent network.

    The model reads features of size D, has a vocabulary of V words, works on sequences of T
    words, uses word vectors of size W and a hidden state of size H. It uses no regularization.

    The image features, projected by an affine layer, are the initial hidden state h0. At each time
    step the current word is embedded and fed to the RNN (or LSTM), whose hidden state goes through
    an affine layer to give a score for every word of the vocabulary.
    """

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128,
                 cell_type="rnn", dtype=np.float32):
        """
        Inputs:
        - word_to_idx: dict from each of the V words to an integer in [0, V)
        - input_dim: D, the size of the image feature vectors
        - wordvec_dim: W, the size of the word vectors
        - hidden_dim: H, the size of the hidden state
        - cell_type: "rnn", "lstm" or "gru" (the GRU is the extra-credit part of
          Gradient_Flow.ipynb)
        - dtype: numpy dtype of the parameters; float32 to train, float64 for gradient checks
        """
        if cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type must be one of {CELL_TYPES}, got {cell_type!r}")
        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        # The order of the draws from np.random.randn is fixed: seeded checks depend on it.
        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100

        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        gates = {"lstm": 4, "rnn": 1, "gru": 3}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, gates * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, gates * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(gates * hidden_dim)

        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def _check_features(self, features):
        input_dim = self.params["W_proj"].shape[0]
        features = np.asarray(features)
        if features.ndim != 2 or features.shape[1] != input_dim:
            raise ValueError(
                f"features must have shape (N, {input_dim}) to match this model's input_dim, "
                f"got shape {features.shape}. Build the model with input_dim=features.shape[1], "
                f"or load the features it was built for (pca_features=True gives 512).")

    def _check_captions(self, captions, features):
        captions = np.asarray(captions)
        if not np.issubdtype(captions.dtype, np.integer):
            raise TypeError(
                f"captions must be an integer array of word indices, got dtype {captions.dtype}. "
                f"Use the captions from load_coco_data / sample_coco_minibatch, or .astype(np.int32).")
        if captions.ndim != 2 or captions.shape[0] != np.shape(features)[0] or captions.shape[1] < 2:
            raise ValueError(
                f"captions must have shape (N, T+1) with T >= 1 and N = {np.shape(features)[0]} "
                f"(one row per feature vector), got shape {captions.shape}")
        vocab_size = self.params["W_embed"].shape[0]
        if captions.size and (captions.min() < 0 or captions.max() >= vocab_size):
            raise ValueError(
                f"captions hold word indices in [{captions.min()}, {captions.max()}], but this "
                f"model's vocabulary has {vocab_size} words (indices 0..{vocab_size - 1}). Was the "
                f"model built with the same word_to_idx as the data?")

    def loss(self, features, captions):
        """Training-time loss and gradients.

        The input words are captions[:, :-1] and the targets are captions[:, 1:]: the model predicts
        word t+1 from words 0..t. Targets equal to <NULL> are masked out of the loss.

        Inputs:
        - features: image features, (N, D)
        - captions: integer ground-truth captions, (N, T+1), each entry in [0, V)

        Returns (loss, grads): a scalar loss and a dict of gradients with the keys of self.params.
        """
        self._check_features(features)
        self._check_captions(captions, features)
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = captions_out != self._null

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        # Forward: (1) h0 = affine(features); (2) embed captions_in; (3) rnn, lstm or gru over the
        # embedded words; (4) temporal affine to vocabulary scores; (5) temporal softmax loss with
        # the mask. Backward: the same steps in reverse, filling grads for every key of self.params.
        ### BEGIN SOLUTION
        h0, cache_proj = affine_forward(features, W_proj, b_proj)
        words, cache_embed = word_embedding_forward(captions_in, W_embed)
        forward, backward = {"rnn": (rnn_forward, rnn_backward),
                             "lstm": (lstm_forward, lstm_backward),
                             "gru": (gru_forward, gru_backward)}[self.cell_type]
        h, cache_cell = forward(words, h0, Wx, Wh, b)
        scores, cache_vocab = temporal_affine_forward(h, W_vocab, b_vocab)
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, cache_vocab)
        dwords, dh0, grads["Wx"], grads["Wh"], grads["b"] = backward(dh, cache_cell)
        grads["W_embed"] = word_embedding_backward(dwords, cache_embed)
        _, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, cache_proj)
        ### END SOLUTION
        return loss, grads

    def sample(self, features, max_length=30):
        """Test-time greedy decoding.

        h0 is the projected features (and c0 is zeros for the LSTM). The first input word is
        <START>. At each step: embed the previous word, take one rnn/lstm/gru step, score the
        vocabulary, and choose the highest-scoring word, which is the next input.

        Inputs:
        - features: image features, (N, D)
        - max_length: T, the number of words to generate

        Returns captions: integer array (N, max_length) filled with <NULL> first; captions[:, 0]
        holds the first generated word (not <START>). You may stop once every caption has produced
        <END>; what follows <END> is never compared.
        """
        self._check_features(features)
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        ### BEGIN SOLUTION
        h, _ = affine_forward(features, W_proj, b_proj)
        c = np.zeros_like(h)
        word = np.full(N, self._start, dtype=np.int32)
        done = np.zeros(N, dtype=bool)
        for t in range(max_length):
            x = W_embed[word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, Wx, Wh, b)
            elif self.cell_type == "gru":
                h, _ = gru_step_forward(x, h, Wx, Wh, b)
            else:
                h, c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
            scores, _ = affine_forward(h, W_vocab, b_vocab)
            word = scores.argmax(axis=1)
            captions[~done, t] = word[~done]
            done |= word == self._end
            if done.all():
                break
        ### END SOLUTION
        return captions
