"""Shared fixtures of the kit's test suite.

- ``kit_extra`` marker: a check of behaviour the kit adds beyond the classic cs231n interface (clear
  errors, <NULL> padding after <END>, dtypes kept). A classic solution is not expected to pass these.
- ``make_coco_folder`` / ``coco_folder``: a tiny captioning dataset written in the exact format of the
  real COCO files (see the dataset format page), with the arrays that were written.
- ``word_to_idx``: a small vocabulary with the four special tokens at their usual indices.
- ``postgres_server``: a PostgreSQL server for the whole session (tests/postgres_support.py).
- ``builtin_dataset``: the built-in dataset in the kit's datasets folder, as `make data` builds it.

The reference outputs that courses built by the tests need are generated once per version of the
code and kept in build/test-cache/ (KIT_REFERENCE_CACHE, kit/author/reference_outputs.py);
tests/test_reference_outputs.py generates them without it.
"""
import importlib.util
import json
import os

import h5py
import numpy as np
import pytest

SPECIAL_TOKENS = ["<NULL>", "<START>", "<END>", "<UNK>"]


def pytest_configure(config):
    try:    # tests/test_classic_interface.py runs these tests where the kit is not installed
        from kit.author.reference_outputs import CACHE_ENV
        from kit.paths import BUILD
    except ImportError:
        pass
    else:
        os.environ.setdefault(CACHE_ENV, str(BUILD / "test-cache"))
    config.addinivalue_line(
        "markers", "kit_extra: behaviour the kit adds beyond the classic cs231n interface")


def pytest_terminal_summary(terminalreporter):
    """The measurements tests recorded (user property "measured"), also from parallel workers."""
    reports = [r for outcome in ("passed", "failed") for r in terminalreporter.stats.get(outcome, [])
               if getattr(r, "when", "call") == "call"]
    measured = [value for r in reports for key, value in getattr(r, "user_properties", ())
                if key == "measured"]
    if measured:
        terminalreporter.write_sep("-", "measured (under the test run's load; bench/ measures "
                                        "the budgets)")
        for line in sorted(measured):
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server, stopped at the end of the session. When none can be
    started, the tests that need one fail (PostgresUnavailable says why): they never skip."""
    from tests.postgres_support import PostgresServer
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def builtin_dataset():
    """The built-in dataset where the kit keeps it (kit.paths.default_datasets()), built by
    datasets/builtin_captioning.py unless a current one is there: one build for every test file
    (a build writes a temporary folder renamed into place, so files built at once are safe)."""
    from kit.paths import ROOT, default_datasets
    spec = importlib.util.spec_from_file_location("builtin_captioning",
                                                  ROOT / "datasets" / "builtin_captioning.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    return builder.build(default_datasets() / "builtin_captioning")


@pytest.fixture
def word_to_idx():
    words = SPECIAL_TOKENS + ["a", "cat", "dog", "on", "the", "mat", "sits"]
    return {w: i for i, w in enumerate(words)}


def write_coco_folder(folder, num_train_images=6, num_val_images=4, captions_per_image=3,
                      caption_length=17, vocab_size=12, feature_dim=8, raw_feature_dim=11, seed=0):
    """Write a coco_captioning-format folder and return a dict of everything written.

    Files, keys and dtypes as in the real archive: coco2014_captions.h5 (int32 captions and image
    indices), coco2014_vocab.json (idx_to_word list, word_to_idx dict), {split}2014_vgg16_fc7_pca.h5
    and {split}2014_vgg16_fc7.h5 (float32 "features"), {split}2014_urls.txt and
    {split}2014_images.txt (one line per image). Every caption row is distinct.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    idx_to_word = SPECIAL_TOKENS + [f"w{k}" for k in range(vocab_size - len(SPECIAL_TOKENS))]
    written = {"idx_to_word": idx_to_word, "word_to_idx": {w: i for i, w in enumerate(idx_to_word)}}
    sizes = {"train": num_train_images, "val": num_val_images}
    serial = 0
    for split, num_images in sizes.items():
        num_captions = num_images * captions_per_image
        captions = np.zeros((num_captions, caption_length), dtype=np.int32)
        for row in range(num_captions):
            length = 1 + (row % (caption_length - 2))
            words = rng.integers(len(SPECIAL_TOKENS), vocab_size, size=length)
            words[0] = len(SPECIAL_TOKENS) + serial % (vocab_size - len(SPECIAL_TOKENS))
            serial += 1
            captions[row, :length + 2] = [1, *words, 2]
        captions = np.unique(captions, axis=0)  # distinct rows
        written[f"{split}_captions"] = captions
        written[f"{split}_image_idxs"] = rng.integers(0, num_images, len(captions)).astype(np.int32)
        written[f"{split}_features"] = rng.standard_normal((num_images, feature_dim)).astype(np.float32)
        written[f"{split}_raw_features"] = rng.standard_normal(
            (num_images, raw_feature_dim)).astype(np.float32)
        written[f"{split}_urls"] = [f"http://images.example/{split}2014/{k:012d}.jpg"
                                    for k in range(num_images)]
        with h5py.File(folder / f"{split}2014_vgg16_fc7_pca.h5", "w") as f:
            f.create_dataset("features", data=written[f"{split}_features"])
        with h5py.File(folder / f"{split}2014_vgg16_fc7.h5", "w") as f:
            f.create_dataset("features", data=written[f"{split}_raw_features"])
        (folder / f"{split}2014_urls.txt").write_text(
            "".join(url + "\n" for url in written[f"{split}_urls"]))
        (folder / f"{split}2014_images.txt").write_text(
            "".join(f"{split}2014/{k:012d}.jpg\n" for k in range(num_images)))
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for split in sizes:
            f.create_dataset(f"{split}_captions", data=written[f"{split}_captions"])
            f.create_dataset(f"{split}_image_idxs", data=written[f"{split}_image_idxs"])
    (folder / "coco2014_vocab.json").write_text(
        json.dumps({"idx_to_word": idx_to_word, "word_to_idx": written["word_to_idx"]}))
    return written


@pytest.fixture
def make_coco_folder(tmp_path):
    """Factory: make_coco_folder(name="coco_captioning", **sizes) -> (folder, written arrays)."""
    def make(name="coco_captioning", **sizes):
        folder = tmp_path / name
        return folder, write_coco_folder(folder, **sizes)
    return make


@pytest.fixture
def coco_folder(make_coco_folder):
    """A tiny coco_captioning folder with default sizes: (folder, written arrays)."""
    return make_coco_folder()
