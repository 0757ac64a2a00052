"""No written answer is lost: a notebook without nbgrader metadata (the original course format, or
cells whose metadata an editor dropped) has its answers carried into the graded notebook by their
question; when that is not certain, the status names the answers that need a hand look and the
student's own notebook is kept beside the graded one and goes into their feedback."""
import copy
import zipfile

import nbformat

from kit.grade import answers as intake, merge, submissions
from kit.grade import written_answers as answers

QUESTION_1 = "**Inline question 1.** Why does the LSTM keep a cell state?"
QUESTION_2 = "**Inline question 2.** Why a sigmoid for the gates?"
EMPTY = "**Your answer:** *fill this in*"


def _cell(kind, source, grade_id=None, solution=False):
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    meta = {}
    if grade_id:
        meta = {"nbgrader": {"grade": solution, "grade_id": grade_id, "locked": not solution,
                             "schema_version": 3, "solution": solution, "task": False,
                             **({"points": 2} if solution else {})}}
    return make(source, metadata=meta)


def release_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", "# LSTM captioning", "intro"),
        _cell("code", "from cs231n.checks import check", "setup"),
        _cell("markdown", QUESTION_1, "q1"),
        _cell("markdown", EMPTY, "inline_question_1_answer", solution=True),
        _cell("markdown", QUESTION_2, "q2"),
        _cell("markdown", EMPTY, "inline_question_2_answer", solution=True),
    ]
    return nb


def without_metadata(nb):
    """The notebook as an editor without nbgrader support saves it: no nbgrader metadata."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


def graded(release_nb, student_nb):
    nb = intake.rebuild_notebook(release_nb, student_nb)
    return nb, answers.carry(nb, release_nb, student_nb)


def test_answers_without_metadata_reach_the_graded_notebook_by_their_question():
    release = release_notebook()
    student = without_metadata(release)
    student.cells[3].source = "**Your answer:** it carries gradients additively."
    student.cells[5].source = "**Your answer:** a gate must lie in (0, 1)."
    student.cells.insert(2, _cell("code", "print('scratch work')"))   # cells moved down
    nb, placed = graded(release, student)
    assert nb.cells[3].source == "**Your answer:** it carries gradients additively."
    assert nb.cells[5].source == "**Your answer:** a gate must lie in (0, 1)."
    assert placed.by_question == ["inline_question_1_answer", "inline_question_2_answer"]
    assert not placed.keep_original
    notes = placed.notes("LSTM_Captioning.ipynb")
    assert notes == ["LSTM_Captioning.ipynb: written answer(s) inline_question_1_answer, "
                     "inline_question_2_answer matched by their question (no nbgrader metadata)"]


def test_one_cell_whose_metadata_was_dropped_is_matched_and_the_others_by_id():
    release = release_notebook()
    student = copy.deepcopy(release)
    student.cells[3].source = "first answer"
    student.cells[3].metadata.pop("nbgrader")
    student.cells[5].source = "second answer"
    nb, placed = graded(release, student)
    assert [nb.cells[3].source, nb.cells[5].source] == ["first answer", "second answer"]
    assert placed.by_question == ["inline_question_1_answer"]


def test_unanswered_questions_are_no_loss_and_metadata_notebooks_say_nothing():
    release = release_notebook()
    nb, placed = graded(release, without_metadata(release))
    assert placed.by_question == [] and placed.need_look == [] and not placed.keep_original
    nb, placed = graded(release, copy.deepcopy(release))
    assert placed.notes("x.ipynb") == []


def test_an_answer_that_cannot_be_placed_is_named_and_the_notebook_kept(tmp_path):
    release = release_notebook()
    student = without_metadata(release)
    student.cells[2].source = "Question 1 (from an older notebook): why a cell state?"
    student.cells[3].source = "Because the gradient flows additively."
    nb, placed = graded(release, student)
    assert nb.cells[3].source == EMPTY                        # not guessed
    assert placed.need_look == ["inline_question_1_answer"]
    assert placed.stray == 2 and placed.keep_original
    (note,) = placed.notes("LSTM_Captioning.ipynb")
    assert "need a hand look (inline_question_1_answer" in note
    assert "kept as as_submitted/LSTM_Captioning.ipynb" in note


def test_intake_keeps_the_notebook_and_feedback_packs_it(tmp_path):
    release_dir = tmp_path / "release"
    (release_dir / "cs231n").mkdir(parents=True)
    nbformat.write(release_notebook(), release_dir / "LSTM_Captioning.ipynb")
    entry = tmp_path / "submissions" / "ada"
    entry.mkdir(parents=True)
    student = without_metadata(release_notebook())
    student.cells[2].source = "An older question nobody can match"
    student.cells[3].source = "My answer, written by hand."
    nbformat.write(student, entry / "LSTM_Captioning.ipynb")
    sub = submissions.Submission("ada", entry)
    course_dir = tmp_path / "course"
    dest = course_dir / "submitted" / "ada" / "rnn_captioning"
    intake.assemble(sub, release_dir, [], [], dest, tmp_path / "scratch")
    kept = dest / "as_submitted" / "LSTM_Captioning.ipynb"
    assert "My answer, written by hand." in kept.read_text()
    assert any("need a hand look (inline_question_1_answer" in n for n in sub.notes), sub.notes

    pages = course_dir / "feedback" / "ada" / "rnn_captioning"
    pages.mkdir(parents=True)
    (pages / "LSTM_Captioning.html").write_text("<html>feedback</html>")
    packed = merge.pack(course_dir, tmp_path / "out", "ada")
    with zipfile.ZipFile(packed) as zf:
        names = zf.namelist()
        assert "ada_rnn_captioning_feedback/as_submitted/LSTM_Captioning.ipynb" in names, names
