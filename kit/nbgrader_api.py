"""Running nbgrader steps from Python on a course folder, with clear errors."""
from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"


class NbgraderError(RuntimeError):
    """An nbgrader step that did not succeed; the message holds the end of its log."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite gradebook file."""
    return f"sqlite:///{Path(path).resolve()}"


class DatabaseUrlError(ValueError):
    """A gradebook URL that cannot be used: not an SQLAlchemy URL, or its driver is missing."""


# Python packages that bring the database driver SQLAlchemy imports, by module name.
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary"}


def check_db_url(url: str) -> None:
    """Raise DatabaseUrlError, saying what to install or fix, if url is not a gradebook URL that
    this Python can open (an SQLAlchemy URL whose database driver is installed). Connects to
    nothing."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError

    try:
        create_engine(url).dispose()
    except ArgumentError as error:
        raise DatabaseUrlError(
            f"the gradebook URL is not one SQLAlchemy can use ({error}); examples: "
            "sqlite:////path/gradebook.db, postgresql://user:password@host/database") from None
    except ImportError as error:
        if error.name is None:
            raise DatabaseUrlError(f"the gradebook URL's database driver cannot be loaded: "
                                   f"{error}") from None
        package = DRIVER_PACKAGES.get(error.name, error.name)
        raise DatabaseUrlError(f"the gradebook URL needs the database driver {error.name!r}, "
                               f"which is not installed: pip install '{package}'") from None


def course_config(course_dir: Path, db_url: str | None = None,
                  overrides: Config | None = None) -> Config:
    """The course's nbgrader configuration (course_dir/nbgrader_config.py) with the course root made
    absolute, the gradebook URL (default: course_dir/gradebook.db) and any overrides merged in."""
    course_dir = Path(course_dir).resolve()
    config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.db_url = db_url or sqlite_url(course_dir / "gradebook.db")
    if overrides is not None:
        config.merge(overrides)
    return config


def tools_on_path() -> None:
    """Put this Python's scripts folder on PATH: nbgrader runs the ``alembic`` command when it
    creates a gradebook, which fails when the virtual environment is used without activating it
    (``.venv/bin/python -m kit ...``)."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


class CourseSteps:
    """nbgrader's generate_assignment, autograde and generate_feedback on one course folder, as
    ``NbGraderAPI`` runs them (each returns nbgrader's result dict: success, log, error), without
    the exchange that the API looks for and that the kit does not use."""

    def __init__(self, course_dir: Path, db_url: str | None = None,
                 overrides: Config | None = None):
        from nbgrader.coursedir import CourseDirectory

        tools_on_path()
        self.config = course_config(course_dir, db_url, overrides)
        self.config.Application.log_level = logging.WARNING
        self.coursedir = CourseDirectory(config=self.config)

    def _run(self, converter, assignment_id: str, student_id: str = ".", **attrs) -> dict:
        from nbgrader.utils import capture_log, temp_attrs

        with temp_attrs(self.coursedir, assignment_id=assignment_id, student_id=student_id):
            app = converter(coursedir=self.coursedir, config=self.config)
            app.log.setLevel(logging.WARNING)
            for name, value in attrs.items():
                setattr(app, name, value)
            return capture_log(app)

    def generate_assignment(self, assignment_id: str, force: bool = True,
                            create: bool = True) -> dict:
        from nbgrader.converters import GenerateAssignment
        return self._run(GenerateAssignment, assignment_id, force=force, create_assignment=create)

    def autograde(self, assignment_id: str, student_id: str, force: bool = True,
                  create: bool = True) -> dict:
        from nbgrader.converters import Autograde
        return self._run(Autograde, assignment_id, student_id, force=force, create_student=create)

    def generate_feedback(self, assignment_id: str, student_id: str, force: bool = True) -> dict:
        from nbgrader.converters import GenerateFeedback
        feedback = Config()
        feedback.HTMLExporter.template_name = "feedback"
        self.config.merge(feedback)
        with warnings.catch_warnings():
            # Outputs meant for the grader only (the hidden checks' machine-readable results)
            # have no HTML form; nbconvert warns about each one and leaves it out, as it should.
            warnings.filterwarnings("ignore", "Your element with mimetype", UserWarning)
            return self._run(GenerateFeedback, assignment_id, student_id, force=force)


def open_api(course_dir: Path, db_url: str | None = None,
             overrides: Config | None = None) -> CourseSteps:
    """The nbgrader steps of a course folder (quiet: warnings and errors only)."""
    return CourseSteps(course_dir, db_url, overrides)


def check(result: dict, step: str) -> str:
    """The log of a finished NbGraderAPI step; raises NbgraderError with the log's end if it failed."""
    if result.get("success"):
        return result.get("log", "")
    log = (result.get("log", "") + "\n" + result.get("error", "")).strip().splitlines()
    tail = "\n".join(log[-25:])
    raise NbgraderError(f"nbgrader {step} failed:\n{tail}")


_EXCEPTION = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit|Interrupt)): ?(.*)$")


def failure_cause(result: dict) -> str:
    """The innermost exception of a failed nbgrader step, from its log and traceback (nbgrader's
    own 'see the traceback above' wrapper is skipped)."""
    lines = (result.get("log", "") + "\n" + result.get("error", "")).splitlines()
    for line in reversed(lines):
        match = _EXCEPTION.match(line)
        if match and match.group(1) != "NbGraderException":
            return f"{match.group(1)}: {match.group(2)}"[:200].rstrip(": ")
    return next((line.strip()[:200] for line in reversed(lines) if line.strip()), "")


def course_id(course_dir: Path) -> str:
    """The course id set in the course's nbgrader_config.py."""
    return str(course_config(course_dir).CourseDirectory.course_id)
