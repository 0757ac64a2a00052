"""The student release: built from the sources, stubbed, complete, and checked for leaks."""
import argparse
import functools
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cs231n import checks, points
from kit.author import course_config as course_setting
from kit.author import facts
from kit.author import stubs
from kit.commands import release as release_command
from kit.paths import ASSIGNMENT, HIDDEN_NOTEBOOK, ROOT
from kit.release import build as release
from kit.release import leaks
from kit.nbgrader_api import course_config
from tests.grading_support import ANSWER_SECRET, make_repo

pytestmark = pytest.mark.slow
REFERENCE = "cs231n/reference_outputs.npz"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A release of the small course: (repo, course folder, Release)."""
    base = tmp_path_factory.mktemp("release")
    repo = make_repo(base / "repo")
    result = release.build_release(base / "course", base / "out", root=repo)
    return repo, base / "course", result


def secret_lines_of(repo: Path) -> list[str]:
    """The secret lines of the reference package (solution lines that appear nowhere else),
    longest first."""
    secrets = leaks.secret_lines(leaks.walk_folder(repo / "cs231n"))
    return sorted(secrets, key=lambda line: (-len(line), line))


def test_release_folder_and_zip_hold_what_students_need(built):
    repo, _, result = built
    folder = result.folder
    assert folder.name == "rnn_captioning" and result.archive.name == "rnn_captioning.zip"
    for name in ["Mini.ipynb", "README.md", "requirements.txt", "cs231n/checks.py",
                 "cs231n/reference_outputs.npz", "datasets/builtin_captioning.py",
                 *result.student_files]:
        assert (folder / name).is_file(), name
    assert (folder / "README.md").read_text() == (repo / "assignments/STUDENT_README.md").read_text()
    assert ((folder / "requirements.txt").read_text()
            == (repo / "assignments/student-requirements.txt").read_text())
    with zipfile.ZipFile(result.archive) as zf:
        names = set(zf.namelist())
    on_disk = {f"rnn_captioning/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*")
               if p.is_file()}
    assert names == on_disk


def test_student_files_are_stubbed_and_import(built):
    repo, _, result = built
    # optim.py: clip_grad_norm is written by students (language model, gradient flow)
    assert result.student_files == ["cs231n/classifiers/char_rnn.py", "cs231n/classifiers/rnn.py",
                                    "cs231n/optim.py", "cs231n/rnn_layers.py"]
    for relative in result.student_files:
        text = (result.folder / relative).read_text()
        assert stubs.solution_regions(text) == []
        assert text.count("raise NotImplementedError()") == len(
            stubs.solution_regions((repo / relative).read_text()))
        assert text == stubs.stub_source((repo / relative).read_text())
    for line in secret_lines_of(repo):
        for relative in result.student_files:
            assert line not in (result.folder / relative).read_text()


def test_notebook_solutions_and_reference_only_files_are_left_out(built):
    _, course_dir, result = built
    nb = nbformat.read(result.folder / "Mini.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert ANSWER_SECRET not in text and "YOUR CODE HERE" in text
    assert not (result.folder / HIDDEN_NOTEBOOK).exists()
    assert (course_dir / "source" / "rnn_captioning" / HIDDEN_NOTEBOOK).is_file()
    assert not (course_dir / "release" / "rnn_captioning" / HIDDEN_NOTEBOOK).exists()


def test_course_config_keeps_student_files_and_restores_the_rest(built):
    _, course_dir, result = built
    config = course_config(course_dir)
    assert dict(config.Autograde.exclude_overwriting) == {"rnn_captioning": result.student_files}
    assert "cs231n/checks.py" not in result.student_files
    assert config.Execute.timeout == config.ExecutePreprocessor.timeout


def test_the_built_release_has_no_leak(built):
    _, course_dir, result = built
    assert release.check_release(result.folder, course_dir) == []
    assert release.check_release(result.archive, course_dir) == []


def test_the_release_keeps_only_the_visible_cases(built):
    _, course_dir, result = built
    course_cases = checks.load_cases(course_dir / "source" / "rnn_captioning" / REFERENCE)
    released = checks.load_cases(result.folder / REFERENCE)
    assert any(c.hidden for c in course_cases)
    assert [(c.check, c.label) for c in released] == [(c.check, c.label)
                                                      for c in course_cases if not c.hidden]
    for got, want in zip(released, [c for c in course_cases if not c.hidden]):
        for name in want.expected:
            assert np.array_equal(got.expected[name], want.expected[name])


def test_hidden_cases_planted_in_a_release_are_caught(built, tmp_path):
    _, course_dir, result = built
    copy = shutil.copytree(result.folder, tmp_path / "rnn_captioning")
    full = course_dir / "source" / "rnn_captioning" / REFERENCE
    shutil.copy2(full, copy / REFERENCE)
    hidden = sum(c.hidden for c in checks.load_cases(full))
    assert [str(p) for p in release.check_release(copy, course_dir)] == [
        f"{REFERENCE}: holds {hidden} hidden check case(s): the release keeps only the visible ones"]


def plant(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize("relative", ["cs231n/rnn_layers.py", "cs231n/optim.py", "README.md"])
def test_a_planted_solution_line_is_caught(built, tmp_path, relative):
    repo, course_dir, result = built
    copy = shutil.copytree(result.folder, tmp_path / "rnn_captioning")
    secret = secret_lines_of(repo)[3]
    plant(copy, relative, f"\n    {secret}\n")
    problems = release.check_release(copy, course_dir)
    assert [str(p) for p in problems] == [f"{relative}: holds the solution line '{secret}'"]


def test_a_solution_formula_planted_in_a_docstring_is_caught(built, tmp_path):
    """A solution expression rewritten in a docstring (other spacing, @ for .dot) is a leak."""
    repo, course_dir, result = built
    copy = shutil.copytree(result.folder, tmp_path / "rnn_captioning")
    expressions = leaks.secret_expressions(leaks.walk_folder(repo / "cs231n"))
    expression = max(expressions, key=len)
    spaced = expression.replace("*", " * ").replace("+", " + ").replace("@", " @ ")
    plant(copy, "cs231n/rnn_layers.py", f'\n"""Hint: {spaced}"""\n')
    problems = [str(p) for p in release.check_release(copy, course_dir)]
    assert problems == [f"cs231n/rnn_layers.py: holds the solution expression '{expression}'"]


def test_a_notebook_answer_planted_in_a_notebook_is_caught(built, tmp_path):
    _, course_dir, result = built
    copy = shutil.copytree(result.folder, tmp_path / "rnn_captioning")
    nb = nbformat.read(copy / "Mini.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(f"Hint: `{ANSWER_SECRET}`"))
    nbformat.write(nb, copy / "Mini.ipynb")
    problems = [str(p) for p in release.check_release(copy, course_dir)]
    assert problems == [f"Mini.ipynb: holds the solution line '{ANSWER_SECRET}'"]


def test_markers_missing_files_and_reference_only_files_are_caught(built, tmp_path):
    _, course_dir, result = built
    copy = shutil.copytree(result.folder, tmp_path / "rnn_captioning")
    plant(copy, "cs231n/optim.py", "\n### BEGIN SOLUTION\n### END SOLUTION\n")
    shutil.copy2(course_dir / "source" / "rnn_captioning" / HIDDEN_NOTEBOOK, copy)
    (copy / "cs231n" / "rnn_layers.py").unlink()
    problems = {str(p) for p in release.check_release(copy, course_dir)}
    assert problems == {
        "cs231n/optim.py: holds the marker line '### BEGIN SOLUTION'",
        "cs231n/optim.py: holds the marker line '### END SOLUTION'",
        f"{HIDDEN_NOTEBOOK}: reference-only file",
        "cs231n/rnn_layers.py: missing from the release",
    }


def test_a_leak_planted_in_the_zip_is_caught(built, tmp_path):
    repo, course_dir, result = built
    secret = secret_lines_of(repo)[0]
    archive = tmp_path / "rnn_captioning.zip"
    with zipfile.ZipFile(result.archive) as src, zipfile.ZipFile(archive, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("cs231n/optim.py"):
                data += f"\n{secret}\n".encode()
            dst.writestr(info, data)
    problems = [str(p) for p in release.check_release(archive, course_dir)]
    assert problems == [f"cs231n/optim.py: holds the solution line '{secret}'"]


def test_a_leaking_release_is_not_written(tmp_path):
    """A README template that quotes the solution: the release is refused, nothing is written."""
    repo = make_repo(tmp_path / "repo")
    secret = secret_lines_of(repo)[1]
    readme = repo / "assignments" / "STUDENT_README.md"
    readme.write_text(readme.read_text() + f"\nHint:\n\n    {secret}\n")
    with pytest.raises(release.ReleaseError, match="README.md: holds the solution line"):
        release.build_release(tmp_path / "course", tmp_path / "out", root=repo)
    assert not (tmp_path / "out" / "rnn_captioning").exists()
    assert not (tmp_path / "out" / "rnn_captioning.zip").exists()


def test_secret_lines_leave_out_short_and_public_lines():
    source = [("a.py", b"def f(x):\n    ### BEGIN SOLUTION\n    return x\n    y = compute(x, 2)\n"
                       b"    shared_line_here = 1\n    ### END SOLUTION\n    shared_line_here = 1\n")]
    assert leaks.secret_lines(source) == {"y = compute(x, 2)"}


@pytest.fixture(scope="module")
def real_release(tmp_path_factory):
    """(course folder, Release) of the kit's own course as released."""
    if not any((ROOT / "assignments" / "source" / "rnn_captioning").glob("*.ipynb")):
        pytest.fail("the course has no notebooks in assignments/source/rnn_captioning/")
    base = tmp_path_factory.mktemp("real")
    return base / "course", release.build_release(base / "course", base / "out")


def test_the_real_course_release_has_no_leak(real_release):
    """The kit's own notebooks and package give a clean release with the real notebooks."""
    course_dir, result = real_release
    assert result.notebooks == sorted(course_setting.load(ROOT).notebooks)
    assert "Gradient_Flow" in result.notebooks
    assert release.check_release(result.archive, course_dir) == []
    secrets = leaks.secret_lines(leaks.walk_folder(course_dir / "source/rnn_captioning"))
    assert len(secrets) > 100   # the check has something to look for


def test_the_readme_states_the_course_as_released(real_release):
    """README.md's table of notebooks, points and budgets is the course's (kit.author.facts), and
    the points it gives are those python -m cs231n.check adds up in the release."""
    course_dir, result = real_release
    stated = facts.readme_block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert stated == facts.block(course_dir), ("README.md's course facts are out of date: run "
                                               "`python -m kit facts`")
    released = [f for f in facts.course_facts(course_dir) if f.released]
    assert [f.name for f in released[:-1]] == list(course_setting.load(ROOT).notebooks)
    assert sum(f.autograded for f in released) == sum(
        points.check_points(result.folder / "cs231n" / points.POINTS_FILE.name).values())
    assert set(facts.BUDGETS) == {path.stem for path in
                                  (ROOT / "assignments" / "source" / ASSIGNMENT).glob("*.ipynb")}


def test_kit_facts_rewrites_a_stale_readme_and_only_its_block(real_release, tmp_path):
    course_dir, _ = real_release
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = text.replace(facts.readme_block(text), "| `RNN_Captioning` | yes | 67 |")
    readme = tmp_path / "README.md"
    readme.write_text(stale, encoding="utf-8")
    assert facts.write_readme(course_dir, readme) is True
    assert readme.read_text(encoding="utf-8") == text
    assert facts.write_readme(course_dir, readme) is False
    readme.write_text("# no block\n", encoding="utf-8")
    with pytest.raises(facts.FactsError, match="course-facts: begin"):
        facts.write_readme(course_dir, readme)


def fill_answers(released: Path, source: Path) -> None:
    """Put the source notebook's solution into each code answer cell of a released notebook."""
    solutions = {cell.metadata["nbgrader"]["grade_id"]: cell.source
                 for cell in nbformat.read(source, as_version=4).cells
                 if cell.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = solutions[meta["grade_id"]]
    nbformat.write(nb, released)


@pytest.mark.slow
def test_the_release_runs_in_an_environment_of_its_own_requirements(real_release, tmp_path,
                                                                   request):
    """A new virtual environment made from the release's requirements.txt alone (no nbgrader, no
    Dask, nothing of the kit's) runs what a student runs, with the reference package dropped into
    the release: every released notebook top to bottom with jupyter nbconvert (shortened as at
    grading), `python -m cs231n.check` and `python -m cs231n.submit`."""
    course_dir, result = real_release
    requirements = (result.folder / "requirements.txt").read_text()
    for grader_only in ("nbgrader", "dask", "psutil", "pytest", "torch"):
        assert grader_only not in requirements, grader_only
    env_dir, work = tmp_path / "env", shutil.copytree(result.folder, tmp_path / "student")
    for relative in result.student_files:               # the student's finished work
        shutil.copy2(ROOT / relative, work / relative)
    for name in result.notebooks:                        # and the notebooks' own answer cells
        fill_answers(work / f"{name}.ipynb", course_dir / "source" / ASSIGNMENT / f"{name}.ipynb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CS231N_DATASETS", "VIRTUAL_ENV")}
    env.update(HOME=str(tmp_path / "home"), JUPYTER_PLATFORM_DIRS="1",
               NBGRADER_EXECUTION="autograde")
    run = functools.partial(subprocess.run, cwd=work, env=env, capture_output=True, text=True)

    made = run([sys.executable, "-m", "venv", str(env_dir)])
    assert made.returncode == 0, made.stderr
    python = env_dir / "bin" / "python"
    installed = run([str(python), "-m", "pip", "install", "-q", "--no-compile",
                     "--disable-pip-version-check", "-r", "requirements.txt"])
    assert installed.returncode == 0, installed.stderr[-3000:]
    listed = run([str(python), "-m", "pip", "list", "--format=freeze"]).stdout.lower()
    assert "nbgrader" not in listed and "distributed" not in listed, listed
    size = sum(f.stat().st_size for f in env_dir.rglob("*") if f.is_file() and not f.is_symlink())
    request.node.user_properties.append(
        ("measured", f"the students' environment (release requirements.txt): "
                     f"{len(listed.split())} packages, {size / 2**20:.0f} MB"))

    checked = run([str(python), "-m", "cs231n.check", "-q"])
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    for name in result.notebooks:
        executed = run([str(env_dir / "bin" / "jupyter"), "nbconvert", "--to", "notebook",
                        "--execute", "--ExecutePreprocessor.timeout=600",
                        "--output-dir", str(tmp_path / "executed"), f"{name}.ipynb"])
        assert executed.returncode == 0, (name, executed.stderr[-3000:])
        nb = nbformat.read(tmp_path / "executed" / f"{name}.ipynb", as_version=4)
        errors = [o for cell in nb.cells for o in cell.get("outputs", [])
                  if o.output_type == "error"]
        assert not errors, (name, errors[:1])
    submitted = run([str(python), "-m", "cs231n.submit"])
    assert submitted.returncode == 0, submitted.stdout[-3000:] + submitted.stderr[-3000:]
    with zipfile.ZipFile(work / "rnn_captioning_submission.zip") as zf:
        names = set(zf.namelist())
    wanted = [*(f"{name}.ipynb" for name in result.notebooks), *result.student_files]
    assert {f"rnn_captioning/{name}" for name in wanted} <= names, sorted(names)


def test_checking_something_that_is_not_a_release_is_a_clear_error(built, tmp_path, capsys):
    _, course_dir, _ = built
    parser = argparse.ArgumentParser()
    release_command.add_arguments(parser)
    args = parser.parse_args(["--check", str(tmp_path / "nowhere"), "--course", str(course_dir)])
    assert release_command.run(args) == 2
    assert "is neither a folder nor a zip" in capsys.readouterr().out
    args = parser.parse_args(["--check", str(tmp_path), "--course", str(tmp_path / "no_course")])
    assert release_command.run(args) == 2
    assert "no built course at" in capsys.readouterr().out
