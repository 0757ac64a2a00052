"""Cross-check of the notebooks' test cells against the hidden re-run of the same checks.

A test cell of a notebook runs in the same kernel as the rest of the notebook and imports the
student's package, so code that patches the checking helpers (from an answer cell, or when the
package is imported) could make it pass. The hidden-check notebook re-runs each check on the
same cases where no student code can reach the expected outputs or the comparison. A notebook
test cell that calls ``check("name")`` keeps its points only if that re-run passed the visible
cases too, and one that calls ``check("name", hidden=True)`` only if it passed the hidden cases
(the notebooks' kernels can read the hidden cases' expected outputs, the re-run's student code
cannot); if the re-run failed them, the cell's points are withdrawn and the status says so. A
re-run cut short by a time limit or a crash decides nothing (the status reports those anyway).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from ..author.package_checks.package_checks import RESULT_MIME

_CHECK_CALL = re.compile(
    r"""\bcheck\(\s*["']([A-Za-z_]\w*)["']\s*(,\s*hidden\s*=\s*True\s*)?\)""")


def rerun_results(hidden_nb) -> dict[tuple[str, bool], bool | None]:
    """{(check name, hidden): whether those cases of the check passed the hidden re-run (None:
    undecided)}."""
    results = {}
    for cell in hidden_nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(RESULT_MIME)
            if isinstance(record, dict) and "check" in record:
                for hidden, kind in ((False, "visible"), (True, "hidden")):
                    results[record["check"], hidden] = record.get(kind)
    return results


def contradicted_cells(nb, results: dict[tuple[str, bool], bool | None]
                       ) -> list[tuple[str, list[str]]]:
    """(grade id, checks the re-run failed) of each test cell of a notebook that calls a check
    on cases (visible, or hidden with hidden=True) that failed the hidden re-run."""
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        failed = [name for name, hidden in _CHECK_CALL.findall(cell.source)
                  if results.get((name, bool(hidden))) is False]
        if failed:
            found.append((meta["grade_id"], failed))
    return found


def apply(autograded: Path, hidden_name: str, db_url: str, course_id: str, assignment: str,
          student: str) -> list[str]:
    """Withdraw the points of contradicted test cells in the gradebook at db_url; returns one
    status note per notebook concerned."""
    hidden_path = Path(autograded) / hidden_name
    if not hidden_path.is_file():
        return []
    results = rerun_results(nbformat.read(hidden_path, as_version=4))
    notes = []
    with Gradebook(db_url, course_id) as gb:
        for path in sorted(Path(autograded).glob("*.ipynb")):
            if path.name == hidden_name:
                continue
            withdrawn = []
            for grade_id, failed in contradicted_cells(nbformat.read(path, as_version=4), results):
                try:
                    grade = gb.find_grade(grade_id, path.stem, assignment, student)
                except MissingEntry:
                    continue
                if grade.auto_score or grade.extra_credit:
                    grade.auto_score = 0.0
                    if grade.extra_credit:
                        grade.extra_credit = 0.0
                    withdrawn.append(f"{grade_id} ({', '.join(failed)})")
            gb.db.commit()
            if withdrawn:
                notes.append(f"{path.stem}: points withdrawn from {', '.join(withdrawn)}: passed "
                             "in the notebook but failed the same cases when re-run alone")
    return notes
