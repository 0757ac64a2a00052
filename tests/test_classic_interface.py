"""A student's solution written against the classic cs231n interface can replace
cs231n/rnn_layers.py and cs231n/classifiers/rnn.py, and everything still works.

The package is copied to a temporary folder, the independent classic-style solution in
tests/classic_solution/ is dropped in, and the kit's own tests of the layers, the model, the update
rules, the solver and the data utilities run against that copy in a fresh interpreter (leaving out
only the checks marked kit_extra, which test what the kit adds beyond the classic interface). The
same run with a solution that has the classic LSTM mistake (gates in torch's i, f, g, o order) must
fail, which shows the run really exercises the dropped-in files.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CLASSIC = TESTS / "classic_solution"
CONTRACT_TESTS = ["test_rnn_layers.py", "test_captioning_rnn.py", "test_optim_solver.py",
                  "test_coco_utils.py"]
SUPPORT = ["conftest.py", "oracle_numeric.py", "oracle_torch.py"]


def package_with_classic_solution(folder: Path, layers_source: str) -> Path:
    """Copy the package and the contract tests into folder, with the classic solution dropped in."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz")
    shutil.copytree(ROOT / "cs231n", folder / "cs231n", ignore=ignore)
    (folder / "cs231n" / "rnn_layers.py").write_text(layers_source)
    shutil.copy2(CLASSIC / "rnn.py", folder / "cs231n" / "classifiers" / "rnn.py")
    (folder / "tests").mkdir()
    for name in CONTRACT_TESTS + SUPPORT:
        shutil.copy2(TESTS / name, folder / "tests" / name)
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run python with args in folder, importing cs231n from that folder only."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(folder)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)


def run_contract_tests(folder: Path, *options: str) -> subprocess.CompletedProcess:
    return run_in(folder, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not kit_extra",
                  *options, *[f"tests/{name}" for name in CONTRACT_TESTS])


@pytest.mark.slow
def test_classic_solution_passes_every_contract_test(tmp_path):
    folder = package_with_classic_solution(tmp_path, (CLASSIC / "rnn_layers.py").read_text())
    where = run_in(folder, "-c", "import cs231n.rnn_layers as L, cs231n.classifiers.rnn as M; "
                                 "print(L.__file__); print(hasattr(M.CaptioningRNN, '_check_features'))")
    assert where.stdout.split() == [str(folder / "cs231n" / "rnn_layers.py"), "False"], where.stderr

    result = run_contract_tests(folder)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


@pytest.mark.slow
def test_a_wrong_classic_solution_fails(tmp_path):
    source = (CLASSIC / "rnn_layers.py").read_text()
    gate_order = """    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])"""
    assert gate_order in source
    wrong = source.replace(gate_order, """    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])""")
    folder = package_with_classic_solution(tmp_path, wrong)
    result = run_contract_tests(folder, "-x")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "lstm" in result.stdout and "failed" in result.stdout.splitlines()[-1]
