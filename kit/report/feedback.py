"""Regenerate students' feedback from the class gradebook (after hand grading: the hand-given
scores and comments appear in it) and pack each student's zip again."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from ..grade.merge import pack
from ..nbgrader_api import failure_cause, open_api
from ..paths import ASSIGNMENT


def graded_students(course_dir: Path) -> list[str]:
    """The students with an autograded submission in the course folder, sorted."""
    autograded = Path(course_dir) / "autograded"
    return sorted(p.parent.name for p in autograded.glob(f"*/{ASSIGNMENT}") if p.is_dir())


def regenerate(course_dir: Path, out_dir: Path, students: list[str],
               db_url: str | None = None) -> dict[str, str]:
    """Regenerate each student's feedback from the gradebook and pack it again; returns the
    students whose feedback could not be generated, with the cause nbgrader gave."""
    steps = open_api(course_dir, db_url)
    failed = {}
    for student in tqdm(students, desc="feedback", unit="student"):
        result = steps.generate_feedback(ASSIGNMENT, student, force=True)
        if not result.get("success"):
            failed[student] = failure_cause(result) or "nbgrader generate_feedback failed"
        pack(course_dir, out_dir, student)
    return failed
