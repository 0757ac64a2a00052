"""cs231n/coco_utils.py and cs231n/image_utils.py through their contract, on tiny folders written
in the exact format of the real COCO captioning files (tests/conftest.py writes them)."""
import numpy as np
import pytest

from cs231n.coco_utils import decode_captions, load_coco_data, sample_coco_minibatch
from cs231n.image_utils import image_from_url

KEYS = {"train_captions", "train_image_idxs", "val_captions", "val_image_idxs", "train_features",
        "val_features", "idx_to_word", "word_to_idx", "train_urls", "val_urls"}


def test_every_key_with_the_real_dtypes(coco_folder):
    folder, written = coco_folder
    data = load_coco_data(base_dir=folder)
    assert KEYS <= set(data)
    for split in ("train", "val"):
        for key, dtype in ((f"{split}_captions", np.int32), (f"{split}_image_idxs", np.int32),
                           (f"{split}_features", np.float32)):
            assert isinstance(data[key], np.ndarray) and data[key].dtype == dtype, key
            np.testing.assert_array_equal(data[key], written[key], err_msg=key)
        urls = data[f"{split}_urls"]
        assert isinstance(urls, np.ndarray) and urls.dtype.kind == "U"
        assert urls.tolist() == written[f"{split}_urls"]  # stripped lines, no newline
    assert data["train_captions"].shape[1] == 17
    assert isinstance(data["idx_to_word"], list) and data["idx_to_word"] == written["idx_to_word"]
    assert isinstance(data["word_to_idx"], dict) and data["word_to_idx"] == written["word_to_idx"]


def test_raw_features_when_pca_is_off(coco_folder):
    folder, written = coco_folder
    data = load_coco_data(base_dir=folder, pca_features=False)
    for split in ("train", "val"):
        assert data[f"{split}_features"].dtype == np.float32
        np.testing.assert_array_equal(data[f"{split}_features"], written[f"{split}_raw_features"])


def test_loader_prints_the_folder_it_reads(coco_folder, capsys):
    folder, _ = coco_folder
    load_coco_data(base_dir=folder)
    assert str(folder) in capsys.readouterr().out


def test_max_train_draws_rows_with_replacement_from_global_random(coco_folder):
    """The subset is np.random.randint(num_train, size=max_train) under the global seed, as in the
    classic loader, so a seed picks the same captions as the classic notebooks; captions and image
    indices stay paired, features and urls stay whole."""
    folder, written = coco_folder
    num_train = len(written["train_captions"])
    max_train = 3 * num_train  # more than there are: only possible with replacement
    np.random.seed(231)
    data = load_coco_data(base_dir=folder, max_train=max_train)
    np.random.seed(231)
    rows = np.random.randint(num_train, size=max_train)
    np.testing.assert_array_equal(data["train_captions"], written["train_captions"][rows])
    np.testing.assert_array_equal(data["train_image_idxs"], written["train_image_idxs"][rows])
    np.testing.assert_array_equal(data["train_features"], written["train_features"])
    assert data["train_urls"].tolist() == written["train_urls"]
    np.testing.assert_array_equal(data["val_captions"], written["val_captions"])
    assert len(np.unique(rows)) < max_train  # some rows drawn more than once


def test_missing_folder_error_names_the_folder(tmp_path):
    missing = tmp_path / "no_such_folder"
    with pytest.raises(FileNotFoundError) as error:
        load_coco_data(base_dir=missing)
    assert str(missing) in str(error.value)


@pytest.mark.kit_extra
def test_incomplete_folder_error_names_the_missing_file(coco_folder):
    folder, _ = coco_folder
    (folder / "val2014_urls.txt").unlink()
    with pytest.raises(FileNotFoundError, match="val2014_urls.txt"):
        load_coco_data(base_dir=folder)


@pytest.mark.kit_extra
def test_default_folder_is_the_real_data_when_present(make_coco_folder, tmp_path, monkeypatch):
    folder, written = make_coco_folder("coco_captioning")
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    data = load_coco_data()
    np.testing.assert_array_equal(data["train_captions"], written["train_captions"])


# ---- decode_captions -------------------------------------------------------------------------

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]


@pytest.mark.parametrize("idx_to_word", [WORDS, dict(enumerate(WORDS))], ids=["list", "dict"])
@pytest.mark.parametrize("row,text", [
    ([1, 4, 5, 2, 0, 0], "<START> a cat <END>"),
    ([1, 4, 0, 5, 2, 4, 5], "<START> a cat <END>"),  # <NULL> skipped, nothing after <END>
    ([4, 3, 5], "a <UNK> cat"),                       # no <END>: every word
    ([2, 4], "<END>"),
    ([0, 0, 0], ""),
])
def test_decode_one_caption(idx_to_word, row, text):
    assert decode_captions(np.array(row, dtype=np.int32), idx_to_word) == text


@pytest.mark.parametrize("idx_to_word", [WORDS, dict(enumerate(WORDS))], ids=["list", "dict"])
def test_decode_several_captions(idx_to_word):
    captions = np.array([[1, 4, 5, 2, 0], [1, 5, 0, 0, 0], [4, 2, 5, 5, 5]], dtype=np.int64)
    assert decode_captions(captions, idx_to_word) == ["<START> a cat <END>", "<START> cat", "a <END>"]
    assert decode_captions(captions[:1], idx_to_word) == ["<START> a cat <END>"]  # 2-D: a list


# ---- sample_coco_minibatch -------------------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("batch_size", [1, 5, 50])
def test_minibatch_shapes_and_consistency(coco_folder, split, batch_size):
    folder, written = coco_folder
    data = load_coco_data(base_dir=folder)
    captions, features, urls = sample_coco_minibatch(data, batch_size=batch_size, split=split)
    assert captions.shape == (batch_size, 17) and captions.dtype == np.int32
    assert features.shape == (batch_size, written[f"{split}_features"].shape[1])
    assert features.dtype == np.float32 and urls.shape == (batch_size,)
    all_captions = written[f"{split}_captions"]
    for caption, feature, url in zip(captions, features, urls):
        (row,) = np.flatnonzero((all_captions == caption).all(axis=1))  # rows are distinct
        image = written[f"{split}_image_idxs"][row]
        np.testing.assert_array_equal(feature, written[f"{split}_features"][image])
        assert url == written[f"{split}_urls"][image]


def test_minibatch_defaults_and_global_seed(coco_folder):
    folder, _ = coco_folder
    data = load_coco_data(base_dir=folder)
    np.random.seed(5)
    first = sample_coco_minibatch(data)
    np.random.seed(5)
    second = sample_coco_minibatch(data, batch_size=100, split="train")
    assert first[0].shape == (100, 17)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


# ---- image_from_url --------------------------------------------------------------------------

def test_image_from_url_reads_an_image(tmp_path):
    import matplotlib.image
    pixels = np.random.default_rng(0).random((6, 5, 3))
    path = tmp_path / "picture.png"
    matplotlib.image.imsave(path, pixels)
    image = image_from_url(path.as_uri())
    assert image is not None and image.shape[:2] == (6, 5) and image.shape[2] in (3, 4)


def test_image_from_url_returns_none_with_a_reason_when_unreachable(tmp_path, capsys):
    assert image_from_url((tmp_path / "missing.jpg").as_uri()) is None
    assert "missing.jpg" in capsys.readouterr().out
    assert image_from_url("http://127.0.0.1:9/none.jpg", timeout=2) is None
    assert "127.0.0.1" in capsys.readouterr().out


# --- the data where users put it --------------------------------------------------------------

def _run_alone(folder, code, datasets=None):
    """Run code in folder (holding a copy of cs231n/ and nothing else of the kit)."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CS231N_DATASETS")}
    if datasets is not None:
        env["CS231N_DATASETS"] = str(datasets)
    return subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def _package_alone(tmp_path):
    import shutil
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "cs231n", tmp_path / "alone" / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz"))
    return tmp_path / "alone"


def test_real_coco_in_the_courses_old_place_is_found_and_said(tmp_path):
    from tests.conftest import write_coco_folder
    folder = _package_alone(tmp_path)
    written = write_coco_folder(folder / "cs231n" / "datasets" / "coco_captioning")
    result = _run_alone(folder, "from cs231n.coco_utils import load_coco_data\n"
                                "print(len(load_coco_data()['train_captions']))",
                        datasets=tmp_path / "empty")
    assert result.returncode == 0, result.stderr
    assert "Found the real COCO data in" in result.stdout
    assert "cs231n/datasets/coco_captioning" in result.stdout
    assert result.stdout.split()[-1] == str(len(written["train_captions"]))


def test_a_package_copied_alone_says_what_is_missing_and_how_to_fix_it(tmp_path):
    folder = _package_alone(tmp_path)
    result = _run_alone(folder, "from cs231n.coco_utils import load_coco_data\nload_coco_data()")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cs231n.coco_utils.DatasetBuilderMissing: No real COCO data"), last
    assert "datasets/builtin_captioning.py is missing" in last
    assert "cp -r <assignment folder>/datasets" in last
