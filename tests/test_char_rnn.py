"""The character-level language model: corpus and loader, the model's truncated BPTT, sampling
and clipping, the interpretable-cell machinery on a hand-built model, the sample bug losing
exactly its checks, and the course setting that releases the captioning notebooks alone.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n import char_cells, checks
from cs231n.char_data import encode, load_char_data, stream_batches
from cs231n.classifiers.char_rnn import CharRNN, char_probabilities, draw_chars
from cs231n.optim import clip_grad_norm
from kit.author import course_config
from kit.demo import samples
from kit.author.reference_outputs import write_reference_outputs

ROOT = Path(__file__).resolve().parent.parent
CHAR_CHECKS = {"char_probabilities", "char_rnn_loss", "char_rnn_gradient", "char_rnn_tbptt",
               "char_rnn_sample", "clip_grad_norm"}


def test_the_builtin_corpus_has_separate_validation_files_and_its_vocabulary(capsys):
    data = load_char_data()
    printed = capsys.readouterr().out
    assert "standard library" in printed and "vocabulary" in printed
    assert len(data["train_text"]) > 500_000 and len(data["val_text"]) > 20_000
    assert data["val_text"][:2000] not in data["train_text"]
    assert data["chars"] == sorted(set(data["train_text"] + data["val_text"]))
    assert (data["chars"][data["train_data"][100]] == data["train_text"][100])


def test_a_plain_text_file_works_and_bad_paths_are_clear(tmp_path):
    path = tmp_path / "input.txt"
    path.write_text("hello world\n" * 100)
    data = load_char_data(path, verbose=False)
    assert data["chars"] == sorted(set("hello world\n"))
    assert len(data["val_text"]) == len(data["train_text"] + data["val_text"]) // 10 + 1 or \
        abs(len(data["val_text"]) - 120) <= 1
    with pytest.raises(FileNotFoundError, match="plain text file"):
        load_char_data(tmp_path / "missing.txt")


def test_stream_batches_continue_each_stream_from_batch_to_batch():
    data = np.arange(1000) % 97
    batches = list(stream_batches(data, batch_size=4, seq_length=10))
    stream = (len(data) - 1) // 4
    assert len(batches) == stream // 10
    (x1, y1), (x2, _) = batches[0], batches[1]
    assert x1.shape == (4, 10)
    np.testing.assert_array_equal(y1[:, :-1], x1[:, 1:])
    np.testing.assert_array_equal(x2[:, 0], y1[:, -1])      # row n continues row n
    np.testing.assert_array_equal(x1[:, 0], data[np.arange(4) * stream])


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_two_chunks_with_carried_state_are_the_whole_sequence(cell_type):
    np.random.seed(0)
    model = CharRNN(6, 4, 5, num_layers=2, cell_type=cell_type, dtype=np.float64)
    x, y = np.random.randint(6, size=(3, 9)), np.random.randint(6, size=(3, 9))
    whole, _, (hT, cT) = model.loss(x, y)
    first, _, state = model.loss(x[:, :4], y[:, :4])
    second, _, (h2, c2) = model.loss(x[:, 4:], y[:, 4:], *state)
    assert abs(first + second - whole) < 1e-12
    np.testing.assert_allclose(h2, hT, atol=1e-14)
    np.testing.assert_allclose(c2, cT, atol=1e-14)


def test_temperature_zero_is_greedy_and_draws_follow_the_distribution():
    scores = np.array([[0.0, 3.0, 1.0, 3.0]])
    np.testing.assert_array_equal(char_probabilities(scores, 0.0), [[0, 1, 0, 0]])
    probs = char_probabilities(scores, 1.0, top_k=2)
    assert probs[0, 0] == probs[0, 2] == 0 and abs(probs[0, 1] - 0.5) < 1e-12
    draws = draw_chars(np.repeat([[0.2, 0.0, 0.5, 0.3]], 20000, axis=0), np.random.default_rng(0))
    frequencies = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(frequencies, [0.2, 0.0, 0.5, 0.3], atol=0.015)
    with pytest.raises(ValueError, match="temperature"):
        char_probabilities(scores, -1.0)


def test_clip_grad_norm_keeps_the_direction_and_the_inputs():
    grads = {"a": np.full((2, 2), 3.0), "b": np.array([4.0])}
    clipped, norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(np.sqrt(4 * 9 + 16))
    total = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
    assert total == pytest.approx(1.0)
    assert clipped["a"][0, 0] / clipped["b"][0] == pytest.approx(3 / 4)
    assert grads["a"][0, 0] == 3.0
    same, _ = clip_grad_norm(grads, 100.0)
    np.testing.assert_array_equal(same["a"], grads["a"])


def test_the_cell_machinery_finds_the_hand_built_quote_unit():
    text = 'a = "xy" + b("c d", e) - "f"\nprint("hello", x)  # done\n    z = [1, (2)]\n'
    chars = sorted(set(text))
    model, (h0, c0) = char_cells.quote_tracking_model(chars, hidden_dim=6)
    acts = char_cells.cell_activations(model, encode(text, {c: i for i, c in enumerate(chars)}),
                                       h0, c0)
    features = char_cells.text_features(text)
    best = char_cells.best_units(char_cells.correlations(acts, features))
    assert best["in string"][0] == 0 and best["in string"][1] > 0.99
    assert "background-color" in char_cells.render_html(text, acts[:, 0])


def test_text_features_of_python_source():
    text = 's = "a#b"  # c\n    f(x, [y])\n'
    f = char_cells.text_features(text)
    assert f["in string"][text.index("a#b")] == 1 and f["in comment"][text.index("a#b")] == 0
    assert f["in comment"][text.index(" c")] == 1
    assert f["bracket depth"][text.index("y")] == 2
    assert f["indentation depth"][text.index("f(")] == 1
    assert f["position in line"][text.index("f(")] == 4


# --- the sample bug and the course setting ---------------------------------------------------

@pytest.fixture(scope="module")
def package_with_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("char") / "assignment"
    shutil.copytree(ROOT / "cs231n", folder / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    write_reference_outputs(folder)
    return folder


def _failed(folder: Path) -> set[str]:
    result = subprocess.run([sys.executable, "-m", "cs231n.check", *sorted(CHAR_CHECKS), "-q"],
                            cwd=folder, capture_output=True, text=True)
    assert result.stderr == "", result.stderr
    return set(re.findall(r"^FAIL  (\w+)", result.stdout, flags=re.MULTILINE))


@pytest.mark.slow
def test_the_reset_state_bug_loses_exactly_its_checks(package_with_reference, tmp_path):
    (bug,) = [b for b in samples.BUGS if b.name == "bug_tbptt_reset_state"]
    folder = tmp_path / "buggy"
    shutil.copytree(package_with_reference, folder)
    assert _failed(folder) == set()
    samples.apply_bug(folder, bug)
    assert _failed(folder) == samples.LOST_CHECKS[bug.name]


def test_the_course_setting_leaves_a_notebook_its_checks_and_files_out(tmp_path):
    config = course_config.load(ROOT)
    assert "CharRNN_Language_Model" in config.notebooks
    assert all(config.keeps_check(name) for name in checks.CHECKS)
    captioning = course_config.CourseConfig(("RNN_Captioning", "LSTM_Captioning"),
                                            config.optional)
    assert not captioning.keeps_check("char_rnn_loss")
    assert not captioning.keeps_check("clip_grad_norm")
    assert captioning.keeps_check("lstm_forward")
    assert "cs231n/classifiers/char_rnn.py" in captioning.left_out_files()
    with_gradient_flow = course_config.CourseConfig(("RNN_Captioning", "Gradient_Flow"),
                                                    config.optional)
    assert with_gradient_flow.keeps_check("clip_grad_norm")
    assert not with_gradient_flow.keeps_check("char_rnn_sample")


def test_a_bad_course_setting_is_a_clear_error(tmp_path):
    (tmp_path / "assignments").mkdir()
    (tmp_path / "assignments" / "course.toml").write_text("notebooks = 3\n")
    with pytest.raises(course_config.CourseConfigError, match="non-empty list"):
        course_config.load(tmp_path)
    (tmp_path / "assignments" / "course.toml").write_text("notebooks = [\n")
    with pytest.raises(course_config.CourseConfigError, match="not valid TOML"):
        course_config.load(tmp_path)


@pytest.mark.slow
def test_a_captioning_only_course_leaves_the_language_model_out(tmp_path):
    from cs231n.checks import load_cases
    from kit.author import course

    root = tmp_path / "repo"
    for folder in ("assignments", "cs231n", "datasets"):
        shutil.copytree(ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.npz", "builtin_captioning",
                                                      "coco_captioning"))
    toml = root / "assignments" / "course.toml"
    text = re.sub(r"^notebooks = .*$", 'notebooks = ["RNN_Captioning", "LSTM_Captioning"]',
                  toml.read_text(), flags=re.M)
    assert text != toml.read_text()
    toml.write_text(text)
    source = course.build_course(tmp_path / "course", root=root)
    assert sorted(p.name for p in source.glob("*.ipynb")) == [
        "LSTM_Captioning.ipynb", "Package_Checks.ipynb", "RNN_Captioning.ipynb"]
    assert not (source / "cs231n" / "classifiers" / "char_rnn.py").exists()
    assert not (source / "datasets" / "get_tiny_shakespeare.py").exists()
    kept = {case.check for case in load_cases(source / "cs231n" / "reference_outputs.npz")}
    assert kept and not kept & CHAR_CHECKS
    assert "char_rnn" not in (source / "Package_Checks.ipynb").read_text()
    assert "char_rnn.py" not in (tmp_path / "course" / "nbgrader_config.py").read_text()
    # The terminal checker runs every check of this course, and only those.
    result = subprocess.run([sys.executable, "-m", "cs231n.check", "-q"], cwd=source,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(kept)} of {len(kept)} checks passed" in result.stdout
