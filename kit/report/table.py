"""The grade table of a class: its rows from the class gradebook and the status of each student's
last grading, written as grades.csv and printed as aligned text with where the outputs are."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .. import atomic
from ..grade import gradebook
from ..grade.status import load_statuses
from ..nbgrader_api import course_id
from ..paths import ASSIGNMENT
from . import checks

def fmt(value: float) -> str:
    return f"{value:g}"


def table(db_url: str, cid: str, statuses: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the grade table: student, score, max_score (everything, answers graded
    by hand and extra credit included), autograded, autograded_max (the test cells, extra credit
    apart), extra_credit (what the extra-credit test cells earned), one column per notebook,
    status."""
    maxima = gradebook.notebook_max_scores(db_url, cid, ASSIGNMENT)
    notebooks = sorted(maxima)
    header = ["student", "score", "max_score", "autograded", "autograded_max", "extra_credit",
              *notebooks, "status"]
    rows = []
    for entry in gradebook.class_scores(db_url, cid, ASSIGNMENT):
        rows.append([entry.student, fmt(entry.score), fmt(entry.max_score),
                     fmt(entry.code_score - entry.code_extra_credit), fmt(entry.max_code_score),
                     fmt(entry.code_extra_credit),
                     *(fmt(entry.notebooks.get(nb, 0.0)) for nb in notebooks),
                     statuses.get(entry.student, "")])
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic.write_bytes(Path(path), buffer.getvalue().encode("utf-8"))


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
    print("\nWhere the class went wrong (checks by mistakes made there, then failure share):")
    print(checks.format_top(checks.read_rows(setup.out_dir)))
    print(f"\nGrade table: {setup.out_dir / 'grades.csv'}")
    print(f"Score plot:  {setup.out_dir / 'scores.png'}")
    print(f"Checks:      {setup.out_dir / checks.CSV_NAME} and "
          f"{setup.out_dir / checks.PLOT_NAME} (what the class got wrong)")
    print(f"Feedback:    {setup.out_dir / 'feedback'}/<student>.zip (the HTML pages are in "
          f"{setup.course_dir / 'feedback'}/<student>/{ASSIGNMENT}/)")
    print(f"Gradebook:   {setup.db_url}")
