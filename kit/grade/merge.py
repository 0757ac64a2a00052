"""Merge one graded student into the class: their scores into the class gradebook, their
submitted, autograded and feedback folders into the course, their feedback zip for handing back."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from .. import atomic
from ..nbgrader_api import course_id, sqlite_url
from ..paths import ASSIGNMENT
from . import gradebook
from . import written_answers
from .template import Setup, rmtree

FOLDER = "feedback"


def _replace_folder(src: Path, dest: Path) -> None:
    if dest.exists():
        rmtree(dest)
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest)


def collect(setup: Setup, outcome) -> None:
    """Merge a graded student into the class: gradebook scores, then the submitted, autograded and
    feedback folders of the course. Runs in the main thread only, one student at a time."""
    work = setup.out_dir / "work" / outcome.student / "course"
    worker_db = work / "gradebook.db"
    source_url = sqlite_url(worker_db) if worker_db.is_file() else None
    merged = gradebook.merge_submission(source_url, setup.db_url, course_id(setup.course_dir),
                                        ASSIGNMENT, outcome.student)
    if not merged and not outcome.notes:
        outcome.notes.append("not graded")
    for step in ("submitted", "autograded", "feedback"):
        _replace_folder(work / step / outcome.student / ASSIGNMENT,
                        setup.course_dir / step / outcome.student / ASSIGNMENT)
    pack(setup.course_dir, setup.out_dir, outcome.student)


def feedback_dir(course_dir: Path, student: str) -> Path:
    """Where nbgrader writes a student's feedback HTML in the course folder."""
    return Path(course_dir) / FOLDER / student / ASSIGNMENT


def zip_path(out_dir: Path, student: str) -> Path:
    return Path(out_dir) / FOLDER / f"{student}.zip"


def pack(course_dir: Path, out_dir: Path, student: str) -> Path | None:
    """Zip a student's feedback HTML into out_dir/feedback/<student>.zip (written to a temporary
    file, then renamed); returns the zip, or None (and removes an old zip) when the student has
    no feedback."""
    pages = sorted(feedback_dir(course_dir, student).glob("*.html"))
    target = zip_path(out_dir, student)
    if not pages:
        target.unlink(missing_ok=True)
        return None
    with atomic.replacing(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for page in pages:
            zf.write(page, f"{student}_{ASSIGNMENT}_feedback/{page.name}")
        kept = Path(course_dir) / "submitted" / student / ASSIGNMENT / written_answers.KEPT
        for notebook in sorted(kept.glob("*.ipynb")):   # answers that need a hand look
            zf.write(notebook, f"{student}_{ASSIGNMENT}_feedback/{written_answers.KEPT}/"
                               f"{notebook.name}")
    return target
