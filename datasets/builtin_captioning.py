"""Build the kit's built-in captioning dataset: rendered scenes, their captions and image features.

The dataset is written in the format of the real COCO captioning folder (coco_captioning/), so the
same ``cs231n.coco_utils.load_coco_data`` reads both:

    coco2014_captions.h5          train_captions (N, 17) int32, train_image_idxs (N,) int32, val_*
    coco2014_vocab.json           idx_to_word (list), word_to_idx (dict); <NULL> <START> <END> <UNK>
                                  at 0..3, then the words by decreasing frequency
    train2014_vgg16_fc7.h5        features (num_images, 2048) float32: the raw image features
    train2014_vgg16_fc7_pca.h5    features (num_images, 512) float32: the same after PCA
    train2014_urls.txt            one "builtin://train/<row>" per image (row i = feature row i)
    train2014_images.txt          where each image is stored: "images.h5/train_images/<row>"
    val2014_*                     the same for the validation images
    images.h5                     train_images (num_images, 64, 64, 3) uint8, train_objects
                                  (num_images, 3, 5) int16 [colour, shape, size, x, y] (-1 = no
                                  object), and the same for val
    scene_lexicon.json            the names of colours, shapes and sizes, and which caption words
                                  name each of them (for evaluating generated captions)

Each image shows one to three flat shapes (a few colours, shapes and two sizes) on a grey
background. Its captions come from a small grammar with synonyms, optional adjectives, positions,
relations between objects and different word orders; every caption names the colour and shape of
every object. The features are made like the real ones: a fixed convolutional network (random but
fixed filters, ReLU, pooling over a 4x4 grid so that positions survive) applied to the pixels, then
a PCA to 512 dimensions fitted on the training images.

Everything is drawn from one seed: the same seed gives byte-identical files. Run it directly:

    python datasets/builtin_captioning.py [--out FOLDER] [--seed N]

or let ``load_coco_data()`` build it on first use. Pure numpy + h5py.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import h5py
import numpy as np

DEFAULT_SEED = 231
NUM_IMAGES = {"train": 4000, "val": 1000}
CAPTIONS_PER_IMAGE = 5
MAX_WORDS = 15                 # + <START> and <END> = 17 tokens, as in the real captions
MIN_WORD_COUNT = 20            # rarer words in the training captions become <UNK>
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")
IMAGE_SIZE = 64
MAX_OBJECTS = 3
PCA_DIM = 512
FEATURE_SEED = 0               # the feature extractor is fixed: it never depends on --seed

# ----------------------------------------------------------------------------------------------
# Scenes: what the images show
# ----------------------------------------------------------------------------------------------

COLOURS = {                    # name -> RGB in [0, 1]
    "red": (0.86, 0.13, 0.13),
    "green": (0.13, 0.62, 0.20),
    "blue": (0.15, 0.30, 0.88),
    "yellow": (0.96, 0.84, 0.10),
    "purple": (0.56, 0.20, 0.70),
    "orange": (0.98, 0.52, 0.05),
}
SHAPES = ("circle", "square", "triangle", "cross", "diamond")
SIZES = {"small": (5.0, 6.5), "medium": (8.0, 9.5), "large": (11.5, 13.5)}  # half-width in pixels
BACKGROUND = (0.90, 0.90, 0.88)

COLOUR_NAMES = tuple(COLOURS)
SIZE_NAMES = tuple(SIZES)


def sample_scene(rng: np.random.Generator) -> np.ndarray:
    """One scene: (num_objects, 5) float array of [colour, shape, size, x, y, radius]... see below.

    Returns an array (k, 6): colour index, shape index, size index, centre x, centre y (pixels) and
    half-width r. Objects do not overlap and no two share both colour and shape.
    """
    num_objects = rng.integers(1, MAX_OBJECTS + 1)
    objects = []
    while len(objects) < num_objects:
        colour = rng.integers(len(COLOURS))
        shape = rng.integers(len(SHAPES))
        if any(o[0] == colour and o[1] == shape for o in objects):
            continue
        size = rng.integers(len(SIZES))
        if any(o[2] == size for o in objects):
            continue
        r = rng.uniform(*SIZES[SIZE_NAMES[size]])
        for _ in range(100):
            x, y = rng.uniform(r + 1, IMAGE_SIZE - r - 1, size=2)
            if all(np.hypot(x - o[3], y - o[4]) > r + o[5] + 3 for o in objects):
                objects.append((colour, shape, size, x, y, r))
                break
        else:           # no room left: start the scene again
            objects = []
    return np.array(objects, dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# Rendering: signed distance of each pixel to the shape, anti-aliased over one pixel
# ----------------------------------------------------------------------------------------------

def _box(px, py, half_w, half_h):
    qx, qy = np.abs(px) - half_w, np.abs(py) - half_h
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0)


def _triangle(px, py, r):
    """Equilateral triangle pointing up, centred at 0 (py grows downwards)."""
    k = np.sqrt(3.0)
    px = np.abs(px) - r
    py = -py + r / k
    flip = px + k * py > 0
    px, py = np.where(flip, (px - k * py) / 2, px), np.where(flip, (-k * px - py) / 2, py)
    px = px - np.clip(px, -2 * r, 0)
    return -np.hypot(px, py) * np.sign(py)


def signed_distance(shape: int, px, py, r):
    """Distance in pixels from points (px, py), relative to the centre, to the shape's edge
    (negative inside)."""
    name = SHAPES[shape]
    if name == "circle":
        return np.hypot(px, py) - r
    if name == "square":
        return _box(px, py, 0.85 * r, 0.85 * r)
    if name == "triangle":
        return _triangle(px, py + 0.2 * r, 1.15 * r)
    if name == "cross":
        return np.minimum(_box(px, py, r, 0.36 * r), _box(px, py, 0.36 * r, r))
    if name == "diamond":
        return (np.abs(px) + np.abs(py) - 1.1 * r) / np.sqrt(2.0)
    raise ValueError(f"unknown shape {shape}")


def render(scene: np.ndarray, colour_jitter: np.ndarray) -> np.ndarray:
    """The scene as an image (IMAGE_SIZE, IMAGE_SIZE, 3) uint8.

    colour_jitter: (k, 3) small offsets added to each object's colour.
    """
    ys, xs = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE] + 0.5
    image = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3))
    image[:] = BACKGROUND
    for (colour, shape, _, x, y, r), jitter in zip(scene, colour_jitter):
        coverage = np.clip(0.5 - signed_distance(int(shape), xs - x, ys - y, r), 0, 1)[..., None]
        rgb = np.clip(np.array(COLOURS[COLOUR_NAMES[int(colour)]]) + jitter, 0, 1)
        image = image * (1 - coverage) + rgb * coverage
    return np.round(image * 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Captions: a small grammar
# ----------------------------------------------------------------------------------------------

COLOUR_WORDS = {"red": ["red"], "green": ["green"], "blue": ["blue"], "yellow": ["yellow"],
                "purple": ["purple", "violet"], "orange": ["orange"]}
SHAPE_WORDS = {"circle": ["circle", "disc"], "square": ["square", "box"],
               "triangle": ["triangle"], "cross": ["cross"], "diamond": ["diamond"]}
SIZE_WORDS = {"small": ["small", "little"], "medium": ["medium"], "large": ["large", "big"]}
# Words used so rarely that they fall under MIN_WORD_COUNT and become <UNK>, as in real captions.
RARE_SIZE_WORDS = {"small": ["tiny", "miniature"], "medium": ["average"], "large": ["huge", "enormous"]}
OPENERS = [(6, ""), (2, "there is"), (1, "a picture of"), (1, "an image of"),
           (1, "a drawing of"), (1, "this image shows"), (0.02, "an illustration of"),
           (0.02, "a sketch of"), (0.02, "a rendering of")]
CLOSERS = [(8, ""), (1, "on a grey background"), (1, "on a gray background"),
           (0.02, "on a plain canvas")]
RELATIONS = {"left": ["to the left of", "left of"], "right": ["to the right of", "right of"],
             "above": ["above", "over"], "below": ["below", "under"],
             "near": ["next to", "beside", "near"]}


def _choose(rng, items):
    return items[rng.integers(len(items))]


def _weighted(rng, pairs):
    weights = np.array([w for w, _ in pairs], dtype=np.float64)
    return pairs[rng.choice(len(pairs), p=weights / weights.sum())][1]


def _synonym(rng, words):
    """The first (usual) word three times in four, else one of the others."""
    if len(words) == 1 or rng.random() < 0.75:
        return words[0]
    return words[1 + rng.integers(len(words) - 1)]


def _article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


def noun_phrase(rng, obj) -> list:
    """'a [size] colour shape', e.g. ['a', 'big', 'red', 'circle']."""
    colour, shape, size = (int(v) for v in obj[:3])
    words = []
    if rng.random() < 0.4:
        size_name = SIZE_NAMES[size]
        rare = rng.random() < 0.01
        words.append(_choose(rng, (RARE_SIZE_WORDS if rare else SIZE_WORDS)[size_name]))
    words.append(_synonym(rng, COLOUR_WORDS[COLOUR_NAMES[colour]]))
    words.append(_synonym(rng, SHAPE_WORDS[SHAPES[shape]]))
    return [_article(words[0])] + words


def position_phrase(obj):
    """Where the object is, e.g. 'on the left', or None when it is not clearly anywhere."""
    x, y = obj[3] / IMAGE_SIZE, obj[4] / IMAGE_SIZE
    horizontal = "left" if x < 0.33 else "right" if x > 0.67 else "middle" if 0.4 < x < 0.6 else None
    vertical = "top" if y < 0.33 else "bottom" if y > 0.67 else "middle" if 0.4 < y < 0.6 else None
    if horizontal is None or vertical is None:
        return None
    if horizontal == vertical == "middle":
        return ["in the middle", "in the centre", "in the center"]
    if vertical == "middle":
        return [f"on the {horizontal}"]
    if horizontal == "middle":
        return [f"at the {vertical}"]
    return [f"in the {vertical} {horizontal} corner", f"at the {vertical}", f"on the {horizontal}"]


def relation(a, b):
    """Relation words that are true of 'a REL b'."""
    dx, dy = b[3] - a[3], b[4] - a[4]
    names = ["near"]
    if abs(dx) > 1.5 * abs(dy) and abs(dx) > 10:
        names.append("left" if dx > 0 else "right")
    elif abs(dy) > 1.5 * abs(dx) and abs(dy) > 10:
        names.append("above" if dy > 0 else "below")
    return [phrase for name in names for phrase in RELATIONS[name]]


def caption(rng, scene) -> list:
    """One caption (a list of words) that names the colour and shape of every object."""
    order = np.argsort(-scene[:, 5]) if rng.random() < 0.8 else rng.permutation(len(scene))
    objs = [scene[i] for i in order]
    nps = [noun_phrase(rng, o) for o in objs]
    kind = rng.integers(3)
    if len(objs) == 1 and kind > 0:
        where = position_phrase(objs[0])
        body = nps[0] + (_choose(rng, where).split() if where else [])
    elif len(objs) >= 2 and kind == 0:
        body = nps[0] + _choose(rng, relation(objs[0], objs[1])).split() + nps[1]
        if len(objs) == 3:
            body += ["and"] + nps[2]
    else:
        body = []
        for i, np_words in enumerate(nps):
            if i:
                body.append("and" if i == len(nps) - 1 else "with" if rng.random() < 0.3 else "and")
            body += np_words
            if len(objs) <= 2 and rng.random() < 0.3:
                where = position_phrase(objs[i])
                if where:
                    body += _choose(rng, where).split()
    opener = _weighted(rng, OPENERS).split()
    if opener == ["there", "is"] and len(objs) > 1 and rng.random() < 0.5:
        opener = ["there", "are"]
    return opener + body + _weighted(rng, CLOSERS).split()


def scene_captions(rng, scene, count=CAPTIONS_PER_IMAGE) -> list:
    """count captions of at most MAX_WORDS words; too long ones are dropped and drawn again."""
    captions = []
    for _ in range(50 * count):
        words = caption(rng, scene)
        if len(words) <= MAX_WORDS and words not in captions:
            captions.append(words)
            if len(captions) == count:
                break
    return captions


# ----------------------------------------------------------------------------------------------
# Vocabulary and encoding
# ----------------------------------------------------------------------------------------------

def build_vocab(captions) -> list:
    """The special tokens, then every word seen at least MIN_WORD_COUNT times in the training
    captions, by decreasing count (ties in alphabetical order)."""
    counts = Counter(word for words in captions for word in words)
    words = sorted((w for w, c in counts.items() if c >= MIN_WORD_COUNT), key=lambda w: (-counts[w], w))
    return list(SPECIAL_TOKENS) + words


def encode(captions, word_to_idx) -> np.ndarray:
    """(len(captions), MAX_WORDS + 2) int32: <START> words <END> padded with <NULL>; unknown
    words become <UNK>."""
    out = np.zeros((len(captions), MAX_WORDS + 2), dtype=np.int32)
    unk = word_to_idx["<UNK>"]
    for row, words in enumerate(captions):
        tokens = [word_to_idx["<START>"]] + [word_to_idx.get(w, unk) for w in words] + [word_to_idx["<END>"]]
        out[row, :len(tokens)] = tokens
    return out


# ----------------------------------------------------------------------------------------------
# Features: a fixed random convolutional network, then PCA
# ----------------------------------------------------------------------------------------------

CONV1 = (5, 5, 3, 16)          # filter height, width, input channels, output channels; stride 2
CONV2 = (3, 3, 16, 1024)       # stride 1
GRID = 4                       # the first layer is average-pooled over a GRID x GRID grid
RAW_DIM = CONV2[3] + GRID * GRID * CONV1[3]


def _conv_relu(x, w, stride):
    """x (N, H, W, C), w (kh, kw, C, K) -> relu(conv) (N, H', W', K), 'valid' padding."""
    kh, kw = w.shape[:2]
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    patches = patches[:, ::stride, ::stride]                 # (N, H', W', C, kh, kw)
    n, h, w_out = patches.shape[:3]
    flat = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w_out, -1)
    out = flat @ w.reshape(-1, w.shape[3])
    return np.maximum(out, 0).reshape(n, h, w_out, -1)


def _max_pool2(x):
    """2x2 max pooling with stride 2: (N, H, W, K) -> (N, H // 2, W // 2, K)."""
    n, h, w, k = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, k).max(axis=(2, 4))


def _grid_mean_pool(x, grid):
    """x (N, H, W, K) -> (N, grid * grid * K): the mean of each of grid x grid cells."""
    edges = np.linspace(0, x.shape[1], grid + 1).round().astype(int)
    cells = [x[:, edges[i]:edges[i + 1], edges[j]:edges[j + 1]].mean(axis=(1, 2))
             for i in range(grid) for j in range(grid)]
    return np.stack(cells, axis=1).reshape(x.shape[0], -1)


def feature_extractor():
    """The fixed filters: w1 (5, 5, 3, 16) and w2 (3, 3, 16, 1024), float32."""
    rng = np.random.default_rng(FEATURE_SEED)
    w1 = rng.standard_normal(CONV1) / np.sqrt(np.prod(CONV1[:3]))
    w2 = rng.standard_normal(CONV2) / np.sqrt(np.prod(CONV2[:3]))
    return w1.astype(np.float32), w2.astype(np.float32)


def extract_features(images: np.ndarray, chunk: int = 250) -> np.ndarray:
    """images (N, S, S, 3) uint8 -> raw features (N, RAW_DIM) float32.

    conv 5x5 stride 2 -> ReLU -> 2x2 max pool -> conv 3x3 -> ReLU -> mean over the image: what is
    in the picture (1024 values); and the first layer's mean over a 4x4 grid of cells: where things
    are (256 values).
    """
    w1, w2 = feature_extractor()
    out = np.empty((len(images), RAW_DIM), dtype=np.float32)
    for start in range(0, len(images), chunk):
        x = images[start:start + chunk].astype(np.float32) / 127.5 - 1.0
        x = _max_pool2(_conv_relu(x, w1, stride=2))
        where = _grid_mean_pool(x, GRID)
        what = _conv_relu(x, w2, stride=1).mean(axis=(1, 2))
        out[start:start + chunk] = np.hstack([what, where])
    return out


def fit_pca(features: np.ndarray, dim: int = PCA_DIM):
    """PCA whitening fitted on features (N, D): returns mean (D,) and projection (D, dim) such that
    (features - mean) @ projection has the dim principal components, largest variance first, each
    with unit variance. Each component's sign is fixed so that its largest entry is positive."""
    features = features.astype(np.float64)
    mean = features.mean(axis=0)
    centred = features - mean
    variances, vectors = np.linalg.eigh(centred.T @ centred / len(features))
    components = vectors[:, ::-1][:, :dim]
    signs = np.sign(components[np.abs(components).argmax(axis=0), np.arange(dim)])
    scale = 1.0 / np.sqrt(variances[::-1][:dim])
    return mean, components * signs * scale


# ----------------------------------------------------------------------------------------------
# Writing the folder
# ----------------------------------------------------------------------------------------------

def _write_h5(path: Path, arrays: dict, compress: bool = False):
    with h5py.File(path, "w", track_order=False) as f:
        for name, array in arrays.items():
            options = {"compression": "gzip", "compression_opts": 4,
                       "chunks": (1,) + array.shape[1:]} if compress else {}
            f.create_dataset(name, data=array, track_times=False, **options)


def _write_lines(path: Path, lines):
    path.write_text("".join(f"{line}\n" for line in lines))


def lexicon() -> dict:
    """Names of the colours, shapes and sizes, and the caption words that name each of them."""
    def words(table, names, rare=None):
        return {w: names.index(name) for name, ws in table.items()
                for w in ws + (rare or {}).get(name, [])}
    return {
        "colours": list(COLOUR_NAMES), "shapes": list(SHAPES), "sizes": list(SIZE_NAMES),
        "colour_words": words(COLOUR_WORDS, list(COLOUR_NAMES)),
        "shape_words": words(SHAPE_WORDS, list(SHAPES)),
        "size_words": words(SIZE_WORDS, list(SIZE_NAMES), RARE_SIZE_WORDS),
        "object_columns": ["colour", "shape", "size", "x", "y"],
    }


def generate(seed: int = DEFAULT_SEED) -> dict:
    """Every array and text of the dataset, in memory: {file name: content}."""
    rng = np.random.default_rng(seed)
    scenes, images, captions = {}, {}, {}
    for split in ("train", "val"):
        scenes[split] = [sample_scene(rng) for _ in range(NUM_IMAGES[split])]
        images[split] = np.stack([render(s, rng.uniform(-0.06, 0.06, size=(len(s), 3)))
                                  for s in scenes[split]])
        captions[split] = [scene_captions(rng, s) for s in scenes[split]]

    idx_to_word = build_vocab(c for per_image in captions["train"] for c in per_image)
    word_to_idx = {w: i for i, w in enumerate(idx_to_word)}

    raw = {split: extract_features(images[split]) for split in images}
    mean, components = fit_pca(raw["train"])

    files = {"coco2014_captions.h5": {}, "images.h5": {}}
    for split in ("train", "val"):
        flat = [c for per_image in captions[split] for c in per_image]
        image_idxs = [i for i, per_image in enumerate(captions[split]) for _ in per_image]
        files["coco2014_captions.h5"][f"{split}_captions"] = encode(flat, word_to_idx)
        files["coco2014_captions.h5"][f"{split}_image_idxs"] = np.array(image_idxs, dtype=np.int32)
        files[f"{split}2014_vgg16_fc7.h5"] = {"features": raw[split].astype(np.float32)}
        files[f"{split}2014_vgg16_fc7_pca.h5"] = {
            "features": ((raw[split] - mean) @ components).astype(np.float32)}
        objects = np.full((NUM_IMAGES[split], MAX_OBJECTS, 5), -1, dtype=np.int16)
        for i, scene in enumerate(scenes[split]):
            objects[i, :len(scene)] = np.round(scene[:, :5])
        files["images.h5"][f"{split}_images"] = images[split]
        files["images.h5"][f"{split}_objects"] = objects
        n = NUM_IMAGES[split]
        files[f"{split}2014_urls.txt"] = [f"builtin://{split}/{i}" for i in range(n)]
        files[f"{split}2014_images.txt"] = [f"images.h5/{split}_images/{i}" for i in range(n)]
    files["coco2014_vocab.json"] = {"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}
    files["scene_lexicon.json"] = lexicon()
    return files


def write(files: dict, folder: Path):
    """Write the files into folder (which must exist)."""
    for name, content in files.items():
        path = folder / name
        if name.endswith(".h5"):
            _write_h5(path, content, compress=name == "images.h5")
        elif name.endswith(".json"):
            path.write_text(json.dumps(content, indent=1) + "\n")
        else:
            _write_lines(path, content)


def build(folder, seed: int = DEFAULT_SEED, force: bool = False) -> Path:
    """Build the dataset into folder and return it. The files are written to a temporary folder
    beside it that is renamed into place when complete; an existing complete folder is kept unless
    force is True."""
    folder = Path(folder)
    if folder.exists() and not force and (folder / "coco2014_vocab.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    files = generate(seed)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write(files, tmp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except OSError:
        if not (folder / "coco2014_vocab.json").is_file():
            raise
        # another process finished the same build first: keep its folder
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "builtin_captioning",
                        help="folder to write (default: builtin_captioning/ beside this script)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed of the scenes and captions (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    build(args.out, seed=args.seed, force=True)
    print(f"Built the built-in captioning dataset in {args.out} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
