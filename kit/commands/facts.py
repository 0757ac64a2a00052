"""Write the course's facts into README.md: the notebooks the course releases
(assignments/course.toml), the points of each (autograded, extra credit, graded by hand, the
hidden Package_Checks notebook added at grading) and their time budgets, between the README's
course-facts marker lines. Builds the course first, into a folder of its own (--course; the
course you grade in build/course/ is left alone). With --check, changes nothing and exits with 1
when README.md is out of date.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import options
from ..author import facts
from ..author.course import build_course
from ..paths import BUILD, ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=BUILD / "facts",
                        help="the folder to build the course in and read (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="only say whether README.md states the course's facts (exit 1 if not)")


@options.reports(facts.FactsError, FileNotFoundError)
def run(args: argparse.Namespace) -> int:
    build_course(args.course)
    readme = ROOT / "README.md"
    if args.check:
        text = facts.readme_block(readme.read_text(encoding="utf-8"))
        if text != facts.block(args.course):
            print("README.md's course facts are out of date: run `python -m kit facts`",
                  file=sys.stderr)
            return 1
        print("README.md states the course's facts.")
        return 0
    changed = facts.write_readme(args.course, readme)
    print(f"{readme}: course facts {'updated' if changed else 'already up to date'}")
    return 0
