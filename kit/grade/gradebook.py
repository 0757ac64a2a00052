"""The class gradebook: merging one student's autograde results into it, reading scores out of it.

Each submission is autograded in its own course folder with its own SQLite gradebook (so that
parallel graders never write to the same database); the main process then copies the student's
automatic scores and comments into the class gradebook, one student at a time. Manual scores and
extra credit given by hand are kept; the extra credit of autograded extra-credit cells
(``kit.grade.extra_credit``) is copied.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry

from ..nbgrader_api import tools_on_path

tools_on_path()


@dataclass(frozen=True)
class StudentScores:
    """A student's scores in the gradebook: total and maximum (test cells and answers graded by
    hand), the same for the code cells only (what the autograder scores), and per notebook."""
    student: str
    score: float
    max_score: float
    code_score: float
    max_code_score: float
    notebooks: dict[str, float]


def _read_submission(url: str, course_id: str, assignment: str, student: str):
    """(timestamp, {notebook: (grades, comments)}) of a submission, or (None, None) if absent."""
    with Gradebook(url, course_id) as source:
        try:
            submitted = source.find_submission(assignment, student)
        except MissingEntry:
            return None, None
        return submitted.timestamp, {
            nb.name: ([(g.name, g.auto_score, g.needs_manual_grade, g.extra_credit)
                       for g in nb.grades],
                      [(c.name, c.auto_comment) for c in nb.comments])
            for nb in submitted.notebooks}


def merge_submission(source_url: str | None, target_url: str, course_id: str, assignment: str,
                     student: str) -> bool:
    """Copy a student's submission of an assignment from the gradebook at source_url into the one
    at target_url (automatic scores, whether a manual grade is needed, automatic comments).
    Returns False, and gives every grade cell 0 points, when there is no such submission at
    source_url (or no source_url: the submission could not be graded at all)."""
    timestamp, results = (None, None) if source_url is None else _read_submission(
        source_url, course_id, assignment, student)
    with Gradebook(target_url, course_id) as target, warnings.catch_warnings():
        # nbgrader's own session handling warns about autoflush when it creates a submission
        warnings.filterwarnings("ignore", message=".*not in session.*")
        target.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = target.update_or_create_submission(assignment, student, **kwargs)
        if results is None:
            for nb in submission.notebooks:
                for grade in nb.grades:
                    grade.auto_score, grade.needs_manual_grade = 0.0, False
            target.db.commit()
            return False
        for nb in submission.notebooks:
            grades, comments = results.get(nb.name, ([], []))
            by_name = {name: (score, manual, extra) for name, score, manual, extra in grades}
            for grade in nb.grades:
                score, manual, extra = by_name.get(grade.name, (0.0, False, None))
                grade.auto_score, grade.needs_manual_grade = score, manual
                if extra is not None:   # an autograded extra-credit cell (extra_credit)
                    grade.extra_credit = extra
            texts = dict(comments)
            for comment in nb.comments:
                if comment.name in texts:
                    comment.auto_comment = texts[comment.name]
        target.db.commit()
    return True


def class_scores(url: str, course_id: str, assignment: str) -> list[StudentScores]:
    """The scores of every student with a submission of the assignment, sorted by student id."""
    rows = []
    with Gradebook(url, course_id) as gb:
        for submission in gb.assignment_submissions(assignment):
            notebooks = {nb.name: float(nb.score) for nb in submission.notebooks}
            rows.append(StudentScores(submission.student.id, float(submission.score),
                                      float(submission.max_score), float(submission.code_score),
                                      float(submission.max_code_score), notebooks))
    return sorted(rows, key=lambda row: row.student)


def notebook_max_scores(url: str, course_id: str, assignment: str) -> dict[str, float]:
    """Maximum score of each notebook of the assignment."""
    with Gradebook(url, course_id) as gb:
        return {nb.name: float(nb.max_score) for nb in gb.find_assignment(assignment).notebooks}
