"""Build the kit's built-in captioning dataset: rendered scenes, their captions and image features.

The dataset is written in the format of the real COCO captioning folder (coco_captioning/), so the
same ``cs231n.coco_utils.load_coco_data`` reads both:

    coco2014_captions.h5          train_captions (N, 17) int32, train_image_idxs (N,) int32, val_*
    coco2014_vocab.json           idx_to_word (list), word_to_idx (dict); <NULL> <START> <END> <UNK>
                                  at 0..3, then the words by decreasing frequency
    train2014_vgg16_fc7.h5        features (num_images, 1024) float32: the raw image features
    train2014_vgg16_fc7_pca.h5    features (num_images, 512) float32: the same after PCA whitening
    train2014_urls.txt            one "builtin://train/<row>" per image (row i = feature row i)
    train2014_images.txt          where each image is stored: "images.h5/train_images/<row>"
    val2014_*                     the same for the validation images
    images.h5                     train_images (num_images, 64, 64, 3) uint8 and train_objects
                                  (num_images, 3, 5) int16: [colour, shape, size, x, y] of each
                                  object (-1 rows: no object); the same for val
    scene_lexicon.json            the names of the colours, shapes and sizes, the caption words that
                                  name each of them, and the version of this builder

Each image shows one to three flat shapes of different sizes (six colours, four shapes, three
sizes) on a grey background. Its five captions come from a small grammar with synonyms, optional
adjectives, positions, relations between objects and several sentence forms; each names the colour
and shape of every object, from the largest to the smallest. The features are made the way the
real ones were: a fixed convolutional network (random but fixed filters) applied to the pixels --
conv, ReLU, max pool, conv, ReLU, then an average over the image ("what": 896 values) and, for a
few first-layer channels, over a 4x4 grid of cells ("where": 128 values) -- then a PCA to 512
dimensions fitted on the training images.

The same seed gives byte-identical files. Run it directly:

    python datasets/builtin_captioning.py [--out FOLDER] [--seed N]

or let ``load_coco_data()`` build it on first use. Needs only numpy and h5py.
"""
import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import h5py
import numpy as np

VERSION = 4                    # change it whenever the files change: old copies get rebuilt
DEFAULT_SEED = 231
SPLITS = ("train", "val")
NUM_IMAGES = {"train": 12000, "val": 1000}
CAPTIONS_PER_IMAGE = 5
MAX_WORDS = 15                 # + <START> and <END> = 17 tokens, as in the real captions
MIN_WORD_COUNT = 20            # rarer words of the training captions become <UNK>
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")

# ----------------------------------------------------------------------------------------------
# Scenes: what the images show
# ----------------------------------------------------------------------------------------------

IMAGE_SIZE = 64
MAX_OBJECTS = 3
OBJECT_COUNTS = (1, 2, 2, 3)     # drawn uniformly: a quarter of the scenes have 1 or 3 objects
COLOURS = {                    # name -> RGB in [0, 1]
    "red": (0.86, 0.13, 0.13),
    "green": (0.13, 0.62, 0.20),
    "blue": (0.15, 0.30, 0.88),
    "yellow": (0.96, 0.84, 0.10),
    "purple": (0.56, 0.20, 0.70),
    "orange": (0.98, 0.52, 0.05),
}
COLOUR_JITTER = 0.06           # each object's RGB is shifted by up to this much per channel
SHAPES = ("circle", "square", "triangle", "cross")
EXTENT = {"circle": 1.0, "square": 1.22, "triangle": 1.53, "cross": 1.07}  # reach / r
SIZES = {"small": (8.0, 9.0), "medium": (10.5, 11.5), "large": (13.5, 15.0)}  # r in pixels
BACKGROUND = (0.90, 0.90, 0.88)
COLOUR_NAMES, SIZE_NAMES = tuple(COLOURS), tuple(SIZES)
OBJECT_COLUMNS = ("colour", "shape", "size", "x", "y")


def _pick(rnd: random.Random, items):
    return items[int(rnd.random() * len(items))]


def sample_scene(rnd: random.Random) -> np.ndarray:
    """One scene: an array (k, 6) of [colour, shape, size, x, y, r] per object, largest first.

    colour, shape and size index COLOURS, SHAPES and SIZES; (x, y) is the centre in pixels (y
    grows downwards) and r the half-width. The k objects (1 to 3) have different sizes, do not
    touch, and no two share both colour and shape.
    """
    count = _pick(rnd, OBJECT_COUNTS)
    while True:
        pool = list(range(len(SIZES)))
        sizes = sorted((pool.pop(int(rnd.random() * len(pool))) for _ in range(count)), reverse=True)
        objects = []
        for size in sizes:
            colour, shape = _pick(rnd, range(len(COLOURS))), _pick(rnd, range(len(SHAPES)))
            while any(o[0] == colour and o[1] == shape for o in objects):
                colour, shape = _pick(rnd, range(len(COLOURS))), _pick(rnd, range(len(SHAPES)))
            low, high = SIZES[SIZE_NAMES[size]]
            r = low + (high - low) * rnd.random()
            reach = EXTENT[SHAPES[shape]] * r
            for _ in range(50):
                x, y = (reach + 1 + (IMAGE_SIZE - 2 * reach - 2) * rnd.random() for _ in range(2))
                if all(math.hypot(x - o[3], y - o[4]) > reach + EXTENT[SHAPES[o[1]]] * o[5] + 2
                       for o in objects):
                    objects.append((colour, shape, size, x, y, r))
                    break
            else:
                break           # no room for this object: draw the scene again
        if len(objects) == count:
            return np.array(objects, dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# Rendering: the signed distance of each pixel to each shape's edge, anti-aliased over one pixel
# ----------------------------------------------------------------------------------------------

def _box(px, py, half_w, half_h):
    qx, qy = np.abs(px) - half_w, np.abs(py) - half_h
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0)


def _triangle(px, py, r):
    """Equilateral triangle of half-side r pointing up, centred on its bounding box."""
    k = np.sqrt(3.0)
    px = np.abs(px) - r
    py = -py + 1.5 * r / k                   # y up; the bounding box centred at 0
    flip = px + k * py > 0
    px, py = np.where(flip, (px - k * py) / 2, px), np.where(flip, (-k * px - py) / 2, py)
    px = px - np.clip(px, -2 * r, 0)
    return -np.hypot(px, py) * np.sign(py)


def signed_distance(shape: int, px, py, r):
    """Distance in pixels from points (px, py), relative to the centre, to the edge of a shape of
    half-width r (negative inside). Broadcasts over its arguments."""
    name = SHAPES[shape]
    if name == "circle":
        return np.hypot(px, py) - r
    if name == "square":
        return _box(px, py, 0.86 * r, 0.86 * r)
    if name == "triangle":
        return _triangle(px, py, 1.15 * r)
    if name == "cross":
        return np.minimum(_box(px, py, r, 0.38 * r), _box(px, py, 0.38 * r, r))
    raise ValueError(f"unknown shape {shape}")


def render(scenes: list, rgbs: list, chunk: int = 1000) -> np.ndarray:
    """The scenes as images (N, IMAGE_SIZE, IMAGE_SIZE, 3) uint8.

    rgbs[i] is a (k, 3) array: the colour of each object of scenes[i]. Objects never touch, so
    each pixel mixes the background with at most one object.
    """
    centres = np.arange(IMAGE_SIZE, dtype=np.float32) + 0.5
    ys, xs = centres[:, None], centres[None, :]
    images = np.empty((len(scenes), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    for start in range(0, len(scenes), chunk):
        batch = list(range(start, min(start + chunk, len(scenes))))
        cover = np.zeros((len(batch), IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
        paint = np.zeros((len(batch), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.float32)
        for slot in range(MAX_OBJECTS):              # one object per image at a time
            rows = [i for i, n in enumerate(batch) if len(scenes[n]) > slot]
            if not rows:
                continue
            objects = np.array([scenes[batch[i]][slot] for i in rows], dtype=np.float32)
            rgb = np.array([rgbs[batch[i]][slot] for i in rows], dtype=np.float32)
            for shape in range(len(SHAPES)):
                sel = objects[:, 1] == shape
                if not sel.any():
                    continue
                x, y, r = (objects[sel, c][:, None, None] for c in (3, 4, 5))
                coverage = np.clip(0.5 - signed_distance(shape, xs - x, ys - y, r), 0, 1)
                idx = np.array(rows)[sel]
                cover[idx] += coverage
                paint[idx] += coverage[..., None] * rgb[sel][:, None, None, :]
        image = np.float32(BACKGROUND) * (1 - cover[..., None]) + paint
        images[start:start + len(batch)] = np.round(np.clip(image, 0, 1) * 255)
    return images


# ----------------------------------------------------------------------------------------------
# Captions: a small grammar. Every caption names the colour and shape of every object, largest
# first; the rest (opening words, size adjectives, positions, relations, synonyms, closing words)
# varies.
# ----------------------------------------------------------------------------------------------

# Synonyms: the first word is used three times in four.
COLOUR_WORDS = {"red": ["red"], "green": ["green"], "blue": ["blue"], "yellow": ["yellow"],
                "purple": ["purple", "violet"], "orange": ["orange"]}
SHAPE_WORDS = {"circle": ["circle", "disc"], "square": ["square", "box"],
               "triangle": ["triangle"], "cross": ["cross"]}
SIZE_WORDS = {"small": ["small", "little"], "medium": ["medium"], "large": ["large", "big"]}
# Words so rare that they stay under MIN_WORD_COUNT and become <UNK>, as in real captions.
RARE_SIZE_WORDS = {"small": ["tiny", "miniature", "wee"], "medium": ["moderate", "midsize"],
                   "large": ["huge", "enormous", "giant"]}
RARE_SIZE_P = 0.0006           # chance that a size adjective is a rare one
SIZE_WORD_P = 0.35             # chance that an object's noun phrase has a size adjective
OPENERS = [(6, ""), (2, "there is"), (1, "a picture of"), (1, "an image of"),
           (1, "a drawing of"), (1, "this image shows")] + [
          (0.0016, f"{a} {w} of") for a, w in (("an", "illustration"), ("a", "sketch"),
                                               ("a", "snapshot"), ("a", "rendering"), ("a", "diagram"))]
CLOSERS = [(8, ""), (1, "on a grey background"), (1, "on a gray background"),
           (0.0008, "on a plain canvas"), (0.0008, "on a blank canvas")]
RELATIONS = {"left": ["to the left of", "left of"], "right": ["to the right of", "right of"],
             "above": ["above", "over"], "below": ["below", "under"],
             "near": ["next to", "beside", "near"]}


def _weighted(rnd, pairs):
    total = sum(w for w, _ in pairs)
    u = rnd.random() * total
    for weight, item in pairs:
        u -= weight
        if u < 0:
            return item
    return pairs[-1][1]


def _synonym(rnd, words):
    if len(words) == 1 or rnd.random() < 0.75:
        return words[0]
    return _pick(rnd, words[1:])


def noun_phrase(rnd, obj) -> list:
    """'a [size] colour shape', e.g. ['a', 'big', 'red', 'circle']."""
    colour, shape, size = (int(v) for v in obj[:3])
    words = []
    if rnd.random() < SIZE_WORD_P:
        table = RARE_SIZE_WORDS if rnd.random() < RARE_SIZE_P else SIZE_WORDS
        words.append(_pick(rnd, table[SIZE_NAMES[size]]))
    words.append(_synonym(rnd, COLOUR_WORDS[COLOUR_NAMES[colour]]))
    words.append(_synonym(rnd, SHAPE_WORDS[SHAPES[shape]]))
    return ["an" if words[0][0] in "aeiou" else "a"] + words


def position_phrases(obj) -> list:
    """Phrases that say where the object is, e.g. ['on the left'], or [] when it is nowhere
    clearly."""
    x, y = obj[3] / IMAGE_SIZE, obj[4] / IMAGE_SIZE
    horizontal = "left" if x < 0.33 else "right" if x > 0.67 else "middle" if 0.4 < x < 0.6 else None
    vertical = "top" if y < 0.33 else "bottom" if y > 0.67 else "middle" if 0.4 < y < 0.6 else None
    if horizontal is None or vertical is None:
        return []
    if horizontal == vertical == "middle":
        return ["in the middle", "in the centre", "in the center"]
    if vertical == "middle":
        return [f"on the {horizontal}"]
    if horizontal == "middle":
        return [f"at the {vertical}"]
    return [f"in the {vertical} {horizontal} corner", f"at the {vertical}", f"on the {horizontal}"]


def relation_phrases(a, b) -> list:
    """Phrases REL for which 'a REL b' is true, e.g. ['next to', ..., 'left of']."""
    dx, dy = b[3] - a[3], b[4] - a[4]
    names = ["near"]
    if abs(dx) > 1.5 * abs(dy) and abs(dx) > 10:
        names.append("left" if dx > 0 else "right")
    elif abs(dy) > 1.5 * abs(dx) and abs(dy) > 10:
        names.append("above" if dy > 0 else "below")
    return [phrase for name in names for phrase in RELATIONS[name]]


def caption(rnd, scene) -> list:
    """One caption (a list of words) of a scene whose objects are sorted largest first."""
    nps = [noun_phrase(rnd, obj) for obj in scene]
    form = _pick(rnd, ("list", "relation", "where"))
    if form == "relation" and len(scene) >= 2:      # A REL B [and C]
        body = nps[0] + _pick(rnd, relation_phrases(scene[0], scene[1])).split() + nps[1]
        if len(scene) == 3:
            body += ["and"] + nps[2]
    else:                                           # A [where] and/with B [where] and C
        body = []
        for i, (obj, words) in enumerate(zip(scene, nps)):
            if i:
                body.append("with" if i == 1 and rnd.random() < 0.3 else "and")
            body += words
            where = position_phrases(obj)
            if where and len(scene) <= 2 and (form == "where" or rnd.random() < 0.2):
                body += _pick(rnd, where).split()
    opener = _weighted(rnd, OPENERS).split()
    if opener == ["there", "is"] and len(scene) > 1 and rnd.random() < 0.5:
        opener = ["there", "are"]
    return opener + body + _weighted(rnd, CLOSERS).split()


def scene_captions(rnd, scene, count: int = CAPTIONS_PER_IMAGE) -> list:
    """count different captions of at most MAX_WORDS words (longer ones are drawn again)."""
    captions = []
    for _ in range(100 * count):
        words = caption(rnd, scene)
        if len(words) <= MAX_WORDS and words not in captions:
            captions.append(words)
            if len(captions) == count:
                return captions
    raise RuntimeError(f"could not write {count} different captions for the scene {scene}")


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
    """(len(captions), MAX_WORDS + 2) int32 rows <START> w1 .. wk <END> padded with <NULL>; words
    outside the vocabulary become <UNK>."""
    out = np.zeros((len(captions), MAX_WORDS + 2), dtype=np.int32)
    start, end, unk = (word_to_idx[t] for t in ("<START>", "<END>", "<UNK>"))
    for row, words in enumerate(captions):
        tokens = [start] + [word_to_idx.get(w, unk) for w in words] + [end]
        out[row, :len(tokens)] = tokens
    return out


# ----------------------------------------------------------------------------------------------
# Features: a fixed random convolutional network, then PCA
# ----------------------------------------------------------------------------------------------

CONV1 = (5, 5, 3, 16)          # filter height, width, input channels, output channels; stride 2
CONV2 = (3, 3, 16, 896)        # stride 1
GRID, WHERE_CHANNELS = 4, 8    # the "where" features: 8 first-layer channels on a 4x4 grid
RAW_DIM = CONV2[3] + GRID * GRID * WHERE_CHANNELS
PCA_DIM = 512
FEATURE_SEED = 0               # the network never changes: it does not depend on --seed


def _conv_relu(x, w, stride=1):
    """relu of a 'valid' convolution: x (N, H, W, C), w (kh, kw, C, K) -> (N, H', W', K)."""
    kh, kw, _, k = w.shape
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    patches = patches[:, ::stride, ::stride]                 # (N, H', W', C, kh, kw)
    n, h, w_out = patches.shape[:3]
    flat = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w_out, -1)
    return np.maximum(flat @ w.reshape(-1, k), 0).reshape(n, h, w_out, k)


def _max_pool2(x):
    """2x2 max pooling with stride 2: (N, H, W, K) -> (N, H // 2, W // 2, K)."""
    n, h, w, k = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, k).max(axis=(2, 4))


def _grid_mean(x, grid):
    """x (N, H, W, K) -> (N, grid * grid * K): the mean of each cell of a grid x grid grid."""
    edges = np.linspace(0, x.shape[1], grid + 1).round().astype(int)
    cells = [x[:, edges[i]:edges[i + 1], edges[j]:edges[j + 1]].mean(axis=(1, 2))
             for i in range(grid) for j in range(grid)]
    return np.stack(cells, axis=1).reshape(x.shape[0], -1)


def filters():
    """The network's fixed filters: w1 (5, 5, 3, 16) and w2 (3, 3, 16, 896), float32."""
    rng = np.random.default_rng(FEATURE_SEED)
    w1 = rng.standard_normal(CONV1) / np.sqrt(np.prod(CONV1[:3]))
    w2 = rng.standard_normal(CONV2) / np.sqrt(np.prod(CONV2[:3]))
    return w1.astype(np.float32), w2.astype(np.float32)


def extract_features(images: np.ndarray, chunk: int = 250) -> np.ndarray:
    """Raw features (N, RAW_DIM) float32 of images (N, S, S, 3) uint8.

    x = maxpool2(relu(conv5x5/2(pixels))); what = mean over positions of relu(conv3x3(x)) (896);
    where = mean of 8 channels of x over each cell of a 4x4 grid (128).
    """
    w1, w2 = filters()
    out = np.empty((len(images), RAW_DIM), dtype=np.float32)
    for start in range(0, len(images), chunk):
        x = images[start:start + chunk].astype(np.float32) / 127.5 - 1.0
        x = _max_pool2(_conv_relu(x, w1, stride=2))
        what = _conv_relu(x, w2).mean(axis=(1, 2))
        where = _grid_mean(x[..., :WHERE_CHANNELS], GRID)
        out[start:start + chunk] = np.hstack([what, where])
    return out


def fit_pca(features: np.ndarray, dim: int = PCA_DIM):
    """PCA whitening fitted on features (N, D): returns mean (D,) and projection (D, dim) such that
    (features - mean) @ projection holds the dim principal components, largest variance first,
    each with unit variance on these features. Each component's largest weight is positive."""
    features = features.astype(np.float64)
    mean = features.mean(axis=0)
    centred = features - mean
    variances, vectors = np.linalg.eigh(centred.T @ centred / len(features))
    variances, vectors = variances[::-1][:dim], vectors[:, ::-1][:, :dim]
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(dim)])
    return mean, vectors * signs / np.sqrt(variances)


# ----------------------------------------------------------------------------------------------
# The files
# ----------------------------------------------------------------------------------------------

def lexicon() -> dict:
    """Names of the colours, shapes and sizes, and the caption words that name each of them."""
    def words(table, names, rare=None):
        return {w: names.index(name) for name, ws in table.items()
                for w in ws + (rare or {}).get(name, [])}
    return {
        "version": VERSION,
        "colours": list(COLOUR_NAMES), "shapes": list(SHAPES), "sizes": list(SIZE_NAMES),
        "colour_words": words(COLOUR_WORDS, list(COLOUR_NAMES)),
        "shape_words": words(SHAPE_WORDS, list(SHAPES)),
        "size_words": words(SIZE_WORDS, list(SIZE_NAMES), RARE_SIZE_WORDS),
        "object_columns": list(OBJECT_COLUMNS),
    }


def generate(seed: int = DEFAULT_SEED) -> dict:
    """Every file of the dataset, in memory: {file name: content}."""
    scenes, images, captions = {}, {}, {}
    for i, split in enumerate(SPLITS):
        rnd = random.Random(seed * len(SPLITS) + i)
        scenes[split] = [sample_scene(rnd) for _ in range(NUM_IMAGES[split])]
        rgbs = [[[min(max(c + COLOUR_JITTER * (2 * rnd.random() - 1), 0.0), 1.0)
                  for c in COLOURS[COLOUR_NAMES[int(obj[0])]]] for obj in scene]
                for scene in scenes[split]]
        images[split] = render(scenes[split], rgbs)
        captions[split] = [scene_captions(rnd, scene) for scene in scenes[split]]

    idx_to_word = build_vocab(c for per_image in captions["train"] for c in per_image)
    word_to_idx = {w: i for i, w in enumerate(idx_to_word)}
    raw = {split: extract_features(images[split]) for split in SPLITS}
    mean, projection = fit_pca(raw["train"])

    files = {"coco2014_captions.h5": {}, "images.h5": {}}
    for split in SPLITS:
        flat = [c for per_image in captions[split] for c in per_image]
        image_idxs = [i for i, per_image in enumerate(captions[split]) for _ in per_image]
        files["coco2014_captions.h5"][f"{split}_captions"] = encode(flat, word_to_idx)
        files["coco2014_captions.h5"][f"{split}_image_idxs"] = np.array(image_idxs, dtype=np.int32)
        files[f"{split}2014_vgg16_fc7.h5"] = {"features": raw[split]}
        files[f"{split}2014_vgg16_fc7_pca.h5"] = {
            "features": ((raw[split] - mean) @ projection).astype(np.float32)}
        objects = np.full((NUM_IMAGES[split], MAX_OBJECTS, len(OBJECT_COLUMNS)), -1, dtype=np.int16)
        for i, scene in enumerate(scenes[split]):
            objects[i, :len(scene)] = np.round(scene[:, :len(OBJECT_COLUMNS)])
        files["images.h5"][f"{split}_images"] = images[split]
        files["images.h5"][f"{split}_objects"] = objects
        rows = range(NUM_IMAGES[split])
        files[f"{split}2014_urls.txt"] = [f"builtin://{split}/{i}" for i in rows]
        files[f"{split}2014_images.txt"] = [f"images.h5/{split}_images/{i}" for i in rows]
    files["coco2014_vocab.json"] = {"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}
    files["scene_lexicon.json"] = lexicon()
    return files


def write(files: dict, folder: Path) -> None:
    """Write the files into the (existing) folder, without timestamps: same content, same bytes."""
    for name, content in files.items():
        path = folder / name
        if name.endswith(".h5"):
            with h5py.File(path, "w") as f:
                for key, array in content.items():
                    options = {}
                    if name == "images.h5":
                        options = {"compression": "gzip", "compression_opts": 4,
                                   "chunks": (1,) + array.shape[1:]}
                    f.create_dataset(key, data=array, track_times=False, **options)
        elif name.endswith(".json"):
            path.write_text(json.dumps(content, indent=1) + "\n")
        else:
            path.write_text("".join(f"{line}\n" for line in content))


def is_current(folder) -> bool:
    """Whether folder holds a complete dataset written by this version of the builder."""
    try:
        return json.loads((Path(folder) / "scene_lexicon.json").read_text())["version"] == VERSION \
            and (Path(folder) / "coco2014_captions.h5").is_file()
    except (OSError, ValueError, KeyError):
        return False


def build(folder, seed: int = DEFAULT_SEED, force: bool = False) -> Path:
    """Build the dataset into folder and return folder.

    A current complete folder is kept unless force is True. The files are written into a
    temporary folder beside it that is renamed into place when complete, so an interrupted build
    leaves nothing half-written; when two processes build at once, the first one to finish wins.
    """
    folder = Path(folder)
    if not force and is_current(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    files = generate(seed)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)     # readable like any folder (the grading sandbox's kernels read it)
    try:
        write(files, tmp)
        old = folder.with_name(f"{tmp.name}-old")
        if folder.exists():
            os.replace(folder, old)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not is_current(folder):
                raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "builtin_captioning",
                        help="folder to write (default: builtin_captioning/ beside this script)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the scenes and captions (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    build(args.out, seed=args.seed, force=True)
    print(f"Built the built-in captioning dataset in {args.out} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
