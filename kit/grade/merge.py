"""Merge one graded student into the class: their scores into the class gradebook, their
submitted, autograded and feedback folders into the course, their feedback zip for handing back."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from .. import atomic
from ..nbgrader_api import course_id, sqlite_url
from ..paths import ASSIGNMENT
from . import gradebook, status
from . import written_answers
from .template import Setup, rmtree

FOLDER = "feedback"


def _replace_folder(src: Path, dest: Path) -> None:
    if dest.exists():
        rmtree(dest)
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest)


def collect(setup: Setup, outcome, digest: str = "") -> None:
    """Merge a graded student into the class: the submitted, autograded and feedback folders of
    the course, the feedback zip and the status, then (last, in one transaction, with digest, the
    submission's content hash) the gradebook scores. A run stopped before that transaction leaves
    the student to be graded again. Runs in the main thread only, one student at a time."""
    work = setup.out_dir / "work" / outcome.student / "course"
    worker_db = work / "gradebook.db"
    cid = course_id(setup.course_dir)
    results = gradebook.read_results(sqlite_url(worker_db) if worker_db.is_file() else None,
                                     cid, ASSIGNMENT, outcome.student)
    if results is None and not outcome.notes:
        outcome.notes.append("not graded")
    for step in ("submitted", "autograded", "feedback"):
        _replace_folder(work / step / outcome.student / ASSIGNMENT,
                        setup.course_dir / step / outcome.student / ASSIGNMENT)
    pack(setup.course_dir, setup.out_dir, outcome.student)
    status.save_statuses(setup.out_dir, {outcome.student: outcome.status})
    gradebook.merge_submission(results, setup.db_url, cid, ASSIGNMENT, outcome.student, digest)


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
