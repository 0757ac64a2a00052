"""Loading the captioning data: the real COCO features, or the kit's built-in offline set.

Both live under the datasets folder (``datasets/`` beside this package, or the folder named by the
environment variable ``CS231N_DATASETS``) in the same files, keys and dtypes:

    coco_captioning/      the real COCO 2014 features (datasets/get_coco_captioning.sh fetches them)
    builtin_captioning/   rendered scenes with captions, built offline in seconds on first use
"""
import importlib.util
import json
import os
from pathlib import Path

import h5py
import numpy as np

SPLITS = ("train", "val")


def datasets_dir() -> Path:
    """The folder holding the datasets: $CS231N_DATASETS, or datasets/ beside the package."""
    env = os.environ.get("CS231N_DATASETS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "datasets"


def coco_dir() -> Path:
    """Where the real COCO captioning folder is expected."""
    return datasets_dir() / "coco_captioning"


def old_coco_dir() -> Path:
    """Where the course kept the real COCO folder before: cs231n/datasets/coco_captioning/."""
    return Path(__file__).resolve().parent / "datasets" / "coco_captioning"


class DatasetBuilderMissing(FileNotFoundError):
    """datasets/builtin_captioning.py is not beside the package (cs231n/ copied alone)."""


def builtin_dir() -> Path:
    """Where the built-in offline dataset is built."""
    return datasets_dir() / "builtin_captioning"


def _is_complete(folder: Path) -> bool:
    return (folder / "coco2014_captions.h5").is_file() and (folder / "coco2014_vocab.json").is_file()


def _builder():
    """The module datasets/builtin_captioning.py, which renders the built-in dataset."""
    places = [datasets_dir() / "builtin_captioning.py",
              Path(__file__).resolve().parent.parent / "datasets" / "builtin_captioning.py"]
    path = next((p for p in places if p.is_file()), None)
    if path is None:
        here = Path(__file__).resolve().parent.parent
        raise DatasetBuilderMissing(
            f"No real COCO data and no builder of the built-in dataset: datasets/"
            f"builtin_captioning.py is missing (looked in {places[0].parent}"
            + (f" and {places[1].parent}" if places[1] != places[0] else "") + "). cs231n/ needs "
            f"the datasets/ folder of the assignment beside it. Fix: copy it from your assignment "
            f"folder, `cp -r <assignment folder>/datasets {here}/` (or set CS231N_DATASETS to that "
            f"datasets/ folder).")
    spec = importlib.util.spec_from_file_location("builtin_captioning", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_data_dir() -> Path:
    """The real COCO folder when it is there, else the built-in set (built now when it is missing
    or was written by an older version of the kit)."""
    if _is_complete(coco_dir()):
        return coco_dir()
    if _is_complete(old_coco_dir()):
        print(f"Found the real COCO data in {old_coco_dir()} (where the course used to keep "
              f"it): using it")
        return old_coco_dir()
    folder = builtin_dir()
    builder = _builder()
    if not builder.is_current(folder):
        looked = f"No real COCO data in {coco_dir()} or {old_coco_dir()}"
        if folder.exists():
            print(f"{looked}; the built-in captioning dataset in {folder} was made "
                  f"by an older version of the kit: rebuilding it (about 20 s) ...")
        else:
            print(f"{looked} (datasets/get_coco_captioning.sh downloads it): "
                  f"building the built-in captioning dataset in {folder} (about 20 s, once) ...")
        builder.build(folder)
    return folder


def load_coco_data(base_dir=None, max_train=None, pca_features=True):
    """Load captions, image features, vocabulary and image URLs.

    Inputs:
    - base_dir: a folder in the coco_captioning format. Default: the real COCO data if
      datasets/coco_captioning/ (or the course's old place, cs231n/datasets/coco_captioning/) is
      there, otherwise the built-in offline set.
    - max_train: keep a random subset (drawn with replacement from the global np.random) of this
      many training captions; features and urls stay whole so image indices stay valid.
    - pca_features: the 512-dimensional PCA features (True) or the raw ones (False).

    Returns a dict with keys train_captions (N, 17) int32, train_image_idxs (N,) int32,
    val_captions, val_image_idxs, train_features (num_images, D) float32, val_features,
    idx_to_word (list), word_to_idx (dict), train_urls and val_urls (arrays of str).
    """
    base_dir = default_data_dir() if base_dir is None else Path(base_dir)
    if not base_dir.is_dir():
        raise FileNotFoundError(
            f"No captioning data folder at {base_dir}. Run datasets/get_coco_captioning.sh to "
            f"download the real COCO data into {coco_dir()}, or call load_coco_data() without "
            f"base_dir to use the built-in offline dataset.")
    print(f"Loading {'built-in' if _is_builtin(base_dir) else 'COCO'} captioning data from {base_dir}")

    data = {}
    with h5py.File(_need(base_dir, "coco2014_captions.h5"), "r") as f:
        for k, v in f.items():
            data[k] = np.asarray(v)

    suffix = "_pca" if pca_features else ""
    for split in SPLITS:
        with h5py.File(_need(base_dir, f"{split}2014_vgg16_fc7{suffix}.h5"), "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])

    with open(_need(base_dir, "coco2014_vocab.json"), "r") as f:
        data.update(json.load(f))

    for split in SPLITS:
        with open(_need(base_dir, f"{split}2014_urls.txt"), "r") as f:
            data[f"{split}_urls"] = np.asarray([line.strip() for line in f])

    if max_train is not None:
        num_train = data["train_captions"].shape[0]
        mask = np.random.randint(num_train, size=max_train)
        data["train_captions"] = data["train_captions"][mask]
        data["train_image_idxs"] = data["train_image_idxs"][mask]
    return data


def _is_builtin(folder: Path) -> bool:
    return (folder / "images.h5").is_file()


def _need(base_dir: Path, name: str) -> Path:
    path = base_dir / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the folder {base_dir} is not a complete captioning dataset. "
            f"Delete it and run datasets/get_coco_captioning.sh again (real COCO), or remove it "
            f"so that load_coco_data() rebuilds the built-in set.")
    return path


def decode_captions(captions, idx_to_word):
    """Turn word indices into text.

    Inputs:
    - captions: integer array, (T,) for one caption or (N, T) for several
    - idx_to_word: list or dict from index to word

    Returns a str for 1-D input, a list of N str for 2-D input. <NULL> is skipped, <START> and
    <END> are kept, and decoding stops after <END>.
    """
    captions = np.asarray(captions)
    singleton = captions.ndim == 1
    if singleton:
        captions = captions[None]
    decoded = []
    for row in captions:
        words = []
        for idx in row:
            word = idx_to_word[int(idx)]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    return decoded[0] if singleton else decoded


def sample_coco_minibatch(data, batch_size=100, split="train", rng=None):
    """A random minibatch (drawn with replacement) of captions with their images' features and urls.

    Inputs:
    - data: dict from load_coco_data
    - batch_size: number of captions
    - split: "train" or "val"
    - rng: a np.random.RandomState to draw from; default the global np.random

    Returns (captions (batch_size, T+1), features (batch_size, D), urls (batch_size,)).
    """
    if split not in SPLITS:
        raise ValueError(f'split must be "train" or "val", got {split!r}')
    split_size = data[f"{split}_captions"].shape[0]
    mask = (rng or np.random).choice(split_size, batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    image_features = data[f"{split}_features"][image_idxs]
    urls = data[f"{split}_urls"][image_idxs]
    return captions, image_features, urls
