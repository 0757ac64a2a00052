"""How good are generated captions? Two measures for the captioning notebooks.

- ``bleu4``: corpus BLEU-4 (Papineni et al., 2002) of generated captions against the reference
  captions of the same images. It works on any dataset, real COCO included.
- ``object_accuracy``: on the built-in dataset only, the fraction of images whose caption names the
  colour and shape of every object in the picture and no object that is not there. The dataset
  knows what each picture shows, so this measures whether the model really looked at the image.

``evaluate_captions(model, data)`` computes both for a trained ``CaptioningRNN``:

    scores = evaluate_captions(model, data, split="val")
    print(scores)   # {'images': 1000, 'bleu4': 0.61, 'object_accuracy': 0.87}
"""
import json
import math
from collections import Counter
from pathlib import Path

import h5py
import numpy as np

from .coco_utils import builtin_dir, decode_captions

SKIPPED_TOKENS = ("<NULL>", "<START>", "<END>")


def words_of(caption: str) -> list:
    """The words of a decoded caption, without <NULL>, <START> and <END>."""
    return [w for w in caption.split() if w not in SKIPPED_TOKENS]


def _ngrams(words, n):
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def bleu4(candidates, references) -> float:
    """Corpus BLEU-4 in [0, 1].

    Inputs:
    - candidates: list of N generated captions (str, or lists of words)
    - references: list of N lists of reference captions (str, or lists of words) for the same images

    The clipped 1- to 4-gram precisions over the whole corpus are averaged geometrically and
    multiplied by the brevity penalty exp(min(0, 1 - r / c)), where c is the total candidate length
    and r the total length of the references closest in length to each candidate.
    """
    if len(candidates) != len(references):
        raise ValueError(f"bleu4 needs one list of references per candidate, got {len(candidates)} "
                         f"candidates and {len(references)} reference lists")
    as_words = lambda c: words_of(c) if isinstance(c, str) else list(c)  # noqa: E731
    matches, totals = np.zeros(4), np.zeros(4)
    cand_len = ref_len = 0
    for cand, refs in zip(candidates, references):
        cand, refs = as_words(cand), [as_words(r) for r in refs]
        cand_len += len(cand)
        ref_len += min((abs(len(r) - len(cand)), len(r)) for r in refs)[1] if refs else 0
        for n in range(1, 5):
            counts = _ngrams(cand, n)
            best = Counter()
            for r in refs:
                best |= _ngrams(r, n)
            matches[n - 1] += sum(min(c, best[g]) for g, c in counts.items())
            totals[n - 1] += max(len(cand) - n + 1, 0)
    if cand_len == 0 or matches.min() == 0:
        return 0.0
    log_precision = np.mean(np.log(matches / totals))
    brevity = min(0.0, 1.0 - ref_len / cand_len)
    return float(math.exp(log_precision + brevity))


def load_scenes(split: str, base_dir=None):
    """What the built-in images show: (objects, lexicon).

    objects: int array (num_images, 3, 5) of [colour, shape, size, x, y] per object, -1 rows for
    missing objects; lexicon: dict with the colour and shape names and the words that name them.
    base_dir defaults to the built-in dataset folder.
    """
    folder = Path(base_dir) if base_dir is not None else builtin_dir()
    images, lexicon_file = folder / "images.h5", folder / "scene_lexicon.json"
    if not images.is_file() or not lexicon_file.is_file():
        raise FileNotFoundError(
            f"{folder} holds no built-in scene descriptions (images.h5, scene_lexicon.json): "
            f"object_accuracy only works on the built-in dataset. Use bleu4 for real COCO.")
    with h5py.File(images, "r") as f:
        objects = np.asarray(f[f"{split}_objects"])
    return objects, json.loads(lexicon_file.read_text())


def objects_named(caption, lexicon) -> Counter:
    """The (colour, shape) pairs a caption names, with multiplicity.

    A shape word names an object whose colour is the last colour word since the previous shape
    word (None when there is none): "a big red circle left of a blue box" -> {(red, circle),
    (blue, square)}, as indices into lexicon["colours"] and lexicon["shapes"].
    """
    named, colour = Counter(), None
    for word in (words_of(caption) if isinstance(caption, str) else caption):
        if word in lexicon["colour_words"]:
            colour = lexicon["colour_words"][word]
        elif word in lexicon["shape_words"]:
            named[(colour, lexicon["shape_words"][word])] += 1
            colour = None
    return named


def objects_correct(captions, image_idxs, split: str = "val", base_dir=None) -> np.ndarray:
    """(N,) bool: caption i names exactly the (colour, shape) of each object of image image_idxs[i]
    of the built-in split, each once."""
    objects, lexicon = load_scenes(split, base_dir)
    correct = np.zeros(len(captions), dtype=bool)
    for i, (caption, idx) in enumerate(zip(captions, image_idxs)):
        truth = Counter((int(c), int(s)) for c, s in objects[idx][:, :2] if c >= 0)
        correct[i] = objects_named(caption, lexicon) == truth
    return correct


def object_accuracy(captions, image_idxs, split: str = "val", base_dir=None) -> float:
    """Fraction of captions that name every object of their built-in image right (see
    objects_correct)."""
    return float(objects_correct(captions, image_idxs, split, base_dir).mean())


def references_by_image(data: dict, split: str, images=None) -> dict:
    """{image index: [reference caption str, ...]} for the split (only for the given image indices
    when images is not None: decoding all 195954 COCO validation captions takes seconds)."""
    refs = {}
    image_idxs, captions = data[f"{split}_image_idxs"], data[f"{split}_captions"]
    if images is not None:
        rows = np.isin(image_idxs, np.asarray(list(images)))
        image_idxs, captions = image_idxs[rows], captions[rows]
    texts = decode_captions(captions, data["idx_to_word"])
    for idx, text in zip(image_idxs, texts):
        refs.setdefault(int(idx), []).append(text)
    return refs


def generate_captions(model, features: np.ndarray, batch_size: int = 500) -> list:
    """Greedy captions (decoded str) of a trained model for features (N, D)."""
    idx_to_word = model.idx_to_word
    out = []
    for start in range(0, len(features), batch_size):
        out += decode_captions(model.sample(features[start:start + batch_size]), idx_to_word)
    return out


def evaluate_captions(model, data: dict, split: str = "val", max_images=None, base_dir=None) -> dict:
    """Caption every image of the split (or the first max_images) and score the captions.

    Returns {"images": n, "bleu4": corpus BLEU-4 against all reference captions, and
    "object_accuracy": fraction of images whose caption names every object right (built-in data
    only; None for other data)}.
    """
    image_idxs = [int(i) for i in np.unique(data[f"{split}_image_idxs"])[:max_images]]
    refs = references_by_image(data, split, image_idxs)
    captions = generate_captions(model, data[f"{split}_features"][image_idxs])
    scores = {"images": len(image_idxs),
              "bleu4": bleu4(captions, [refs[i] for i in image_idxs]),
              "object_accuracy": None}
    folder = Path(base_dir) if base_dir is not None else builtin_dir()
    if str(data[f"{split}_urls"][0]).startswith("builtin://") and (folder / "images.h5").is_file():
        scores["object_accuracy"] = object_accuracy(captions, image_idxs, split, folder)
    return scores
