"""Write the grade table (grades.csv), the score plot (scores.png), what the class got wrong
(checks.csv, checks.png: kit/check_report.py) and a printed summary from the class gradebook and
the status of each student's last grading.

Run on its own (``python -m kit report``) it rebuilds both files from the gradebook, for example
after a TA entered manual scores.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

from . import atomic, check_report, course, gradebook
from .nbgrader_api import check_db_url, course_id, sqlite_url

STATUS_FILE = "status.json"


def load_statuses(out_dir: Path) -> dict[str, str]:
    path = Path(out_dir) / STATUS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_statuses(out_dir: Path, statuses: dict[str, str]) -> None:
    """Merge the statuses of the students just graded into out_dir/status.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged = {**load_statuses(out_dir), **statuses}
    atomic.write_bytes(out_dir / STATUS_FILE, json.dumps(merged, indent=1, sort_keys=True).encode())


def _fmt(value: float) -> str:
    return f"{value:g}"


def table(db_url: str, cid: str, statuses: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the grade table: student, score, max_score (everything, answers graded
    by hand included), autograded, autograded_max (the test cells), one column per notebook,
    status."""
    maxima = gradebook.notebook_max_scores(db_url, cid, course.ASSIGNMENT)
    notebooks = sorted(maxima)
    header = ["student", "score", "max_score", "autograded", "autograded_max", *notebooks,
              "status"]
    rows = []
    for entry in gradebook.class_scores(db_url, cid, course.ASSIGNMENT):
        rows.append([entry.student, _fmt(entry.score), _fmt(entry.max_score),
                     _fmt(entry.code_score), _fmt(entry.max_code_score),
                     *(_fmt(entry.notebooks.get(nb, 0.0)) for nb in notebooks),
                     statuses.get(entry.student, "")])
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic.write_bytes(Path(path), buffer.getvalue().encode("utf-8"))


def write_plot(path: Path, scores: list[float], max_score: float) -> None:
    """A histogram of the class's total scores."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    bins = max(1, min(20, int(max_score) or 1))
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4878a8", edgecolor="white")
    ax.set_xlabel(f"score (out of {_fmt(max_score)})")
    ax.set_ylabel("students")
    mean = sum(scores) / len(scores) if scores else 0.0
    ax.set_title(f"{course.ASSIGNMENT}: {len(scores)} students, mean {mean:.1f}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic.write_bytes(Path(path), buffer.getvalue())


def write_outputs(setup) -> tuple[Path, Path]:
    """Write grades.csv and scores.png into setup.out_dir; returns their paths."""
    cid = course_id(setup.course_dir)
    header, rows = table(setup.db_url, cid, load_statuses(setup.out_dir))
    csv_path, plot_path = setup.out_dir / "grades.csv", setup.out_dir / "scores.png"
    write_csv(csv_path, header, rows)
    max_score = float(rows[0][2]) if rows else 0.0
    write_plot(plot_path, [float(r[1]) for r in rows], max_score)
    check_report.write_outputs(setup.course_dir, setup.out_dir, setup.db_url, cid)
    return csv_path, plot_path


def format_table(header: list[str], rows: list[list[str]], width: int = 70) -> str:
    """The grade table as aligned text (long statuses are cut at `width` characters)."""
    cut = [[cell if len(cell) <= width else cell[:width - 3] + "..." for cell in row]
           for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cut) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in cut]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_summary(setup) -> None:
    """Print the grade table and where the outputs are."""
    cid = course_id(setup.course_dir)
    header, rows = table(setup.db_url, cid, load_statuses(setup.out_dir))
    print(format_table(header, rows))
    print("\nMost failed checks:")
    print(check_report.format_top(check_report.read_rows(setup.out_dir)))
    print(f"\nGrade table: {setup.out_dir / 'grades.csv'}")
    print(f"Score plot:  {setup.out_dir / 'scores.png'}")
    print(f"Checks:      {setup.out_dir / check_report.CSV_NAME} and "
          f"{setup.out_dir / check_report.PLOT_NAME} (what the class got wrong)")
    print(f"Feedback:    {setup.out_dir / 'feedback'}/<student>.zip (the HTML pages are in "
          f"{setup.course_dir / 'feedback'}/<student>/{course.ASSIGNMENT}/)")
    print(f"Gradebook:   {setup.db_url}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .grading import GRADING
    parser.add_argument("--course", type=Path, default=course.COURSE,
                        help="the nbgrader course folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=GRADING,
                        help="the grading folder: grades.csv, scores.png and the feedback zips "
                             "(default: %(default)s)")
    parser.add_argument("--db", metavar="URL",
                        help="class gradebook URL (default: sqlite:///<course>/gradebook.db)")


def graded_class(args: argparse.Namespace) -> SimpleNamespace:
    """The course folder, grading folder and gradebook URL of a class graded before (the options
    of add_arguments); raises ValueError, saying what to do, when there is no gradebook."""
    course_dir = args.course.resolve()
    if args.db:
        check_db_url(args.db)
    elif not (course_dir / "gradebook.db").is_file():
        raise ValueError(f"no gradebook at {course_dir / 'gradebook.db'}: grade a class first "
                         "(python -m kit grade SUBMISSIONS)")
    return SimpleNamespace(course_dir=course_dir, out_dir=args.out.resolve(),
                           db_url=args.db or sqlite_url(course_dir / "gradebook.db"))


def run(args: argparse.Namespace) -> int:
    try:
        setup = graded_class(args)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    setup.out_dir.mkdir(parents=True, exist_ok=True)
    write_outputs(setup)
    print_summary(setup)
    return 0
