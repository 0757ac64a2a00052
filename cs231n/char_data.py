"""Text for the character-level language model: the built-in corpus, any plain text file, and the
minibatches of truncated backpropagation through time.

The built-in corpus needs no download: it is the source code of a fixed list of modules of the
Python standard library of the running interpreter (every machine with Python has them). Code has
the structure the lecture's Linux-kernel example shows: strings, comments, indentation, brackets,
lines of limited length. Training and validation text are different files (not two cuts of one
stream). The figures quoted in the notebook were measured with Python 3.11; other versions ship
slightly different files and give slightly different numbers.

    data = load_char_data()                  # the built-in corpus
    data = load_char_data("input.txt")       # any plain text file (the last 10% is validation)
"""
from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy as np

# Modules of the standard library (paths relative to its folder), pure ASCII in Python 3.11.
TRAIN_MODULES = (
    "argparse.py", "textwrap.py", "shutil.py", "tarfile.py", "inspect.py", "dataclasses.py",
    "subprocess.py", "threading.py", "logging/__init__.py", "configparser.py", "difflib.py",
    "tempfile.py", "collections/__init__.py", "optparse.py", "calendar.py", "csv.py",
    "json/decoder.py", "json/encoder.py",
)
VAL_MODULES = ("pprint.py", "random.py")
VAL_FRACTION = 0.1   # of a plain text file, kept for validation


def stdlib_dir() -> Path:
    """The folder of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def _read(paths: list[Path]) -> str:
    texts = []
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: the built-in corpus reads these standard-library modules "
                f"of Python {sys.version.split()[0]}. Pass a plain text file instead, e.g. "
                "load_char_data('input.txt').")
        texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def load_char_data(path: str | Path | None = None, verbose: bool = True) -> dict:
    """Load a character corpus.

    Inputs:
    - path: a plain text file (UTF-8), or None for the built-in corpus of standard-library modules
    - verbose: print what was read

    Returns a dict with
    - train_text, val_text: str
    - chars: list of the characters that occur in the text, sorted (the vocabulary, size V)
    - char_to_idx: dict character -> index in [0, V)
    - train_data, val_data: int32 arrays, the texts as indices
    - source: a short description of where the text came from
    """
    if path is None:
        root = stdlib_dir()
        train_text = _read([root / m for m in TRAIN_MODULES])
        val_text = _read([root / m for m in VAL_MODULES])
        source = (f"Python {sys.version.split()[0]} standard library at {root}: "
                  f"{len(TRAIN_MODULES)} modules for training, {len(VAL_MODULES)} for validation "
                  f"({', '.join(VAL_MODULES)})")
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No text file at {path}: pass the path of a plain text file "
                                    "(for example input.txt), or nothing for the built-in corpus")
        text = path.read_text(encoding="utf-8")
        if len(text) < 100:
            raise ValueError(f"{path} holds {len(text)} characters: a language model needs at "
                             "least a few thousand")
        cut = int(len(text) * (1 - VAL_FRACTION))
        train_text, val_text = text[:cut], text[cut:]
        source = f"{path}: the first {100 - 100 * VAL_FRACTION:.0f}% for training, the rest for validation"
    chars = sorted(set(train_text) | set(val_text))
    char_to_idx = {ch: i for i, ch in enumerate(chars)}
    data = {
        "train_text": train_text, "val_text": val_text, "chars": chars, "char_to_idx": char_to_idx,
        "train_data": encode(train_text, char_to_idx), "val_data": encode(val_text, char_to_idx),
        "source": source,
    }
    if verbose:
        print(f"Read {source}")
        print(f"train_data {len(train_text):9d} characters")
        print(f"val_data   {len(val_text):9d} characters")
        print(f"vocabulary {len(chars):9d} characters: {''.join(chars)!r}")
    return data


def encode(text: str, char_to_idx: dict) -> np.ndarray:
    """The indices of the characters of a text, an int32 array of shape (len(text),)."""
    unknown = sorted(set(text) - set(char_to_idx))
    if unknown:
        raise ValueError(f"characters {''.join(unknown)!r} are not in the vocabulary")
    return np.fromiter((char_to_idx[ch] for ch in text), dtype=np.int32, count=len(text))


def decode(indices, chars: list[str]) -> str:
    """The text of a sequence of character indices."""
    return "".join(chars[int(i)] for i in np.asarray(indices).ravel())


def stream_batches(data: np.ndarray, batch_size: int, seq_length: int):
    """The minibatches of truncated BPTT, as char-rnn's loader makes them.

    The text is cut into batch_size contiguous streams of equal length (row n of every batch
    continues row n of the previous batch), then swept in chunks of seq_length characters. The
    targets are the inputs shifted by one character.

    Inputs:
    - data: int array (L,), the text as indices
    - batch_size: N, the number of parallel streams
    - seq_length: T, the length of a chunk

    Yields (x, y), int32 arrays of shape (N, T): one pass over the text (an epoch).
    """
    data = np.asarray(data)
    stream = (len(data) - 1) // batch_size
    chunks = stream // seq_length
    if chunks < 1:
        raise ValueError(f"{len(data)} characters are too few for {batch_size} streams of "
                         f"chunks of {seq_length}: use fewer streams or shorter chunks")
    used = chunks * seq_length
    starts = np.arange(batch_size) * stream
    inputs = np.stack([data[s:s + used] for s in starts]).astype(np.int32)
    targets = np.stack([data[s + 1:s + 1 + used] for s in starts]).astype(np.int32)
    for k in range(chunks):
        cut = slice(k * seq_length, (k + 1) * seq_length)
        yield inputs[:, cut], targets[:, cut]
