"""Does the built-in dataset teach? A captioner trained on it for about a minute must describe the
validation images; the same model trained without usable image features must not
(``python -m kit data --evaluate``)."""
import time
from pathlib import Path

import numpy as np

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
