"""Extra-credit test cells: points added to a student's score, not to the maximum.

nbgrader records extra credit in the ``extra_credit`` column of a grade (``Grade.score`` is
``auto_score + extra_credit``, ``max_score`` comes from the cell's points only) but has no way to
autograde it: its formgrader only lets a TA type it in. The kit marks an extra-credit test cell
with 0 nbgrader points (so the maximum score leaves it out) and its worth in the cell's metadata,
``"extra_credit": <points>``. After autograding, a cell that passed (nbgrader's rule: no error and
nothing on stderr; a numeric last value gives partial credit) gets its worth as ``extra_credit`` in
the gradebook, a cell that failed gets 0.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import determine_grade

from ..paths import EXTRA_CREDIT_KEY as KEY


def worth(cell) -> float:
    """The extra credit a test cell is worth (0 for an ordinary cell)."""
    meta = cell.metadata.get("nbgrader", {})
    if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
        return 0.0
    return float(cell.metadata.get(KEY, 0) or 0)


def cells_worth(nb) -> dict[str, float]:
    """{grade id: extra credit} of the extra-credit test cells of a notebook."""
    return {cell.metadata["nbgrader"]["grade_id"]: worth(cell) for cell in nb.cells
            if worth(cell) > 0}


def earned(cell, points: float) -> float:
    """What an executed test cell worth `points` earns, by nbgrader's own rule."""
    scored = copy.deepcopy(cell)
    scored.metadata["nbgrader"]["points"] = points
    score, _ = determine_grade(scored)
    return float(score or 0.0)


def apply(source: Path, autograded: Path, db_url: str, course_id: str, assignment: str,
          student: str) -> None:
    """Set the extra credit of every extra-credit test cell of a student's autograded notebooks
    (their worth is read from the course's source notebooks of the same name)."""
    with Gradebook(db_url, course_id) as gb:
        for path in sorted(Path(source).glob("*.ipynb")):
            points = cells_worth(nbformat.read(path, as_version=4))
            graded = Path(autograded) / path.name
            if not points or not graded.is_file():
                continue
            cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c
                     for c in nbformat.read(graded, as_version=4).cells}
            for grade_id, value in points.items():
                try:
                    grade = gb.find_grade(grade_id, path.stem, assignment, student)
                except MissingEntry:
                    continue
                cell = cells.get(grade_id)
                grade.extra_credit = earned(cell, value) if cell is not None else 0.0
        gb.db.commit()
