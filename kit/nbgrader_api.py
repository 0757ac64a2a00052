"""Running nbgrader steps from Python on a course folder, with clear errors."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"


class NbgraderError(RuntimeError):
    """An nbgrader step that did not succeed; the message holds the end of its log."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite gradebook file."""
    return f"sqlite:///{Path(path).resolve()}"


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


def open_api(course_dir: Path, db_url: str | None = None, overrides: Config | None = None):
    """An ``nbgrader.apps.NbGraderAPI`` on the course folder (quiet: warnings and errors only)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    tools_on_path()
    config = course_config(course_dir, db_url, overrides)
    config.NbGraderAPI.log_level = logging.WARNING
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def check(result: dict, step: str) -> str:
    """The log of a finished NbGraderAPI step; raises NbgraderError with the log's end if it failed."""
    if result.get("success"):
        return result.get("log", "")
    log = (result.get("log", "") + "\n" + result.get("error", "")).strip().splitlines()
    tail = "\n".join(log[-25:])
    raise NbgraderError(f"nbgrader {step} failed:\n{tail}")


def course_id(course_dir: Path) -> str:
    """The course id set in the course's nbgrader_config.py."""
    return str(course_config(course_dir).CourseDirectory.course_id)
