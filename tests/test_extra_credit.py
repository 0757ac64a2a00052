"""Extra credit in the gradebook: an extra-credit test cell (0 nbgrader points, its worth in the
cell's metadata) and the extra-credit checks of the hidden-check notebook add to the score of a
student whose code passes them, never to the maximum; code that fails them earns no extra
credit. Graded with the kit's real grading into a real nbgrader gradebook."""

import nbformat
import pytest
from nbgrader.api import Gradebook

from cs231n import checks
from kit.author import hidden_notebook as hidden
from kit.grade import extra_credit
from kit.grade.limits import Limits
from kit.grade.pool import grade_class
from kit.grade.template import prepare
from kit.release import build as release
from kit.nbgrader_api import course_id
from tests.grading_support import (_meta, copy_release, make_repo, put_reference, replace_in,
                                   set_answer)

pytestmark = pytest.mark.slow
LIMITS = Limits(cell_timeout=30, submission_timeout=300, memory_mb=1500,
                        max_output_bytes=50_000)
WORTH = 2


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("extra")
    repo = make_repo(base / "repo")
    path = repo / "assignments" / "source" / "rnn_captioning" / "Mini.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell('check("gru_step_forward")',
                                     metadata=_meta("gru_step_forward_check", grade=True,
                                                    locked=True, points=0))
    cell.metadata[extra_credit.KEY] = WORTH
    nb.cells.append(cell)
    nbformat.write(nb, path)
    result = release.build_release(base / "course", base / "release", root=repo)
    subs = base / "submissions"
    subs.mkdir()
    for name in ("reference", "no_gru"):
        folder = copy_release(result.folder, subs / name)
        put_reference(folder, result.student_files)
        set_answer(folder, "def double(x):\n    return x * 2")
    replace_in(subs / "no_gru" / "cs231n" / "rnn_layers.py",
               "    next_h = z * prev_h + (1 - z) * n\n", "    next_h = (1 - z) * prev_h + z * n\n")
    copy_release(result.folder, subs / "untouched")
    setup = prepare(base / "course", base / "grading", root=repo, build=False,
                    datasets_dir=None)
    grade_class(subs, setup, LIMITS, jobs=2)
    return setup


def grades(setup, student):
    with Gradebook(setup.db_url, course_id(setup.course_dir)) as gb:
        submission = gb.find_submission("rnn_captioning", student)
        cells = {(nb.name, g.name): (g.auto_score, g.extra_credit, g.max_score)
                 for nb in submission.notebooks for g in nb.grades}
        return float(submission.score), float(submission.max_score), cells


def hidden_extra(setup):
    nb = nbformat.read(setup.grading_source / "Package_Checks.ipynb", as_version=4)
    return extra_credit.cells_worth(nb)


def test_hidden_notebook_makes_every_gru_check_extra_credit(graded):
    worth = hidden_extra(graded)
    # captioning_gru_gradient compares with numerical gradients only: nothing to re-run there
    rerun = checks.EXTRA_CREDIT - {"captioning_gru_gradient"}
    assert set(worth) == {f"package_{name}" for name in rerun}
    assert set(worth.values()) == {hidden.POINTS}
    assert len(checks.EXTRA_CREDIT) == 7


def test_extra_credit_adds_to_the_score_not_to_the_maximum(graded):
    score, max_score, cells = grades(graded, "reference")
    _, untouched_max, untouched = grades(graded, "untouched")
    extra = WORTH + sum(hidden_extra(graded).values())
    assert cells[("Mini", "gru_step_forward_check")] == (0.0, WORTH, 0.0)
    for grade_id in hidden_extra(graded):
        assert cells[("Package_Checks", grade_id)][1:] == (hidden.POINTS, 0.0)
    base = sum(auto for auto, _, _ in cells.values())
    assert base == max_score == untouched_max
    assert score == max_score + extra
    assert sum(e or 0 for _, e, _ in untouched.values()) == 0
    assert grades(graded, "untouched")[0] == 0


def test_a_wrong_gru_earns_no_extra_credit_and_keeps_the_rest(graded):
    score, max_score, cells = grades(graded, "no_gru")
    assert cells[("Mini", "gru_step_forward_check")][1] == 0.0
    assert cells[("Package_Checks", "package_gru_step_forward")][1] == 0.0
    assert cells[("Package_Checks", "package_rnn_step_forward")][0] == hidden.POINTS
    assert max_score < score < max_score + WORTH + sum(hidden_extra(graded).values())
