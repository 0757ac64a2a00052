"""Hand feedback back to students.

Grading writes each student's feedback (one HTML page per notebook, with every test cell, its
output and its score) and packs it into one zip per student, ready to upload to a course site:

    build/grading/feedback/<student>.zip

After hand grading in nbgrader's formgrader (the inline questions, comments, extra credit), run
this command: it regenerates the feedback of every graded student from the class gradebook, so
the hand-given scores and comments appear in it, and packs the zips again.

    python -m kit feedback [--student ID] [--course build/course] [--out build/grading] [--db URL]
"""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from tqdm import tqdm

from . import answers, atomic, course, report
from .nbgrader_api import failure_cause, open_api

FOLDER = "feedback"


def feedback_dir(course_dir: Path, student: str) -> Path:
    """Where nbgrader writes a student's feedback HTML in the course folder."""
    return Path(course_dir) / FOLDER / student / course.ASSIGNMENT


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
            zf.write(page, f"{student}_{course.ASSIGNMENT}_feedback/{page.name}")
        kept = Path(course_dir) / "submitted" / student / course.ASSIGNMENT / answers.KEPT
        for notebook in sorted(kept.glob("*.ipynb")):   # answers that need a hand look
            zf.write(notebook, f"{student}_{course.ASSIGNMENT}_feedback/{answers.KEPT}/"
                               f"{notebook.name}")
    return target


def graded_students(course_dir: Path) -> list[str]:
    """The students with an autograded submission in the course folder, sorted."""
    autograded = Path(course_dir) / "autograded"
    return sorted(p.parent.name for p in autograded.glob(f"*/{course.ASSIGNMENT}") if p.is_dir())


def regenerate(course_dir: Path, out_dir: Path, students: list[str],
               db_url: str | None = None) -> dict[str, str]:
    """Regenerate each student's feedback from the gradebook and pack it again; returns the
    students whose feedback could not be generated, with the cause nbgrader gave."""
    steps = open_api(course_dir, db_url)
    failed = {}
    for student in tqdm(students, desc="feedback", unit="student"):
        result = steps.generate_feedback(course.ASSIGNMENT, student, force=True)
        if not result.get("success"):
            failed[student] = failure_cause(result) or "nbgrader generate_feedback failed"
        pack(course_dir, out_dir, student)
    return failed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--student", metavar="ID", help="only this student (default: every "
                        "student with an autograded submission)")
    report.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        setup = report.graded_class(args)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    course_dir = setup.course_dir
    students = graded_students(course_dir)
    if args.student is not None:
        if args.student not in students:
            print(f"error: no autograded submission of {args.student!r} in {course_dir}; graded "
                  f"students: {', '.join(students) or 'none'}")
            return 2
        students = [args.student]
    if not students:
        print(f"error: no autograded submission in {course_dir}: grade a class first "
              "(python -m kit grade SUBMISSIONS)")
        return 2
    failed = regenerate(course_dir, setup.out_dir, students, setup.db_url)
    for student, why in failed.items():
        print(f"  {student}: feedback not generated ({why})")
    print(f"Feedback of {len(students) - len(failed)} of {len(students)} student(s) in "
          f"{zip_path(setup.out_dir, '<student>')}")
    return 1 if failed else 0
