"""Models built from the layers in ``cs231n.rnn_layers``."""
from .rnn import CaptioningRNN

__all__ = ["CaptioningRNN"]
