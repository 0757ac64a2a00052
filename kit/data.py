"""Build the built-in offline captioning dataset (rendered scenes, captions, image features) into
the datasets folder ($CS231N_DATASETS, or datasets/ of the kit), where load_coco_data() finds it."""
import argparse
import time
from pathlib import Path

from cs231n import coco_utils


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write (default: builtin_captioning/ in the datasets folder)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is complete")


def run(args: argparse.Namespace) -> int:
    folder = args.out or coco_utils.builtin_dir()
    start = time.perf_counter()
    coco_utils._builder().build(folder, force=args.force)
    print(f"Built-in captioning dataset ready in {folder} ({time.perf_counter() - start:.1f} s)")
    return 0
