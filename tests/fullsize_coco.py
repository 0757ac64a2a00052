"""Full-size captioning files in the real COCO format, with random content: the sizes, keys and
dtypes of the course archive (see the dataset format page), to time the notebooks as a user with
the real data would run them.

    write_fullsize_coco(folder) -> folder

Captions are 17 tokens, ``<START>``, 1 to 15 random words, ``<END>``, ``<NULL>`` padding, in a
vocabulary of 1004 entries with the four special tokens first. The raw fc7 files have their real
shape (N, 4096) float32 but are left unwritten (HDF5 reads them as zeros), which keeps the folder
small: the notebooks read the PCA features. URLs point at a local port that refuses connections,
so showing an image fails at once (as an unreachable real URL does, after its timeout).
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

SPECIAL_TOKENS = ["<NULL>", "<START>", "<END>", "<UNK>"]
SIZES = {"train": (400135, 82783), "val": (195954, 40504)}   # captions, images
VOCAB_SIZE, CAPTION_LENGTH, PCA_DIM, RAW_DIM = 1004, 17, 512, 4096


def _captions(rng: np.random.Generator, count: int) -> np.ndarray:
    lengths = rng.integers(1, CAPTION_LENGTH - 1, size=count)           # 1..15 words
    words = rng.integers(len(SPECIAL_TOKENS), VOCAB_SIZE, size=(count, CAPTION_LENGTH),
                         dtype=np.int32)
    position = np.arange(CAPTION_LENGTH)[None, :]
    captions = np.where(position <= lengths[:, None], words, 0).astype(np.int32)
    captions[:, 0] = 1
    captions[np.arange(count), lengths + 1] = 2
    return captions


def write_fullsize_coco(folder: Path, seed: int = 0) -> Path:
    """Write the ten files of coco_captioning/ at full size into folder; returns folder."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for split, (num_captions, num_images) in SIZES.items():
            f.create_dataset(f"{split}_captions", data=_captions(rng, num_captions))
            f.create_dataset(f"{split}_image_idxs",
                             data=rng.integers(0, num_images, num_captions, dtype=np.int32))
    for split, (_, num_images) in SIZES.items():
        with h5py.File(folder / f"{split}2014_vgg16_fc7_pca.h5", "w") as f:
            f.create_dataset("features", data=rng.standard_normal((num_images, PCA_DIM),
                                                                  dtype=np.float32))
        with h5py.File(folder / f"{split}2014_vgg16_fc7.h5", "w") as f:
            f.create_dataset("features", shape=(num_images, RAW_DIM), dtype=np.float32)
        (folder / f"{split}2014_urls.txt").write_text("".join(
            f"http://127.0.0.1:9/{split}2014/COCO_{split}2014_{k:012d}.jpg\n"
            for k in range(num_images)))
        (folder / f"{split}2014_images.txt").write_text("".join(
            f"{split}2014/COCO_{split}2014_{k:012d}.jpg\n" for k in range(num_images)))
    idx_to_word = SPECIAL_TOKENS + [f"word{k}" for k in range(VOCAB_SIZE - len(SPECIAL_TOKENS))]
    (folder / "coco2014_vocab.json").write_text(json.dumps(
        {"idx_to_word": idx_to_word, "word_to_idx": {w: i for i, w in enumerate(idx_to_word)}}))
    return folder
