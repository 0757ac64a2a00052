"""Written answers of a notebook that lost its nbgrader metadata, carried into the graded notebook.

Intake normally takes each answer cell of a student's notebook by its nbgrader grade id. A
notebook in the original course format (no nbgrader metadata), or one whose editor dropped the
metadata of some cells, has no grade ids there: each answer the release expects but does not find
by id is looked for by its question instead. Its question is the release cell just before the
answer cell (the inline question's text); the student's cell after the same question (same text,
or nearly the same: at least ``SIMILAR`` alike) is the answer, if it is a cell of the same kind
that is not one of the release's own cells.

When every answer is placed this way, the graded notebook holds them and the status says they were
matched by their question. When one cannot be placed for certain (its question is not found, or
found more than once, or the student's notebook has written text nowhere placed), the status names
the answers that need a hand look, and the student's own notebook is kept beside the graded one
(``as_submitted/<notebook>.ipynb``) and packed into their feedback. An answer is never dropped
without a word.
"""
from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

SIMILAR = 0.9
KEPT = "as_submitted"


@dataclass
class Placed:
    """What carrying the answers of one notebook did."""
    by_question: list[str] = field(default_factory=list)   # grade ids placed by their question
    need_look: list[str] = field(default_factory=list)     # grade ids that could not be placed
    stray: int = 0                                          # student text cells placed nowhere

    def notes(self, notebook: str) -> list[str]:
        """Status notes (nothing when every answer came by its grade id)."""
        notes = []
        if self.by_question:
            notes.append(f"{notebook}: written answer(s) {', '.join(self.by_question)} matched by "
                         f"their question (no nbgrader metadata)")
        if self.need_look or self.stray:
            what = ", ".join(self.need_look) if self.need_look else "none placed"
            stray = f"; {self.stray} text cell(s) of the student placed nowhere" if self.stray else ""
            notes.append(f"{notebook}: written answers need a hand look ({what}{stray}); the "
                         f"student's own notebook is kept as {KEPT}/{notebook} and in the feedback")
        return notes

    @property
    def keep_original(self) -> bool:
        return bool(self.need_look or self.stray)


def _text(cell) -> str:
    return re.sub(r"\s+", " ", cell.source).strip()


def _answer_id(cell) -> str | None:
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") if meta.get("solution") else None


def _find_question(question: str, student_cells: list, start: int) -> list[int]:
    """Indices (from start on) of the student cells holding the question: the same text, else the
    cells at least SIMILAR alike to it."""
    same = [i for i in range(start, len(student_cells)) if _text(student_cells[i]) == question]
    if same:
        return same
    return [i for i in range(start, len(student_cells))
            if difflib.SequenceMatcher(None, _text(student_cells[i]), question).ratio() >= SIMILAR]


def carry(graded_nb, release_nb, student_nb) -> Placed:
    """Put into graded_nb (the release notebook with the answers found by grade id) the answers
    of student_nb that have no grade id, matched by their question; returns what it did."""
    placed = Placed()
    if student_nb is None:
        return placed
    student_ids = {_answer_id(c) for c in student_nb.cells} - {None}
    release_texts = {_text(c) for c in release_nb.cells}
    cells = student_nb.cells
    used, position = set(), 0
    for index, cell in enumerate(release_nb.cells):
        grade_id = _answer_id(cell)
        if grade_id is None or grade_id in student_ids or index == 0:
            continue
        question = _text(release_nb.cells[index - 1])
        found = _find_question(question, cells, position)
        if len(found) != 1 or found[0] + 1 >= len(cells):
            placed.need_look.append(grade_id)
            continue
        answer = cells[found[0] + 1]
        if answer.cell_type != cell.cell_type or (_text(answer) in release_texts
                                                  and _text(answer) != _text(cell)):
            placed.need_look.append(grade_id)
            continue
        used.update({found[0], found[0] + 1})
        position = found[0] + 2
        if _text(answer) != _text(cell):            # the release's empty answer: nothing to carry
            graded_nb.cells[index].source = answer.source
            placed.by_question.append(grade_id)
    if placed.by_question or placed.need_look:
        placed.stray = sum(1 for i, c in enumerate(cells)
                           if i not in used and c.cell_type == "markdown" and _text(c)
                           and _text(c) not in release_texts and _answer_id(c) is None)
    return placed


def keep_original(student_path: Path, dest: Path, name: str) -> Path:
    """Copy the student's own notebook beside the graded one: dest/as_submitted/<name>.ipynb."""
    target = Path(dest) / KEPT / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(student_path, target)
    return target
