"""The nbgrader submission of one student: their package, and their answer cells put into the
release notebooks (every other cell comes from the release); the hidden-check notebook added."""
from __future__ import annotations

import copy
import difflib
import shutil
from pathlib import Path

import nbformat

from ..paths import PACKAGE
from . import written_answers
from .submissions import Submission, is_junk, copy_package, extract_zip, find_root


def _grade_ids(nb) -> set[str]:
    return {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def _read_notebook(path: Path):
    """(notebook, None) or (None, what is wrong with it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot be read ({error})"
    try:
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
        return nb, None
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds of errors
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return None, f"is not a valid notebook ({first[:80]})"


def match_notebooks(root: Path, released: dict) -> dict[str, Path | None]:
    """For each release notebook name, the student's notebook file: the same name, else the
    renamed copy that shares most of its grade ids (or, without any, the most similar name)."""
    found = {name: root / f"{name}.ipynb" for name in released
             if (root / f"{name}.ipynb").is_file()}
    others = [p for p in sorted(root.rglob("*.ipynb"))
              if not is_junk(p.relative_to(root)) and p not in found.values()]
    readable = {p: _read_notebook(p)[0] for p in others}
    for name in released:
        if name in found or not others:
            continue
        wanted = _grade_ids(released[name])

        def score(path):
            nb = readable.get(path)
            shared = len(wanted & _grade_ids(nb)) if nb is not None else 0
            return shared, difflib.SequenceMatcher(None, name.lower(), path.stem.lower()).ratio()

        best = max(others, key=score)
        shared, similarity = score(best)
        if shared > 0 or similarity >= 0.6:
            found[name] = best
            others.remove(best)
    return {name: found.get(name) for name in released}


def rebuild_notebook(release_nb, student_nb):
    """The release notebook with the student's answer cells (solution cells with the same grade
    id) put in; every other cell is the release's."""
    answers = {}
    for cell in student_nb.cells if student_nb is not None else []:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id"):
            answers.setdefault(meta["grade_id"], cell)
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]].source
    return nb


def assemble(submission: Submission, release_dir: Path, extra_notebooks: list[Path],
             student_files: list[str], dest: Path, scratch: Path) -> None:
    """Write the nbgrader submission folder dest (submitted/<student>/<assignment>/) of one
    student from their entry, the release folder (its notebooks) and the extra notebooks the kit
    adds; intake notes go to submission.notes."""
    notes = submission.notes
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    entry = submission.entry
    if not submission.gradable:
        return
    if entry.is_dir():
        root = find_root(entry)
    else:
        unpacked = scratch / "unpacked"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        unpacked.mkdir(parents=True)
        if not extract_zip(entry, unpacked, notes):
            submission.gradable = False
            return
        root = find_root(unpacked)

    released = {p.stem: nbformat.read(p, as_version=4) for p in sorted(release_dir.glob("*.ipynb"))}
    copy_package(root, dest, release_dir / PACKAGE, student_files, notes)
    matches = match_notebooks(root, released)
    for name, release_nb in released.items():
        path = matches[name]
        student_nb = None
        if path is None:
            notes.append(f"{name}.ipynb missing: graded the release notebook")
        else:
            student_nb, problem = _read_notebook(path)
            relative = path.relative_to(root).as_posix()
            if problem:
                notes.append(f"{relative} {problem}: graded the release notebook")
            elif relative != f"{name}.ipynb":
                notes.append(f"{relative} graded as {name}.ipynb")
        graded_nb = rebuild_notebook(release_nb, student_nb)
        placed = written_answers.carry(graded_nb, release_nb, student_nb)
        notes.extend(placed.notes(f"{name}.ipynb"))
        if placed.keep_original:
            written_answers.keep_original(path, dest, name)
        nbformat.write(graded_nb, dest / f"{name}.ipynb")
    for notebook in extra_notebooks:
        shutil.copyfile(notebook, dest / notebook.name)
    missing = [f for f in student_files if not (dest / f).is_file()]
    if missing:
        notes.append(f"missing {', '.join(missing)}")
