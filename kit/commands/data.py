"""Build the built-in offline captioning dataset, download the real COCO features, or check that
the built-in dataset teaches.

  python -m kit data                  build the built-in dataset when it is missing
  python -m kit data --force          build it again (same seed: byte-identical files)
  python -m kit data --out DIR        build it into DIR instead (e.g. one shared copy for graders,
                                      then point CS231N_DATASETS at DIR's parent)
  python -m kit data --coco           download the real COCO captioning features (about 1 GB)
  python -m kit data --evaluate       train an LSTM for about a minute on the built-in set and print
                                      how well it captions the validation images, next to the same
                                      model trained on shuffled features

The built-in dataset lives in datasets/builtin_captioning/ (or $CS231N_DATASETS/builtin_captioning/);
load_coco_data() builds it by itself the first time it needs it.
"""
import argparse
import importlib.util
import time
from pathlib import Path

from cs231n.coco_utils import builtin_dir, datasets_dir

from ..author.data import RECIPE, print_teaching_report
from ..paths import ROOT


def dataset_script(name: str):
    """A script of datasets/ (builtin_captioning, get_coco_captioning) loaded as a module."""
    path = ROOT / "datasets" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder of the built-in dataset (default: builtin_captioning/ in "
                             "$CS231N_DATASETS or datasets/)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the scenes and captions (default: the kit's fixed seed)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild the built-in dataset even when it is already there")
    parser.add_argument("--coco", action="store_true",
                        help="download and unpack the real COCO captioning features into "
                             "coco_captioning/ (only when missing)")
    parser.add_argument("--evaluate", action="store_true",
                        help="train an LSTM on the built-in dataset and print its caption scores")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"training epochs for --evaluate (default {RECIPE['num_epochs']}, about "
                             f"40 CPU seconds)")


def run(args: argparse.Namespace) -> int:
    if args.coco:
        return dataset_script("get_coco_captioning").fetch(datasets_dir())
    builder = dataset_script("builtin_captioning")
    folder = args.out or builtin_dir()
    seed = builder.DEFAULT_SEED if args.seed is None else args.seed
    if args.force or not builder.is_current(folder):
        start = time.perf_counter()
        builder.build(folder, seed=seed, force=True)
        print(f"Built the built-in captioning dataset in {folder} ({time.perf_counter() - start:.1f} s, "
              f"{_size_mb(folder):.0f} MB, seed {seed})")
    else:
        print(f"The built-in captioning dataset is already in {folder} (--force rebuilds it)")
    if args.evaluate:
        print_teaching_report(folder, num_epochs=args.epochs)
    return 0


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20
