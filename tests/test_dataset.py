"""The built-in captioning dataset: real COCO format, determinism, size, offline images, and the
real-data download script."""
import functools
import http.server
import importlib.util
import shutil
import threading
import zipfile
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pytest

from cs231n import coco_utils
from cs231n.captioning_metrics import objects_correct
from cs231n.coco_utils import decode_captions, load_coco_data
from cs231n.image_utils import image_from_url, load_image

ROOT = Path(__file__).resolve().parent.parent
REAL_FILES = ("coco2014_captions.h5", "coco2014_vocab.json", "train2014_vgg16_fc7.h5",
              "val2014_vgg16_fc7.h5", "train2014_vgg16_fc7_pca.h5", "val2014_vgg16_fc7_pca.h5",
              "train2014_urls.txt", "val2014_urls.txt", "train2014_images.txt", "val2014_images.txt")
KEYS = {"train_captions", "train_image_idxs", "val_captions", "val_image_idxs", "train_features",
        "val_features", "idx_to_word", "word_to_idx", "train_urls", "val_urls"}


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "datasets" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_script("builtin_captioning")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The built-in dataset, built once for this module with the default seed."""
    return builder.build(tmp_path_factory.mktemp("datasets") / "builtin_captioning")


@pytest.fixture(scope="module")
def data(built):
    return load_coco_data(base_dir=built)


# ---- the real COCO format ---------------------------------------------------------------------

def test_folder_has_the_real_files_and_the_images(built):
    names = {p.name for p in built.iterdir()}
    assert set(REAL_FILES) <= names
    assert {"images.h5", "scene_lexicon.json"} <= names
    assert not [n for n in names if n.startswith(".")], "temporary files left behind"


def test_keys_shapes_and_dtypes_match_the_real_data(built, data):
    assert set(data) == KEYS
    for split in ("train", "val"):
        captions, idxs = data[f"{split}_captions"], data[f"{split}_image_idxs"]
        features, urls = data[f"{split}_features"], data[f"{split}_urls"]
        assert captions.dtype == np.int32 and captions.ndim == 2 and captions.shape[1] == 17
        assert idxs.dtype == np.int32 and idxs.shape == (len(captions),)
        assert features.dtype == np.float32 and features.shape == (builder.NUM_IMAGES[split], 512)
        assert urls.shape == (len(features),) and urls.dtype.kind == "U"
        assert 0 <= idxs.min() and idxs.max() < len(features)
        assert set(idxs) == set(range(len(features))), "every image has captions"
        assert 4 <= len(captions) / len(features) <= 6, "about five captions per image"
    raw = load_coco_data(base_dir=built, pca_features=False)
    for split in ("train", "val"):
        assert raw[f"{split}_features"].dtype == np.float32
        assert raw[f"{split}_features"].shape == (builder.NUM_IMAGES[split], builder.RAW_DIM)
        assert builder.RAW_DIM >= 1024


def test_vocabulary_is_ordered_like_the_real_one(data):
    idx_to_word, word_to_idx = data["idx_to_word"], data["word_to_idx"]
    assert idx_to_word[:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert all(word_to_idx[w] == i for i, w in enumerate(idx_to_word))
    assert len(word_to_idx) == len(idx_to_word)
    counts = Counter(data["train_captions"].ravel().tolist())
    frequencies = [counts[i] for i in range(4, len(idx_to_word))]
    assert frequencies == sorted(frequencies, reverse=True), "words are ordered by frequency"
    assert min(frequencies) >= builder.MIN_WORD_COUNT


def test_captions_follow_the_token_conventions(data):
    for split in ("train", "val"):
        captions = data[f"{split}_captions"]
        assert (captions[:, 0] == 1).all(), "every caption starts with <START>"
        ends = (captions == 2).argmax(axis=1)
        assert ((captions == 2).sum(axis=1) == 1).all(), "exactly one <END>"
        positions = np.arange(captions.shape[1])
        assert (captions[positions > ends[:, None]] == 0).all(), "<NULL> after <END>"
        assert (captions[positions < ends[:, None]] != 0).all(), "no <NULL> before <END>"
        assert ((captions == 1).sum(axis=1) == 1).all()
    unk = data["word_to_idx"]["<UNK>"]
    assert 0 < (data["train_captions"] == unk).any(axis=1).mean() < 0.05, "a few rare words are <UNK>"


def test_grammar_has_variety(data):
    texts = decode_captions(data["train_captions"], data["idx_to_word"])
    assert len(set(texts)) > 0.5 * len(texts)
    words = set(data["idx_to_word"])
    for needed in ("and", "left", "above", "big", "small", "there", "disc", "box"):
        assert needed in words


def test_every_reference_caption_names_every_object(built, data):
    for split in ("train", "val"):
        texts = decode_captions(data[f"{split}_captions"], data["idx_to_word"])
        assert objects_correct(texts, data[f"{split}_image_idxs"], split, built).all()


def test_train_and_val_show_different_images(built):
    with h5py.File(built / "images.h5", "r") as f:
        train, val = np.asarray(f["train_images"]), np.asarray(f["val_images"])
    assert train.dtype == np.uint8 and train.shape[1:] == (builder.IMAGE_SIZE, builder.IMAGE_SIZE, 3)
    train_keys = {image.tobytes() for image in train}
    assert len(train_keys) == len(train)
    assert not any(image.tobytes() in train_keys for image in val)


def test_folder_is_smaller_than_100_mb(built):
    size = sum(p.stat().st_size for p in built.iterdir())
    assert size < 100 * 2**20, f"{size / 2**20:.1f} MB"


# ---- determinism and automatic build ----------------------------------------------------------

@pytest.mark.slow
def test_first_load_builds_byte_identical_files(built, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    data = load_coco_data()
    out = capsys.readouterr().out
    assert "building the built-in captioning dataset" in out
    assert f"No real COCO data in {tmp_path / 'coco_captioning'} or " in out   # where it looked
    assert "cs231n/datasets/coco_captioning" in out
    assert "built-in" in out.splitlines()[-1]
    assert data["train_features"].shape[0] == builder.NUM_IMAGES["train"]
    rebuilt = tmp_path / "builtin_captioning"
    assert sorted(p.name for p in rebuilt.iterdir()) == sorted(p.name for p in built.iterdir())
    for path in built.iterdir():
        assert (rebuilt / path.name).read_bytes() == path.read_bytes(), path.name
    load_coco_data()
    assert "building" not in capsys.readouterr().out, "built only once"


def test_another_seed_gives_other_scenes():
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(2)
    a = [builder.sample_scene(rng_a) for _ in range(5)]
    b = [builder.sample_scene(rng_b) for _ in range(5)]
    assert any(x.shape != y.shape or not np.allclose(x, y) for x, y in zip(a, b))


def test_real_files_placed_in_the_folder_are_read_instead(built, tmp_path, monkeypatch, capsys):
    shutil.copytree(built, tmp_path / "builtin_captioning")
    real = tmp_path / "coco_captioning"
    real.mkdir()
    for name in REAL_FILES:
        shutil.copy(built / name, real / name)
    with h5py.File(real / "train2014_vgg16_fc7_pca.h5", "r+") as f:
        f["features"][0] = 7.0               # mark the copy, to see which one is read
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    data = load_coco_data()
    assert "Loading COCO captioning data from" in capsys.readouterr().out
    assert (data["train_features"][0] == 7.0).all()
    assert coco_utils.default_data_dir() == real


# ---- images for the notebooks -----------------------------------------------------------------

def test_load_image_shows_the_stored_picture_offline(built, data, monkeypatch):
    monkeypatch.setenv("CS231N_DATASETS", str(built.parent))
    with h5py.File(built / "images.h5", "r") as f:
        expected = np.asarray(f["val_images"][7])
    image = load_image(data, "val", 7)
    assert image.dtype == np.uint8 and image.shape == (builder.IMAGE_SIZE, builder.IMAGE_SIZE, 3)
    np.testing.assert_array_equal(image, expected)
    np.testing.assert_array_equal(image_from_url(data["val_urls"][7]), expected)
    np.testing.assert_array_equal(load_image(data, "val", 7, base_dir=built), expected)


def test_load_image_explains_what_is_missing(built, data, tmp_path, capsys):
    assert image_from_url("builtin://val/999999", base_dir=built) is None
    assert "outside" in capsys.readouterr().out
    assert load_image(data, "val", 0, base_dir=tmp_path) is None
    assert "python -m kit data" in capsys.readouterr().out
    with pytest.raises(ValueError, match="split"):
        load_image(data, "test", 0)
    with pytest.raises(IndexError, match="image_idx"):
        load_image(data, "val", 10**6)


def test_load_image_returns_none_for_an_unreachable_real_url(capsys):
    data = {"val_urls": np.array(["http://127.0.0.1:9/COCO_val2014_000000000001.jpg"])}
    assert load_image(data, "val", 0, timeout=2) is None
    assert "URL Error" in capsys.readouterr().out


# ---- the real COCO download -------------------------------------------------------------------

@pytest.fixture()
def coco_archive(built, tmp_path):
    """A small coco_captioning.zip in the real layout, served over HTTP on localhost."""
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "coco_captioning.zip", "w") as zf:
        for name in ("coco2014_captions.h5", "coco2014_vocab.json", "train2014_urls.txt"):
            zf.write(built / name, f"coco_captioning/{name}")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/coco_captioning.zip"
    server.shutdown()


def test_download_unpacks_the_archive_once(coco_archive, tmp_path, capsys):
    fetcher = _load_script("get_coco_captioning")
    dest = tmp_path / "datasets"
    assert fetcher.main(["--dest", str(dest), "--url", coco_archive]) == 0
    assert (dest / "coco_captioning" / "coco2014_vocab.json").is_file()
    assert not (dest / "coco_captioning.zip").exists()
    assert [p.name for p in dest.iterdir()] == ["coco_captioning"], "no temporary files left"
    capsys.readouterr()
    assert fetcher.main(["--dest", str(dest), "--url", coco_archive + ".gone"]) == 0
    assert "already there" in capsys.readouterr().out


def test_download_without_network_says_so_and_leaves_nothing(tmp_path, capsys):
    fetcher = _load_script("get_coco_captioning")
    dest = tmp_path / "datasets"
    assert fetcher.main(["--dest", str(dest), "--url", "http://127.0.0.1:9/coco_captioning.zip"]) == 1
    err = capsys.readouterr().err
    assert "Could not download" in err and "built-in" in err
    assert not (dest / "coco_captioning").exists()
    assert not list(dest.glob("*.zip"))
