"""Images for the notebooks: fetched by URL (real COCO) or read locally (built-in dataset).

The built-in dataset's URLs look like "builtin://train/17" (image row 17 of the train split): they
are read from images.h5 in the built-in dataset folder, without a network. Real COCO URLs are
fetched over HTTP; many old ones no longer answer, and then you get None.

    from cs231n.image_utils import load_image
    image = load_image(data, "val", 5)     # (H, W, 3) uint8, or None
    if image is not None:
        plt.imshow(image)
"""
import io
import urllib.error
import urllib.request
from pathlib import Path

import h5py
import matplotlib.image
import numpy as np

BUILTIN_SCHEME = "builtin://"


def image_from_url(url, timeout=5, base_dir=None):
    """Fetch an image by URL and return it as an array (H, W, 3), or None with a printed reason when
    it cannot be fetched (no network, dead link, not an image).

    A built-in URL "builtin://<split>/<row>" is read from <base_dir>/images.h5 instead (default: the
    built-in dataset folder); the result is (64, 64, 3) uint8.
    """
    url = str(url)
    if url.startswith(BUILTIN_SCHEME):
        return _builtin_image(url, base_dir)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
        return matplotlib.image.imread(io.BytesIO(payload), format=url.rsplit(".", 1)[-1])
    except urllib.error.HTTPError as e:
        print("HTTP Error:", e.code, url)
    except urllib.error.URLError as e:
        print("URL Error:", e.reason, url)
    except (OSError, ValueError) as e:
        print("Could not read image:", e, url)
    return None


def load_image(data, split, image_idx, base_dir=None, timeout=5):
    """The picture of image row image_idx of a split, whichever dataset data came from.

    Inputs:
    - data: dict from load_coco_data (its train_urls / val_urls are used)
    - split: "train" or "val"
    - image_idx: row of the image, as in data[split + "_image_idxs"] (int)
    - base_dir: folder of the built-in dataset when it is not the default one
    - timeout: seconds to wait for a real COCO image

    Returns an array (H, W, 3): (64, 64, 3) uint8 for the built-in dataset (always available), the
    downloaded picture for real COCO, or None (with a printed reason) when it cannot be fetched.
    """
    key = f"{split}_urls"
    if key not in data:
        raise ValueError(f'split must be "train" or "val" (a key {key!r} of the data dict), got {split!r}')
    urls = data[key]
    if not 0 <= int(image_idx) < len(urls):
        raise IndexError(f"image_idx must be in [0, {len(urls)}) for the {split} split, got {image_idx}")
    return image_from_url(urls[int(image_idx)], timeout=timeout, base_dir=base_dir)


def _builtin_image(url, base_dir=None):
    """The image of a "builtin://<split>/<row>" URL, or None with a printed reason."""
    if base_dir is None:
        from .coco_utils import builtin_dir
        base_dir = builtin_dir()
    path = Path(base_dir) / "images.h5"
    try:
        split, row = url[len(BUILTIN_SCHEME):].split("/")
        with h5py.File(path, "r") as f:
            images = f[f"{split}_images"]
            if not 0 <= int(row) < len(images):
                raise ValueError(f"row {row} is outside the {len(images)} {split} images")
            return np.asarray(images[int(row)])
    except FileNotFoundError:
        print(f"Built-in image not found: {path} is missing (build it with `python -m kit data`)", url)
    except (OSError, KeyError, ValueError) as e:
        print("Could not read built-in image:", e, url)
    return None
