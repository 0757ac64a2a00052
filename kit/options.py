"""What the kit's commands share on the command line: the option groups (--course, --out, --db,
--jobs) and the one way a command reports bad input (``error: ...`` and exit code 2)."""
from __future__ import annotations

import argparse
import functools
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from . import paths
from .nbgrader_api import check_db_url, sqlite_url

Command = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """Bad input to a command: printed as ``error: <message>``, exit code `code` (default 2)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def reports(*errors: type[BaseException], code: int = 2) -> Callable[[Command], Command]:
    """Decorate a command's run(args): a CommandError, or one of `errors` (exit code `code`), is
    printed as ``error: <message>`` and ends the command instead of a traceback."""
    def decorate(run: Command) -> Command:
        @functools.wraps(run)
        def wrapped(args: argparse.Namespace) -> int:
            try:
                return run(args)
            except CommandError as error:
                print(f"error: {error}")
                return error.code
            except errors as error:
                print(f"error: {error}")
                return code
        return wrapped
    return decorate


def add_course(parser: argparse.ArgumentParser,
               help: str = "the nbgrader course folder (default: %(default)s)") -> None:
    parser.add_argument("--course", type=Path, default=paths.COURSE, help=help)


def add_out(parser: argparse.ArgumentParser, default: Path, help: str) -> None:
    parser.add_argument("--out", type=Path, default=default, help=help)


def add_db(parser: argparse.ArgumentParser, example: bool = True) -> None:
    """--db URL: the class gradebook (default: the course's SQLite file)."""
    eg = ", e.g. postgresql://user@host/course" if example else ""
    parser.add_argument("--db", metavar="URL",
                        help=f"class gradebook URL{eg} (default: sqlite:///<course>/gradebook.db)")


def add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=int, default=0,
                        help="submissions graded at the same time (default 0: one more than the "
                             "cores)")


def add_graded_class(parser: argparse.ArgumentParser) -> None:
    """--course, --out and --db of a class graded before (kit report, kit feedback)."""
    add_course(parser)
    add_out(parser, paths.GRADING, "the grading folder: grades.csv, scores.png and the feedback "
                                   "zips (default: %(default)s)")
    add_db(parser, example=False)


def graded_class(args: argparse.Namespace) -> SimpleNamespace:
    """The course folder, grading folder and gradebook URL of a class graded before (the options
    of add_graded_class); a CommandError, saying what to do, when there is no gradebook."""
    course_dir = args.course.resolve()
    if args.db:
        check_db_url(args.db)
    elif not (course_dir / "gradebook.db").is_file():
        raise CommandError(f"no gradebook at {course_dir / 'gradebook.db'}: grade a class first "
                           "(python -m kit grade SUBMISSIONS)")
    return SimpleNamespace(course_dir=course_dir, out_dir=args.out.resolve(),
                           db_url=args.db or sqlite_url(course_dir / "gradebook.db"))
