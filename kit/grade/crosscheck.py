"""Cross-check of the notebooks' test cells against the hidden re-run of the same checks.

A test cell of a notebook runs in the same kernel as the rest of the notebook and imports the
student's package, so code that patches the checking helpers (from an answer cell, or when the
package is imported) could make it pass. The hidden-check notebook re-runs each check on the
same cases where no student code can reach the expected outputs or the comparison. A notebook
test cell that calls ``check("name")`` keeps its points only if that re-run passed the visible
cases too, and one that calls ``check("name", hidden=True)`` only if it passed the hidden cases;
if the re-run failed them, the cell's points are withdrawn and the status says so. A re-run of
visible cases cut short by a time limit or a crash decides nothing (the status reports those
anyway). Hidden cases are different: in the sandbox, the notebooks' kernels do not see their
expected outputs (kit.grade.sandbox), so a hidden-case cell only computes the outputs and the
re-run is the comparison: such a cell keeps its points only if the re-run passed those cases.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from cs231n import checks

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


def compared_hidden(reference: Path) -> set[str]:
    """The checks whose hidden cases have expected outputs in a reference outputs file and test
    code students write: those the re-run compares and the notebooks' kernels do not."""
    if not Path(reference).is_file():
        return set()
    return {case.check for case in checks.load_cases(reference)
            if case.hidden and case.expected} - checks.PROVIDED


def contradicted_cells(nb, results: dict[tuple[str, bool], bool | None],
                       hidden_compared: set[str] = frozenset()) -> list[tuple[str, list[str]]]:
    """(grade id, checks the re-run failed) of each test cell of a notebook that calls a check
    on cases (visible, or hidden with hidden=True) that failed the hidden re-run; for the hidden
    cases of the checks in hidden_compared, also those the re-run did not pass (cut short, or
    not run)."""
    def contradicted(name: str, hidden: bool) -> bool:
        result = results.get((name, hidden))
        return result is False or (hidden and name in hidden_compared and result is not True)

    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        failed = [name for name, hidden in _CHECK_CALL.findall(cell.source)
                  if contradicted(name, bool(hidden))]
        if failed:
            found.append((meta["grade_id"], failed))
    return found


def apply(autograded: Path, hidden_name: str, db_url: str, course_id: str, assignment: str,
          student: str, reference: Path) -> list[str]:
    """Withdraw the points of contradicted test cells in the gradebook at db_url (reference: the
    course's reference outputs file); returns one status note per notebook concerned."""
    hidden_path = Path(autograded) / hidden_name
    results = (rerun_results(nbformat.read(hidden_path, as_version=4))
               if hidden_path.is_file() else {})
    hidden_compared = compared_hidden(reference)
    notes = []
    with Gradebook(db_url, course_id) as gb:
        for path in sorted(Path(autograded).glob("*.ipynb")):
            if path.name == hidden_name:
                continue
            withdrawn = []
            for grade_id, failed in contradicted_cells(nbformat.read(path, as_version=4), results,
                                                       hidden_compared):
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
                             "in the notebook but failed (or did not finish) the same cases when "
                             "re-run alone")
    return notes
