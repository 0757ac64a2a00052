"""Build the student release: build/release/rnn_captioning/ and build/release/rnn_captioning.zip.

Steps: assemble the nbgrader course in build/course/ from assignments/, cs231n/ and datasets/;
run `nbgrader generate_assignment` (which strips the solutions of the notebooks and records the
test cells in the gradebook); replace every solution region of the student files in cs231n/ by a
`# YOUR CODE HERE` stub (nbgrader copies .py files verbatim); keep only the visible cases of the
reference outputs; leave out the reference-only files; add a README for students and
requirements.txt; then check the folder and the zip for leaks (no line of any solution region, no
solution marker, no reference-only file, no hidden check case). A release that fails the check is
not written.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import options
from ..author.stubs import MarkerError
from ..nbgrader_api import DatabaseUrlError, check_db_url
from ..paths import RELEASE
from ..release.build import ReleaseError, build_release, check_release


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_out(parser, RELEASE, "folder that receives rnn_captioning/ and rnn_captioning.zip "
                                     "(default: %(default)s)")
    options.add_course(parser, "where to build the nbgrader course (default: %(default)s)")
    options.add_db(parser)
    parser.add_argument("--check", type=Path, metavar="PATH",
                        help="only leak-check an existing release folder or zip and exit")


@options.reports(ReleaseError)
def _check(args: argparse.Namespace) -> int:
    problems = check_release(args.check, args.course)
    for problem in problems:
        print(f"LEAK {problem}")
    print(f"{args.check}: {'leaks found' if problems else 'no leaks'}")
    return 1 if problems else 0


@options.reports(DatabaseUrlError, ReleaseError, MarkerError, code=1)
def _build(args: argparse.Namespace) -> int:
    if args.db:
        check_db_url(args.db)
    release = build_release(args.course, args.out, args.db)
    print(f"Student release: {release.folder}/ and {release.archive}")
    print(f"  notebooks: {', '.join(release.notebooks)}")
    print(f"  student files (stubbed): {', '.join(release.student_files)}")
    print("  leak check: no solution line, no marker, no reference-only file, no hidden case")
    return 0


def run(args: argparse.Namespace) -> int:
    return _check(args) if args.check else _build(args)
