"""``python -m cs231n.check`` predicts the grade: the autograded points it says the passing checks
are worth are the points grading gives, for a classic-style solution as it is (it loses what its
local run shows) and with its idioms fixed (everything); a solution that hard-codes the visible
outputs passes locally and loses the hidden cases at grading, the one case the prediction cannot
see. Graded for real, with the small course of tests/grading_support.py."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n import checks
from kit.grade.limits import Limits
from kit.grade.template import prepare
from kit.release import build as release
from kit.report.outputs import grade_and_report
from tests.grading_support import copy_release, make_repo, put_reference, replace_in, set_answer
from tests.test_classic_layouts import IN_PLACE, LOG_SOFTMAX, NEW_ARRAY, PROBS_THEN_LOG

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
LIMITS = Limits(cell_timeout=60, submission_timeout=600, memory_mb=2000)
ANSWER = "def double(x):\n    return x * 2"
ANSWER_POINTS = 1          # the small notebook's answer cell test, not a check


def classic(folder: Path, fixed: bool) -> Path:
    solution = TESTS / "classic_solution_2017"
    layers = (solution / "rnn_layers.py").read_text()
    if fixed:
        layers = layers.replace(PROBS_THEN_LOG, LOG_SOFTMAX).replace(IN_PLACE, NEW_ARRAY)
    (folder / "cs231n" / "rnn_layers.py").write_text(layers)
    shutil.copy2(solution / "classifiers" / "rnn.py", folder / "cs231n" / "classifiers" / "rnn.py")
    return folder


def hard_code_visible_outputs(folder: Path) -> None:
    """CaptioningRNN.sample looks the visible cases' captions up by cell type and features (and
    returns zeros for any other input); everything else is the reference solution."""
    seen = [(c.check.split("_")[1], np.asarray(c.inputs["features"]).tolist(),
             np.asarray(c.expected["captions"]).tolist())
            for c in checks.load_cases(folder / "cs231n" / "reference_outputs.npz")
            if c.check.startswith("captioning_") and c.check.endswith("_sample") and not c.hidden]
    path = folder / "cs231n" / "classifiers" / "rnn.py"
    replace_in(path, "import numpy as np\n", f"import numpy as np\n_SEEN = {seen!r}\n")
    replace_in(path, "    def sample(self, features, max_length=30):\n",
               "    def sample(self, features, max_length=30):\n"
               "        for cell, inputs, captions in _SEEN:\n"
               "            if cell == self.cell_type and np.shape(inputs) == features.shape \\\n"
               "                    and np.allclose(inputs, features):\n"
               "                return np.array(captions)\n"
               "        return np.zeros((features.shape[0], max_length), dtype=np.int64)\n")


def predicted(folder: Path) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "cs231n.check", "-q"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=600)
    line = next(l for l in result.stdout.splitlines() if l.startswith("Autograded points"))
    earned, _, total = line.split(":")[1].split("(")[0].split()
    return int(earned), int(total)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("prediction")
    repo = make_repo(base / "repo")
    result = release.build_release(base / "course", base / "release", root=repo)
    subs = base / "submissions"
    subs.mkdir()
    folders = {}
    for name in ("classic", "classic_fixed", "hard_coded"):
        folders[name] = copy_release(result.folder, subs / name)
        set_answer(folders[name], ANSWER)
    # the classic course had no language model: the reference's char_rnn.py and optim.py stand in
    newer = [f for f in result.student_files if f.endswith(("char_rnn.py", "optim.py"))]
    for name in ("classic", "classic_fixed"):
        put_reference(folders[name], newer)
    classic(folders["classic"], fixed=False)
    classic(folders["classic_fixed"], fixed=True)
    put_reference(folders["hard_coded"], result.student_files)
    hard_code_visible_outputs(folders["hard_coded"])
    predictions = {name: predicted(folder) for name, folder in folders.items()}
    for folder in folders.values():
        shutil.rmtree(folder / "cs231n" / "__pycache__", ignore_errors=True)
    setup = prepare(base / "course", base / "grading", root=repo, build=False,
                    datasets_dir=None)
    grade_and_report(subs, setup, LIMITS, jobs=2)
    with open(setup.out_dir / "grades.csv", newline="") as f:   # extra credit in its own column
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return predictions, rows


def test_the_prediction_totals_the_autograded_checks(graded):
    predictions, rows = graded
    for name, (_, total) in predictions.items():
        assert total == float(rows[name]["autograded_max"]) - ANSWER_POINTS


def test_a_classic_solution_gets_what_its_local_run_said(graded):
    predictions, rows = graded
    earned, total = predictions["classic"]
    assert earned < total                      # the softmax and in-place checks fail locally
    assert float(rows["classic"]["autograded"]) == earned + ANSWER_POINTS, rows["classic"]


def test_with_the_idioms_fixed_it_gets_full_marks(graded):
    predictions, rows = graded
    earned, total = predictions["classic_fixed"]
    assert earned == total
    row = rows["classic_fixed"]
    assert float(row["autograded"]) == float(row["autograded_max"]) and row["status"] == "ok", row


def test_hard_coding_the_visible_outputs_passes_locally_and_loses_at_grading(graded):
    predictions, rows = graded
    earned, total = predictions["hard_coded"]
    assert earned == total
    assert float(rows["hard_coded"]["autograded"]) < total + ANSWER_POINTS, rows["hard_coded"]
