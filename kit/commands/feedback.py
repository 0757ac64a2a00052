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

from .. import options
from ..grade.merge import zip_path
from ..nbgrader_api import DatabaseUrlError
from ..report.feedback import graded_students, regenerate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--student", metavar="ID", help="only this student (default: every "
                        "student with an autograded submission)")
    options.add_graded_class(parser)


@options.reports(DatabaseUrlError)
def run(args: argparse.Namespace) -> int:
    setup = options.graded_class(args)
    course_dir = setup.course_dir
    students = graded_students(course_dir)
    if args.student is not None:
        if args.student not in students:
            raise options.CommandError(f"no autograded submission of {args.student!r} in "
                                       f"{course_dir}; graded students: "
                                       f"{', '.join(students) or 'none'}")
        students = [args.student]
    if not students:
        raise options.CommandError(f"no autograded submission in {course_dir}: grade a class "
                                   "first (python -m kit grade SUBMISSIONS)")
    failed = regenerate(course_dir, setup.out_dir, students, setup.db_url)
    for student, why in failed.items():
        print(f"  {student}: feedback not generated ({why})")
    print(f"Feedback of {len(students) - len(failed)} of {len(students)} student(s) in "
          f"{zip_path(setup.out_dir, '<student>')}")
    return 1 if failed else 0
