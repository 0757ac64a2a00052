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

import numpy as np

from cs231n.coco_utils import builtin_dir, datasets_dir

ROOT = Path(__file__).resolve().parent.parent


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


# ----------------------------------------------------------------------------------------------
# Does the built-in dataset teach? A model trained for about a minute must describe the val images;
# the same model trained without usable image features must not.
# ----------------------------------------------------------------------------------------------

# The recipe of the LSTM notebook's training run (CaptioningRNN and CaptioningSolver arguments):
# about 40 CPU seconds with two BLAS threads.
RECIPE = {"cell_type": "lstm", "hidden_dim": 128, "wordvec_dim": 64, "update_rule": "adam",
          "learning_rate": 3e-3, "lr_decay": 0.8, "batch_size": 100, "num_epochs": 3}
CONTROLS = ("image", "shuffled", "zeroed")


def with_features(data: dict, features: str) -> dict:
    """A copy of data whose training features are the images' own ("image"), another image's
    ("shuffled": rows permuted, so features carry no information about the captions) or all zero
    ("zeroed": the model can only learn the grammar). "zeroed" zeroes the val features too."""
    if features not in CONTROLS:
        raise ValueError(f"features must be one of {CONTROLS}, got {features!r}")
    data = dict(data)
    if features == "shuffled":
        order = np.random.RandomState(0).permutation(len(data["train_features"]))
        data["train_features"] = data["train_features"][order]
    elif features == "zeroed":
        data["train_features"] = np.zeros_like(data["train_features"])
        data["val_features"] = np.zeros_like(data["val_features"])
    return data


def train_captioner(data: dict, num_epochs=None, seed: int = 231, verbose: bool = False):
    """Train CaptioningRNN with RECIPE on data; returns (model, CPU seconds)."""
    from cs231n.captioning_solver import CaptioningSolver
    from cs231n.classifiers.rnn import CaptioningRNN

    np.random.seed(seed)
    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=RECIPE["wordvec_dim"], hidden_dim=RECIPE["hidden_dim"],
                          cell_type=RECIPE["cell_type"])
    solver = CaptioningSolver(model, data, update_rule=RECIPE["update_rule"],
                              optim_config={"learning_rate": RECIPE["learning_rate"]},
                              lr_decay=RECIPE["lr_decay"], batch_size=RECIPE["batch_size"],
                              num_epochs=num_epochs or RECIPE["num_epochs"], print_every=100,
                              verbose=verbose, seed=seed)
    start = time.process_time()
    solver.train()
    return model, time.process_time() - start


def teaching_figures(folder: Path, num_epochs=None, controls=CONTROLS) -> dict:
    """{control: {"object_accuracy", "bleu4", "images", "cpu_seconds"}} on the val split."""
    from cs231n.captioning_metrics import evaluate_captions
    from cs231n.coco_utils import load_coco_data

    data = load_coco_data(base_dir=folder)
    figures = {}
    for control in controls:
        controlled = with_features(data, control)
        model, seconds = train_captioner(controlled, num_epochs)
        figures[control] = dict(evaluate_captions(model, controlled, "val", base_dir=folder),
                                cpu_seconds=seconds)
    return figures


def print_teaching_report(folder: Path, num_epochs=None) -> None:
    epochs = num_epochs or RECIPE["num_epochs"]
    print(f"Training {RECIPE['cell_type'].upper()} captioners (hidden {RECIPE['hidden_dim']}, "
          f"word vectors {RECIPE['wordvec_dim']}, Adam {RECIPE['learning_rate']}, batch "
          f"{RECIPE['batch_size']}, {epochs} epochs) on {folder} ...")
    figures = teaching_figures(folder, epochs)
    print(f"{'training features':20} {'object accuracy':>16} {'BLEU-4':>8} {'CPU s':>7}")
    for control, row in figures.items():
        print(f"{control:20} {row['object_accuracy']:16.3f} {row['bleu4']:8.3f} {row['cpu_seconds']:7.0f}")
    print(f"(object accuracy: fraction of the {figures['image']['images']} val images whose greedy "
          f"caption names every object's colour and shape, and nothing else)")


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20
