"""Regenerate the README's pictures in docs/images/ from what the commands produced:

- notebook_check.png: JupyterLab with RNN_Captioning.ipynb's rnn_step_forward check run on the
  student stubs (build/screenshots/lab_stubs.png, written by tests/test_browser.py);
- scores.png and checks.png: the demo's score plot and what its class got wrong
  (build/demo/grading/, written by ``make demo``).

Run ``make readme-images`` (which runs both first), or this script after them. Each picture is
shrunk to at most 900 pixels wide and a 256-colour palette so that it stays small.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SOURCES = {
    "notebook_check.png": ROOT / "build" / "screenshots" / "lab_stubs.png",
    "scores.png": ROOT / "build" / "demo" / "grading" / "scores.png",
    "checks.png": ROOT / "build" / "demo" / "grading" / "checks.png",
}
MAX_WIDTH = 900
MAX_BYTES = 200_000


def shrink(source: Path, target: Path) -> int:
    """Write a smaller copy of the PNG `source` to `target`; returns its size in bytes."""
    image = Image.open(source).convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)),
                             Image.LANCZOS)
    tmp = target.with_suffix(".tmp.png")
    image.quantize(colors=256).save(tmp, optimize=True)
    tmp.replace(target)
    return target.stat().st_size


def main() -> int:
    missing = [str(path) for path in SOURCES.values() if not path.is_file()]
    if missing:
        print("error: missing " + ", ".join(missing) + ": run `make demo` and "
              "`pytest tests/test_browser.py -k jupyterlab` first (`make readme-images` does)")
        return 2
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, source in SOURCES.items():
        size = shrink(source, IMAGES / name)
        print(f"{IMAGES / name}: {size / 1000:.0f} KB (from {source})")
        if size > MAX_BYTES:
            print(f"error: {name} is over {MAX_BYTES // 1000} KB")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
