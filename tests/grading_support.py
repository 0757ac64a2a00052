"""Builders shared by the release and grading tests: a small course repository with one short
notebook (so that grading a class takes seconds, not minutes), and submissions made from its
release.

The small notebook ``Mini.ipynb`` has a setup cell, two checked functions of the real package
(``rnn_step_forward`` and ``word_embedding_backward``, 2 points each), an answer cell with a
solution region and a 1-point test of it. The package, the reference outputs and the hidden-check
notebook are the real ones.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ANSWER_SECRET = "return 2 * x + 0  # the doubling secret"


def _meta(grade_id, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def mini_notebook():
    """The small course notebook (source version, with its solution)."""
    cell = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A small notebook", metadata=_meta("intro", locked=True)),
        cell("import numpy as np\nfrom cs231n.checks import check\n"
             "from cs231n.rnn_layers import rnn_step_forward, word_embedding_backward",
             metadata=_meta("setup", locked=True)),
        cell('check("rnn_step_forward")', metadata=_meta("rnn_step_forward_check", grade=True,
                                                        locked=True, points=2)),
        cell('check("word_embedding_backward")',
             metadata=_meta("word_embedding_backward_check", grade=True, locked=True, points=2)),
        cell(f"def double(x):\n    ### BEGIN SOLUTION\n    {ANSWER_SECRET}\n    ### END SOLUTION",
             metadata=_meta("double", solution=True)),
        cell("assert double(3) == 6", metadata=_meta("double_check", grade=True, locked=True,
                                                    points=1)),
    ]
    return nb


def make_repo(path: Path) -> Path:
    """A course repository at path: the real package, configuration, README template and dataset
    scripts, with Mini.ipynb as the only notebook."""
    path = Path(path)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "reference_outputs.npz")
    shutil.copytree(ROOT / "cs231n", path / "cs231n", ignore=ignore)
    source = path / "assignments" / "source" / "rnn_captioning"
    source.mkdir(parents=True)
    for name in ("nbgrader_config.py", "STUDENT_README.md", "student-requirements.txt"):
        shutil.copy2(ROOT / "assignments" / name, path / "assignments" / name)
    (path / "datasets").mkdir()
    for script in (ROOT / "datasets").glob("*.py"):
        shutil.copy2(script, path / "datasets" / script.name)
    nbformat.write(mini_notebook(), source / "Mini.ipynb")
    return path


def copy_release(release_folder: Path, dest: Path) -> Path:
    """A student's untouched copy of the release folder."""
    shutil.copytree(release_folder, dest)
    return dest


def set_answer(folder: Path, source: str, notebook: str = "Mini.ipynb") -> None:
    """Write a student's answer into the solution cell of a notebook copy."""
    nb = nbformat.read(folder / notebook, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = source
    nbformat.write(nb, folder / notebook)


def put_reference(folder: Path, files: list[str]) -> None:
    """Replace a student's files by the reference solution's (a complete, correct submission)."""
    for relative in files:
        shutil.copy2(ROOT / relative, folder / relative)


def replace_in(path: Path, old: str, new: str) -> None:
    """A one-bug edit of a student file; fails loudly if the text to replace is not there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def zip_folder(folder: Path, archive: Path, top: str | None = None) -> Path:
    """Zip a folder, under a top-level folder name or (top=None) with its files at the top."""
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            zf.write(path, f"{top}/{name}" if top else name)
    return archive
