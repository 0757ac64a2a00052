"""What the class got wrong: for each check (each autograded test cell of the notebooks), how many
students failed it and the failure they most often share.

Written by ``python -m kit report`` (and at the end of grading) next to grades.csv:

- ``checks.csv``: notebook, check, points, students, failed (students who did not get every point),
  share (failed / students), unwritten (of the failed, how many had not written the code: it still
  raised NotImplementedError), after_prerequisite (of the failed, how many also failed a check this
  one builds on: fix that one first), mistakes_here (of the failed, how many wrote the code and
  passed every check this one builds on: the mistake is in this check's code), commonest_failure
  and commonest_count (the failure line shared by most of those who made their mistake here, else
  by most of those who wrote the code, else by all, and by how many);
- ``checks.png``: one bar per check, sorted by failure share, the unwritten part lighter.

The rows, and the five most failed checks printed after grading, come in the order of what to
re-teach: most mistakes made here first, then failure share. A check that only fails because one
it builds on fails (a captioning model's loss after a wrong softmax loss) comes after the checks
where the mistakes are.

A student's failure line is the first ``FAIL`` line of the cell's output with the error value left
out (``FAIL  rnn_backward: dx vs reference output``), else the error the cell stopped with, else its
first line of stderr. The hidden-check notebook (Package_Checks) re-runs the same checks and is
left out.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .. import atomic
from ..paths import ASSIGNMENT, HIDDEN_NOTEBOOK

CSV_NAME, PLOT_NAME = "checks.csv", "checks.png"
HEADER = ["notebook", "check", "points", "students", "failed", "share", "unwritten",
          "after_prerequisite", "mistakes_here", "commonest_failure", "commonest_count"]
UNWRITTEN = "raised NotImplementedError"
NO_OUTPUT = "(no output: the cell did not run)"
_ERROR_VALUE = re.compile(r",? error \S+ \(threshold \S+\)")


@dataclass
class CheckSummary:
    """One check's results over the class."""
    notebook: str
    check: str
    points: float
    students: int
    failures: dict[str, str]      # student -> failure line
    blocked: set[str] = field(default_factory=set)   # failed students who also failed a check
                                                     # this one builds on

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def share(self) -> float:
        return self.failed / self.students if self.students else 0.0

    @property
    def unwritten(self) -> int:
        return sum(UNWRITTEN in line for line in self.failures.values())

    @property
    def after_prerequisite(self) -> int:
        return len(self.blocked & set(self.failures))

    def _written(self) -> dict[str, str]:
        return {s: line for s, line in self.failures.items() if UNWRITTEN not in line}

    @property
    def mistakes_here(self) -> int:
        """Failed students who wrote the code and passed every check this one builds on."""
        return len(set(self._written()) - self.blocked)

    def commonest(self) -> tuple[str, int]:
        """The failure line most students share (mistakes made here first, then written code,
        then all) and how many share it."""
        written = self._written()
        here = [line for s, line in written.items() if s not in self.blocked]
        counts = Counter(here or written.values() or self.failures.values())
        return counts.most_common(1)[0] if counts else ("", 0)

    def row(self) -> list[str]:
        line, count = self.commonest()
        return [self.notebook, self.check, f"{self.points:g}", str(self.students),
                str(self.failed), f"{self.share:.3f}", str(self.unwritten),
                str(self.after_prerequisite), str(self.mistakes_here), line, str(count)]


def failure_line(cell) -> str:
    """The line that says why a graded cell failed (see the module docstring)."""
    stdout, stderr, error = [], [], None
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            (stdout if output.name == "stdout" else stderr).extend(output.text.splitlines())
        elif output.output_type == "error" and error is None:
            error = f"{output.ename}: {output.evalue}".splitlines()[0]
    for line in stdout:
        if line.startswith("FAIL"):
            return _ERROR_VALUE.sub("", line).strip()
    if error:
        return error
    return next((line.strip() for line in stderr if line.strip()), NO_OUTPUT)


def _cells(course_dir: Path, student: str, notebook: str) -> dict:
    """{grade_id: cell} of a student's autograded notebook ({} when there is none)."""
    path = Path(course_dir) / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
    if not path.is_file():
        return {}
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def summarize(course_dir: Path, db_url: str, course_id: str) -> list[CheckSummary]:
    """Every autograded check of the assignment over the class, in the order of what to re-teach:
    most mistakes made here, then failure share, then points."""
    hidden = Path(HIDDEN_NOTEBOOK).stem
    summaries: dict[tuple[str, str], CheckSummary] = {}
    with Gradebook(db_url, course_id) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        students = [s.student.id for s in gb.assignment_submissions(ASSIGNMENT)]
        for notebook in assignment.notebooks:
            if notebook.name == hidden:
                continue
            tests = [cell for cell in notebook.grade_cells if cell.cell_type == "code"]
            for cell in tests:
                summaries[notebook.name, cell.name] = CheckSummary(
                    notebook.name, cell.name, float(cell.max_score), len(students), {})
            for student in students:
                try:
                    submitted = gb.find_submission_notebook(notebook.name, ASSIGNMENT,
                                                            student)
                except MissingEntry:
                    continue
                scores = {grade.name: float(grade.score or 0.0) for grade in submitted.grades}
                cells = None
                for cell in tests:
                    if scores.get(cell.name, 0.0) < float(cell.max_score):
                        cells = _cells(course_dir, student, notebook.name) if cells is None else cells
                        found = cells.get(cell.name)
                        summaries[notebook.name, cell.name].failures[student] = (
                            failure_line(found) if found is not None else NO_OUTPUT)
    return reteach_order(list(summaries.values()))


def reteach_order(summaries: list[CheckSummary]) -> list[CheckSummary]:
    """The summaries with their blocked students set, most mistakes made here first, then by
    failure share, then points."""
    _find_blocked(summaries)
    return sorted(summaries, key=lambda s: (-s.mistakes_here, -s.share, -s.points))


def _find_blocked(summaries: list[CheckSummary]) -> None:
    """Set each summary's blocked students: those failing a check it builds on (cs231n.checks)."""
    from cs231n.checks import CHECKS

    failing: dict[str, set[str]] = {}
    for s in summaries:
        failing.setdefault(s.check.removeprefix("check_"), set()).update(s.failures)
    for s in summaries:
        spec = CHECKS.get(s.check.removeprefix("check_"))
        before = set().union(*(failing.get(name, set()) for name in spec.after)) if spec else set()
        s.blocked = set(s.failures) & before


def write_csv(path: Path, summaries: list[CheckSummary]) -> None:
    import csv
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(s.row() for s in summaries)
    atomic.write_bytes(Path(path), buffer.getvalue().encode("utf-8"))


def write_plot(path: Path, summaries: list[CheckSummary]) -> None:
    """One horizontal bar per check, most failed on top; the unwritten share lighter."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = sorted(summaries, key=lambda s: (s.share, s.points))
    labels = [f"{s.check.removeprefix('check_')} ({s.notebook.split('_')[0]}, {s.points:g} pt)"
              for s in shown]
    wrong = [(s.failed - s.unwritten) / s.students if s.students else 0.0 for s in shown]
    unwritten = [s.unwritten / s.students if s.students else 0.0 for s in shown]
    fig, ax = plt.subplots(figsize=(7, 1 + 0.24 * len(shown)), dpi=90)
    ax.barh(labels, wrong, color="#c0504d", label="wrong")
    ax.barh(labels, unwritten, left=wrong, color="#e6b9b8", label="not written")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the class failing the check")
    students = summaries[0].students if summaries else 0
    ax.set_title(f"{ASSIGNMENT}: checks by failure share ({students} students)")
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic.write_bytes(Path(path), buffer.getvalue())


def write_outputs(course_dir: Path, out_dir: Path, db_url: str, course_id: str) -> list[CheckSummary]:
    """Write checks.csv and checks.png into out_dir; returns the summaries."""
    summaries = summarize(course_dir, db_url, course_id)
    write_csv(Path(out_dir) / CSV_NAME, summaries)
    write_plot(Path(out_dir) / PLOT_NAME, summaries)
    return summaries


def read_rows(out_dir: Path) -> list[dict[str, str]]:
    """The rows of out_dir/checks.csv, most failed first ([] when there is no such file)."""
    import csv
    path = Path(out_dir) / CSV_NAME
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def format_top(rows: list[dict[str, str]], count: int = 5) -> str:
    """The first `count` failed checks of checks.csv's rows (most mistakes made there first) with
    their commonest failure, as printed lines."""
    lines = []
    for row in [row for row in rows if int(row["failed"])][:count]:
        lines.append(f"  {row['failed']}/{row['students']} failed "
                     f"{row['check'].removeprefix('check_')} ({row['notebook']}, "
                     f"{row['points']} points): {row['mistakes_here']} made the mistake here, "
                     f"{row['unwritten']} unwritten, "
                     f"{row['after_prerequisite']} after a check it builds on failed")
        lines.append(f"      commonest ({row['commonest_count']}): {row['commonest_failure']}")
    return "\n".join(lines) if lines else "  no check failed"
