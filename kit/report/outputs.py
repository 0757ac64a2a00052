"""What a graded class comes out as: grades.csv, scores.png and what the class got wrong
(checks.csv, checks.png) in the grading folder, written after
grading and again whenever the gradebook changes (``python -m kit report``)."""
from __future__ import annotations

from pathlib import Path

from ..grade.limits import Limits
from ..grade.pool import Outcome, grade_class
from ..grade.status import load_statuses
from ..grade.template import Setup
from ..nbgrader_api import course_id
from . import checks
from .plot import write_plot
from .table import table, write_csv


def write_outputs(setup) -> tuple[Path, Path]:
    """Write grades.csv, scores.png, checks.csv and checks.png into setup.out_dir; returns the
    paths of the first two."""
    cid = course_id(setup.course_dir)
    header, rows = table(setup.db_url, cid, load_statuses(setup.out_dir))
    csv_path, plot_path = setup.out_dir / "grades.csv", setup.out_dir / "scores.png"
    write_csv(csv_path, header, rows)
    max_score = float(rows[0][2]) if rows else 0.0
    write_plot(plot_path, [float(r[1]) for r in rows], max_score)
    checks.write_outputs(setup.course_dir, setup.out_dir, setup.db_url, cid)
    return csv_path, plot_path


def grade_and_report(submissions_dir: Path, setup: Setup, limits: Limits = Limits(), jobs: int = 0,
                     only: str | None = None, keep_work: bool = False, progress=print,
                     id_pattern: str | None = None, **how) -> list[Outcome]:
    """Grade a class (kit.grade.pool.grade_class, same arguments: `how` holds regrade, bar and
    runner), then write grades.csv and scores.png into setup.out_dir; returns the outcomes of
    the students graded, in student order."""
    outcomes = grade_class(submissions_dir, setup, limits, jobs, only, keep_work, progress,
                           id_pattern, **how)
    write_outputs(setup)
    return outcomes
