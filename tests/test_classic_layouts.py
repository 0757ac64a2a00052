"""Solutions written for every year's course layout import and run unchanged, and a student's own
``python -m cs231n.check`` says exactly which checks and points they will lose, and what to change.

tests/classic_solution_2017/ is a classic-style solution in the layout of 2017-2020
(``classifiers/rnn.py`` does ``from cs231n.layers import *``, the affine layers live in
``cs231n/layers.py``), tests/classic_solution_2021/ one in the layout of 2021-2024 (everything in
``rnn_layers.py``, ``from ..rnn_layers import *``). Both keep the idioms of the public solutions:
the course's provided probs-then-log softmax loss and ``dnext_c += ...`` in lstm_step_backward.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cs231n import checks
from kit import paths
from kit.author import course
from kit.author import hidden_notebook as hidden
from kit.author.reference_outputs import keep_visible_cases, write_reference_outputs

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
LAYOUTS = ["2017", "2021"]
PROBS_THEN_LOG = """    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
"""
LOG_SOFTMAX = """    shifted = x_flat - np.max(x_flat, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    probs = np.exp(log_probs)
    loss = -np.sum(mask_flat * log_probs[np.arange(N * T), y_flat]) / N
"""
IN_PLACE = "    dnext_c += dnext_h"
NEW_ARRAY = "    dnext_c = dnext_c + dnext_h"


@pytest.fixture(scope="module")
def course_source(tmp_path_factory) -> Path:
    """The course as its author builds it: the notebooks, the package, every reference output,
    the hidden-check notebook and the points table."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT / "cs231n", source / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz", "*.json"))
    for notebook in (ROOT / "assignments" / "source" / "rnn_captioning").glob("*.ipynb"):
        shutil.copy2(notebook, source / notebook.name)
    write_reference_outputs(source)
    hidden.write_hidden_notebook(source)
    course.write_points(source)
    return source


@pytest.fixture(scope="module")
def student_release(course_source, tmp_path_factory) -> Path:
    """An assignment folder as students get it, with the grader's points table: the course
    notebooks, the package with the visible cases of the reference outputs."""
    release = tmp_path_factory.mktemp("release") / "assignment"
    shutil.copytree(course_source, release)
    (release / paths.HIDDEN_NOTEBOOK).unlink()      # students never get it
    keep_visible_cases(release)
    return release


@pytest.fixture(scope="module")
def graded_points(course_source) -> int:
    """The autograded points of the course: the notebooks' graded code cells and one test cell
    per check of the hidden-check notebook (extra-credit checks add no points to the maximum)."""
    total = 0
    for path in (ROOT / "assignments" / "source" / "rnn_captioning").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade"):
                total += meta["points"]
    graded = [name for name in hidden.checked_names(course_source)
              if name not in checks.EXTRA_CREDIT]
    return total + hidden.POINTS * len(graded)


def with_solution(release: Path, folder: Path, layout: str, edits=()) -> Path:
    """A copy of the release with a classic solution dropped in (edits: (old, new) replacements
    in its rnn_layers.py)."""
    shutil.copytree(release, folder)
    solution = TESTS / f"classic_solution_{layout}"
    layers = (solution / "rnn_layers.py").read_text()
    for old, new in edits:
        assert old in layers, old
        layers = layers.replace(old, new)
    (folder / "cs231n" / "rnn_layers.py").write_text(layers)
    shutil.copy2(solution / "classifiers" / "rnn.py", folder / "cs231n" / "classifiers" / "rnn.py")
    return folder


def check(folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, "-m", "cs231n.check", "-q"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


def failed(stdout: str) -> set:
    return {line.split()[1].rstrip(":") for line in stdout.splitlines() if line.startswith("FAIL")}


def points_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("Autograded points"))


def test_the_points_table_adds_up_to_the_graded_points(student_release, graded_points):
    table = json.loads((student_release / "cs231n" / "grading_points.json").read_text())
    assert sum(table.values()) == graded_points > 0


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_classic_solution_shows_locally_what_it_will_lose(student_release, graded_points,
                                                          tmp_path, layout):
    result = check(with_solution(student_release, tmp_path / "student", layout))
    assert result.returncode == 1 and result.stderr == "", result.stdout + result.stderr
    # the classic course had no GRU: its extra-credit checks fail too, and cost no point
    assert failed(result.stdout) - checks.EXTRA_CREDIT == {"temporal_softmax_loss",
                                                           "lstm_step_backward"}, result.stdout
    assert ("loss is nan for large scores: compute log-softmax as x - max - "
            "log(sum(exp(x - max)))") in result.stdout
    assert "dnext_c was modified in place: compute into a new array" in result.stdout
    table = json.loads((student_release / "cs231n" / "grading_points.json").read_text())
    lost = table["temporal_softmax_loss"] + table["lstm_step_backward"]
    assert f"This check is worth {table['lstm_step_backward']} point(s)" in result.stdout
    assert points_line(result.stdout).startswith(
        f"Autograded points: {graded_points - lost} of {graded_points} ")


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_classic_solution_with_the_idioms_fixed_passes_everything(student_release,
                                                                   graded_points, tmp_path,
                                                                   layout):
    folder = with_solution(student_release, tmp_path / "student", layout,
                           [(PROBS_THEN_LOG, LOG_SOFTMAX), (IN_PLACE, NEW_ARRAY)])
    result = check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert points_line(result.stdout).startswith(
        f"Autograded points: {graded_points} of {graded_points} ")


def test_a_package_that_does_not_import_gives_one_fail_line_per_check(student_release, tmp_path):
    folder = with_solution(student_release, tmp_path / "student", "2017")
    (folder / "cs231n" / "layers.py").unlink()       # the file the 2017 layout imports
    result = check(folder)
    assert result.returncode == 1 and result.stderr == "", result.stdout + result.stderr
    model_lines = [line for line in result.stdout.splitlines()
                   if line.startswith("FAIL  captioning_")]
    # one line per captioning check: loss, gradient and sample of each cell type (rnn, lstm, gru)
    assert len(model_lines) == len([n for n in checks.CHECKS if n.startswith("captioning_")]) == 9, \
        result.stdout
    assert all("cannot import cs231n.classifiers.rnn: ModuleNotFoundError" in line
               and "No module named 'cs231n.layers'" in line for line in model_lines)
    assert "Traceback" not in result.stdout
