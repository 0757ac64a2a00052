"""The class gradebook: merging one student's autograde results into it, reading scores out of it.

Each submission is autograded in its own course folder with its own SQLite gradebook (so that
parallel graders never write to the same database); the main process then copies the student's
automatic scores and comments into the class gradebook, one student at a time. Manual scores and
extra credit given by hand are kept; the extra credit of autograded extra-credit cells
(``kit.grade.extra_credit``) is copied.

Each merge is one database transaction, which also records the content hash of the submission
merged (in the gradebook's table ``kit_merged``): a run that is stopped at any point leaves every
student either merged with their hash or as they were, and the next run skips the students whose
submission is unchanged.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from nbgrader.api import (Assignment, Grade, GradeCell, Gradebook, MissingEntry,
                          SubmittedAssignment, SubmittedNotebook)
from sqlalchemy import (Column, MetaData, String, Table, create_engine, delete, func, inspect,
                        select)
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from ..nbgrader_api import tools_on_path

tools_on_path()


@dataclass(frozen=True)
class StudentScores:
    """A student's scores in the gradebook: total and maximum (test cells and answers graded by
    hand, extra credit included), the same for the code cells only (what the autograder scores,
    extra credit included), the extra credit of the code cells, and per notebook."""
    student: str
    score: float
    max_score: float
    code_score: float
    max_code_score: float
    notebooks: dict[str, float]
    code_extra_credit: float = 0.0


LEDGER = Table("kit_merged", MetaData(),
               Column("assignment", String(128), primary_key=True),
               Column("student", String(128), primary_key=True),
               Column("digest", String(64), nullable=False))


class _OneTransaction(Session):
    """A session in which nbgrader's own commits (after each student, submission, ...) only flush:
    everything is one transaction, committed by finish() or rolled back when the session closes."""

    def commit(self) -> None:
        self.flush()

    def finish(self) -> None:
        super().commit()


def merged_digests(url: str, assignment: str) -> dict[str, str]:
    """{student: content hash of the submission last merged} for the assignment."""
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(LEDGER.name):
            return {}
        with engine.connect() as conn:
            rows = conn.execute(select(LEDGER.c.student, LEDGER.c.digest)
                                .where(LEDGER.c.assignment == assignment))
            return dict(rows.all())
    finally:
        engine.dispose()


def read_results(url: str | None, course_id: str, assignment: str, student: str):
    """What merge_submission copies of a student's graded submission from the gradebook at url:
    (timestamp, {notebook: (grades, comments)}), or None when there is no such submission (or no
    url: the submission could not be graded at all)."""
    if url is None:
        return None
    timestamp, results = _read_submission(url, course_id, assignment, student)
    return None if results is None else (timestamp, results)


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


def merge_submission(results, target_url: str, course_id: str, assignment: str, student: str,
                     digest: str = "") -> None:
    """Copy a student's graded submission (read_results) into the gradebook at target_url
    (automatic scores, whether a manual grade is needed, automatic comments) and record digest,
    the content hash of the submission, in one transaction. results None gives every grade cell
    0 points (the submission could not be graded)."""
    timestamp, results = results if results is not None else (None, None)
    with Gradebook(target_url, course_id) as target, warnings.catch_warnings():
        LEDGER.create(target.engine, checkfirst=True)
        target.db = scoped_session(sessionmaker(bind=target.engine, autoflush=True,
                                                class_=_OneTransaction))
        # nbgrader's own session handling warns about autoflush when it creates a submission
        warnings.filterwarnings("ignore", message=".*not in session.*")
        target.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = target.update_or_create_submission(assignment, student, **kwargs)
        for nb in submission.notebooks:
            grades, comments = results.get(nb.name, ([], [])) if results else ([], [])
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
        target.db.execute(delete(LEDGER).where(LEDGER.c.assignment == assignment,
                                               LEDGER.c.student == student))
        target.db.execute(LEDGER.insert().values(assignment=assignment, student=student,
                                                 digest=digest))
        target.db().finish()


def class_scores(url: str, course_id: str, assignment: str) -> list[StudentScores]:
    """The scores of every student with a submission of the assignment, sorted by student id."""
    rows = []
    with Gradebook(url, course_id) as gb:
        extra = dict(gb.db.query(SubmittedAssignment.student_id, func.sum(Grade.extra_credit))
                     .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                     .join(SubmittedNotebook,
                           SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                     .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
                     .join(GradeCell, GradeCell.id == Grade.cell_id)
                     .filter(Assignment.name == assignment, GradeCell.cell_type == "code")
                     .group_by(SubmittedAssignment.student_id))
        for submission in gb.assignment_submissions(assignment):
            notebooks = {nb.name: float(nb.score) for nb in submission.notebooks}
            rows.append(StudentScores(submission.student.id, float(submission.score),
                                      float(submission.max_score), float(submission.code_score),
                                      float(submission.max_code_score), notebooks,
                                      float(extra.get(submission.student.id) or 0.0)))
    return sorted(rows, key=lambda row: row.student)


def notebook_max_scores(url: str, course_id: str, assignment: str) -> dict[str, float]:
    """Maximum score of each notebook of the assignment."""
    with Gradebook(url, course_id) as gb:
        return {nb.name: float(nb.max_score) for nb in gb.find_assignment(assignment).notebooks}
