"""The students' hand-in command, python -m cs231n.submit: it names every stub left, syntax error,
unreadable notebook and unwritten answer, zips exactly what the grader reads, never leaves a
half-written zip, and runs the checks. (tests/test_grade.py grades a zip it wrote.)
"""
import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

from cs231n import checks, submit
from kit.author import reference_outputs, stubs

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "assignments" / "source" / "rnn_captioning").glob("*.ipynb"))


def make_folder(dest: Path, stubbed: bool) -> Path:
    """An assignment folder as a student has it: the notebooks, the package (stubbed or the
    reference), a dataset folder and caches that do not belong in a submission."""
    shutil.copytree(ROOT / "cs231n", dest / "cs231n",
                    ignore=shutil.ignore_patterns("reference_outputs.npz"))
    for notebook in NOTEBOOKS:
        nb = nbformat.read(notebook, as_version=4)
        if stubbed:   # as nbgrader generate_assignment leaves them
            nb, _ = ClearSolutions().preprocess(nb, {})
        nbformat.write(nb, dest / notebook.name)
    if stubbed:
        stubs.stub_package(dest / "cs231n")
    (dest / "datasets" / "builtin_captioning").mkdir(parents=True)
    (dest / "datasets" / "builtin_captioning" / "features.h5").write_bytes(b"data")
    (dest / "cs231n" / "__pycache__").mkdir(exist_ok=True)
    (dest / "cs231n" / "__pycache__" / "rnn_layers.cpython-311.pyc").write_bytes(b"cache")
    (dest / ".ipynb_checkpoints").mkdir()
    (dest / ".ipynb_checkpoints" / "RNN_Captioning-checkpoint.ipynb").write_text("{}")
    return dest


def functions_with_solutions() -> set[str]:
    """The functions of the reference package that hold a solution region (the innermost
    function around each BEGIN marker)."""
    names = set()
    for relative in stubs.student_files(ROOT / "cs231n"):
        text = (ROOT / relative).read_text()
        functions = [node for node in ast.walk(ast.parse(text))
                     if isinstance(node, ast.FunctionDef)]
        for region in stubs.solution_regions(text):
            around = [f for f in functions if f.lineno < region.begin <= f.end_lineno]
            names.add(max(around, key=lambda f: f.lineno).name)
    return names


def run_submit(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The command as a student runs it, in the folder, with the folder's own package."""
    return subprocess.run([sys.executable, "-m", "cs231n.submit", *args], cwd=folder,
                          capture_output=True, text=True, timeout=120)


def test_a_fresh_release_lists_every_stub_and_every_answer_to_write(tmp_path):
    folder = make_folder(tmp_path / "rnn_captioning", stubbed=True)
    result = run_submit(folder, "--no-checks")
    assert result.returncode == 0, result.stderr
    listed = {line.split(": ")[1].split()[0] for line in result.stdout.splitlines()
              if "still raises NotImplementedError" in line}
    assert listed == functions_with_solutions()
    for notebook in NOTEBOOKS:
        unanswered = sum(1 for cell in nbformat.read(notebook, as_version=4).cells
                         if cell.metadata.get("nbgrader", {}).get("solution")
                         and cell.cell_type == "markdown")
        assert unanswered > 0
        assert f"{notebook.name}: {unanswered} written answer(s) still say" in result.stdout
    assert (folder / "rnn_captioning_submission.zip").is_file()


def test_the_zip_holds_exactly_the_notebooks_and_the_package(tmp_path):
    folder = make_folder(tmp_path / "my_work", stubbed=False)
    out = tmp_path / "out" / "hw.zip"
    result = run_submit(folder, "--no-checks", "--out", str(out))
    assert result.returncode == 0, result.stderr
    expected = {f"rnn_captioning/{p.name}" for p in NOTEBOOKS} | {
        f"rnn_captioning/{p.relative_to(folder).as_posix()}" for p in (folder / "cs231n").rglob("*.py")
        if "__pycache__" not in p.parts}
    with zipfile.ZipFile(out) as zf:
        assert set(zf.namelist()) == expected
        assert zf.read("rnn_captioning/cs231n/rnn_layers.py") == (folder / "cs231n" / "rnn_layers.py").read_bytes()
    assert "Nothing looks unfinished" in result.stdout
    assert "NotImplementedError" not in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["hw.zip"]


def test_the_zip_has_the_readme_name_whatever_the_folder_is_called(tmp_path):
    folder = make_folder(tmp_path / "rnn_captioning (1)", stubbed=False)
    result = run_submit(folder, "--no-checks")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(folder / "rnn_captioning_submission.zip") as zf:
        assert "rnn_captioning/cs231n/rnn_layers.py" in zf.namelist()
    readme = (ROOT / "assignments" / "STUDENT_README.md").read_text()
    assert "rnn_captioning_submission.zip" in readme


def test_syntax_errors_and_unreadable_notebooks_are_named(tmp_path):
    folder = make_folder(tmp_path / "rnn_captioning", stubbed=False)
    path = folder / "cs231n" / "rnn_layers.py"
    text = path.read_text()
    path.write_text(text + "def broken(:\n")
    line = text.count("\n") + 1
    (folder / "LSTM_Captioning.ipynb").write_text("{ not json")
    result = run_submit(folder, "--no-checks")
    assert result.returncode == 0, result.stderr
    assert f"cs231n/rnn_layers.py, line {line}: syntax error" in result.stdout
    assert "LSTM_Captioning.ipynb is not a valid notebook" in result.stdout
    with zipfile.ZipFile(folder / "rnn_captioning_submission.zip") as zf:
        assert "rnn_captioning/LSTM_Captioning.ipynb" in zf.namelist()


def test_outside_an_assignment_folder_it_says_where_to_run_and_writes_nothing(tmp_path, capsys):
    assert submit.main(["--folder", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "has no cs231n/ folder" in error and "--folder" in error
    assert list(tmp_path.iterdir()) == []


def test_a_zip_that_cannot_be_written_leaves_nothing_behind(tmp_path, capsys):
    folder = make_folder(tmp_path / "rnn_captioning", stubbed=False)
    out = tmp_path / "taken"
    out.mkdir()                                     # a folder where the zip should go
    assert submit.main(["--folder", str(folder), "--out", str(out), "--no-checks"]) == 2
    assert "could not write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rnn_captioning", "taken"]
    assert list(out.iterdir()) == []


def test_the_checks_run_on_the_package_as_it_is(tmp_path):
    total = len(checks.CHECKS)
    for stubbed in (False, True):
        folder = make_folder(tmp_path / str(stubbed) / "rnn_captioning", stubbed=stubbed)
        reference_outputs.write_reference_outputs(folder)
        result = run_submit(folder)
        assert result.returncode == 0, result.stderr
        summary = result.stdout.splitlines()[-1]
        if stubbed:
            failed = set(summary.split("; failed: ")[1].split(", "))
            assert {"rnn_step_forward", "lstm_backward", "captioning_lstm_sample"} <= failed
        else:
            assert summary == f"{total} of {total} checks passed"
        assert (folder / "rnn_captioning_submission.zip").is_file()


def test_a_file_over_the_graders_size_limit_is_named(tmp_path, capsys, monkeypatch):
    folder = make_folder(tmp_path / "rnn_captioning", stubbed=False)
    limit = (folder / "RNN_Captioning.ipynb").stat().st_size - 1
    monkeypatch.setattr(submit, "MAX_FILE_BYTES", limit)
    assert submit.main(["--folder", str(folder), "--no-checks"]) == 0
    out = capsys.readouterr().out
    for path in submit.submission_files(folder):
        too_large = (folder / path).stat().st_size > limit
        assert (f"{path} is 0 MB, over the grader's" in out) == too_large, path
    assert "clear its outputs" in out
