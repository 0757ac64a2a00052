"""The built-in dataset teaches: a captioner trained for about a minute describes the val images, the
same captioner trained on shuffled features cannot, and the classic "overfit 50 captions" exercise
works on it with the classic settings."""
import re
from pathlib import Path

import numpy as np
import pytest

from cs231n.captioning_solver import OVERFIT_TARGETS, CaptioningSolver
from cs231n.classifiers.rnn import CaptioningRNN
from cs231n.coco_utils import load_coco_data
from kit.author.data import teaching_figures

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(builtin_dataset):
    return builtin_dataset


@pytest.mark.slow
def test_a_one_minute_lstm_names_the_objects_and_needs_the_features(built):
    figures = teaching_figures(built, controls=("image", "shuffled"))
    image, shuffled = figures["image"], figures["shuffled"]
    print(figures)
    assert image["images"] == 1000
    assert image["object_accuracy"] >= 0.8, figures
    assert shuffled["object_accuracy"] * 3 <= image["object_accuracy"], figures
    assert image["bleu4"] > shuffled["bleu4"], figures


@pytest.mark.slow
@pytest.mark.parametrize("cell_type,threshold", sorted(OVERFIT_TARGETS.items()))
def test_overfit_50_captions_with_the_classic_settings(built, cell_type, threshold):
    np.random.seed(231)
    small_data = load_coco_data(base_dir=built, max_train=50)
    model = CaptioningRNN(cell_type=cell_type, word_to_idx=small_data["word_to_idx"],
                          input_dim=small_data["train_features"].shape[1],
                          hidden_dim=512, wordvec_dim=256)
    solver = CaptioningSolver(model, small_data, update_rule="adam", num_epochs=50, batch_size=25,
                              optim_config={"learning_rate": 5e-3}, lr_decay=0.95,
                              verbose=False, print_every=10)
    solver.train()
    assert len(solver.loss_history) == 100
    assert solver.loss_history[0] > 10 * threshold
    assert solver.loss_history[-1] < threshold, solver.loss_history[-10:]


@pytest.mark.parametrize("cell_type,notebook", [("rnn", "RNN_Captioning.ipynb"),
                                                ("lstm", "LSTM_Captioning.ipynb")])
def test_the_overfitting_target_is_one_number_in_notebook_readme_and_tests(cell_type, notebook):
    """The notebook's text and its PASS/FAIL line, and the README, state OVERFIT_TARGETS."""
    import nbformat
    target = OVERFIT_TARGETS[cell_type]
    nb = nbformat.read(ROOT / "assignments" / "source" / "rnn_captioning" / notebook, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert f"**below {target}** (`OVERFIT_TARGETS[\"{cell_type}\"]`)" in text
    assert f'OVERFIT_TARGETS["{cell_type}"]' in "\n".join(
        cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "below 1" not in text
    readme = (ROOT / "README.md").read_text()
    name = {"rnn": "vanilla RNN", "lstm": "LSTM"}[cell_type]
    assert re.search(rf"for the {name}\s+\(target below {re.escape(str(target))}\)", readme)
