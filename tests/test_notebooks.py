"""The assignment notebooks: committed clean, well-formed for nbgrader, self-contained check cells
with consistent points; with the reference package they run to the end and pass every test (both
normally and under `nbgrader validate`); the student release (solutions stripped, package stubbed)
runs to the end and passes no test (`nbgrader validate --invert`).

The executing tests report their run times (the time budgets are watched by
bench/bench_notebooks.py, not asserted here).
"""
from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.utils import determine_grade, has_failed, is_grade, is_solution, is_task
from nbgrader.validator import Validator
from traitlets.config import Config

from cs231n import checks
from kit.author.facts import BUDGETS
from kit.grade import extra_credit
from kit.paths import ASSIGNMENT
from kit.release import build as release
from tests.notebook_support import run_notebook

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "source" / ASSIGNMENT
NOTEBOOKS = ["RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "CharRNN_Language_Model.ipynb",
             "Gradient_Flow.ipynb"]
TOTAL_POINTS = {"RNN_Captioning.ipynb": 30, "LSTM_Captioning.ipynb": 30,
                "CharRNN_Language_Model.ipynb": 30, "Gradient_Flow.ipynb": 6}
STUDENT_ERRORS = {"NotImplementedError", "CheckFailed"}


def read(name: str, folder: Path = SOURCE):
    return nbformat.read(folder / name, as_version=4)


def grade_cells(nb):
    return [cell for cell in nb.cells if is_grade(cell)]


def graded_code_cells(nb):
    return [cell for cell in nb.cells if is_grade(cell) and cell.cell_type == "code"]


def checks_called(source: str) -> list[tuple[str, bool]]:
    """(check name, hidden) of every check(...) call of a test cell, asserting that the cell does
    nothing else than import check and call it with literal arguments."""
    calls = []
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.ImportFrom):
            assert statement.module == "cs231n.checks"
            assert [a.name for a in statement.names] == ["check"]
            continue
        assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), source
        call = statement.value
        assert isinstance(call.func, ast.Name) and call.func.id == "check", source
        (name,) = [ast.literal_eval(arg) for arg in call.args]
        keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        assert set(keywords) <= {"hidden"}, source
        calls.append((name, keywords.get("hidden", False)))
    return calls


# --- the committed notebooks ----------------------------------------------------------------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_valid(name):
    nb = read(name)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
        assert "execution" not in cell.metadata
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
           if "nbgrader" in cell.metadata]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_setup_cell_reloads_the_package(name):
    setup = next(cell for cell in read(name).cells if cell.cell_type == "code")
    assert "%load_ext autoreload" in setup.source and "%autoreload 2" in setup.source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_test_cells_are_self_contained_and_run_one_check_visible_then_hidden(name):
    for cell in graded_code_cells(read(name)):
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] and not meta["solution"]
        # an extra-credit cell has 0 points and its worth as extra credit (kit.grade.extra_credit)
        assert (meta["points"] > 0) != (extra_credit.worth(cell) > 0)
        visible, hidden = cell.source.split("### BEGIN HIDDEN TESTS")
        assert hidden.rstrip().endswith("### END HIDDEN TESTS")
        (check_name, is_hidden), = checks_called(visible)
        assert not is_hidden and check_name in checks.CHECKS
        assert checks_called(hidden) == [(check_name, True)]
        assert meta["grade_id"] == f"check_{check_name}"


def test_every_check_is_graded_once_except_the_provided_layers():
    graded = [checks_called(cell.source)[0][0] for name in NOTEBOOKS
              for cell in graded_code_cells(read(name))]
    assert sorted(graded) == sorted(set(checks.CHECKS) - checks.PROVIDED)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_points_are_written_next_to_each_task_and_add_up(name):
    nb = read(name)
    table = dict(re.findall(r"^\| `?([\w ]+?)`?(?: \(graded by hand\)| \(extra credit\))? "
                            r"\| (\d+) \|$", nb.cells[0].source, flags=re.MULTILINE))
    total = 0
    for cell in grade_cells(nb):
        meta = cell.metadata["nbgrader"]
        total += meta["points"]
        if cell.cell_type == "code":
            check_name = meta["grade_id"].removeprefix("check_")
            extra = extra_credit.worth(cell)
            assert int(table[check_name]) == (extra or meta["points"])
            assert (check_name in checks.EXTRA_CREDIT) == (extra > 0)
            first_line = cell.source.splitlines()[0]
            assert (f"(extra credit, {extra:g} point" in first_line if extra
                    else f"({meta['points']} point" in first_line)
        else:
            number = re.match(r"inline_question_(\d+)_answer", meta["grade_id"]).group(1)
            assert int(table[f"inline question {number}"]) == meta["points"]
    assert re.search(rf"\| \*\*total\*\* \| \*\*{total}\*\* \|", nb.cells[0].source)
    assert total == TOTAL_POINTS[name]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_inline_questions_have_a_mark_scheme_and_a_hand_graded_answer(name):
    cells = read(name).cells
    questions = [i for i, cell in enumerate(cells) if is_task(cell)]
    assert questions
    for i in questions:
        assert "=== BEGIN MARK SCHEME ===" in cells[i].source
        assert "=== END MARK SCHEME ===" in cells[i].source
        answer = cells[i + 1]
        assert answer.cell_type == "markdown" and is_solution(answer) and is_grade(answer)
        question_id = cells[i].metadata["nbgrader"]["grade_id"]
        assert answer.metadata["nbgrader"]["grade_id"] == question_id + "_answer"


CLASSIC_LAYOUTS = [ROOT / "tests" / "classic_solution_2017" / "rnn_layers.py",
                   ROOT / "tests" / "classic_solution_2021" / "rnn_layers.py"]


def code_of(nb) -> ast.Module:
    """The notebook's code cells as one module (IPython's %magics and !commands left out)."""
    lines = [line for cell in nb.cells if cell.cell_type == "code"
             for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def defined_at_top(path: Path) -> set[str]:
    """The names a module defines or imports at its top level."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("name", ["RNN_Captioning.ipynb", "LSTM_Captioning.ipynb"])
@pytest.mark.parametrize("layout", CLASSIC_LAYOUTS, ids=lambda path: path.parent.name)
def test_the_captioning_notebooks_use_only_what_every_layout_s_rnn_layers_has(name, layout):
    """The notebooks star-import cs231n.rnn_layers, the student's file: a name they use from it
    must be in it in every year's layout (affine_forward, say, is in layers.py before 2021)."""
    import cs231n.rnn_layers as kit_layers
    tree = code_of(read(name))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    from_layers = {n for n in used if not n.startswith("_") and callable(getattr(kit_layers, n, None))
                   and getattr(kit_layers, n).__module__.startswith("cs231n")}
    missing = sorted(from_layers - defined_at_top(layout))
    assert not missing, f"{name} uses {missing}, which {layout.parent.name}/rnn_layers.py lacks"


# --- executing them ------------------------------------------------------------------------------

def report(request, text: str) -> None:
    """Show a measurement at the end of pytest's output (tests/conftest.py)."""
    request.node.user_properties.append(("measured", text))


@pytest.fixture(scope="module")
def built(tmp_path_factory, builtin_dataset):
    """The course (source with the reference package) and its student release, both able to load
    the built-in dataset: (source folder, release folder)."""
    course_dir = tmp_path_factory.mktemp("course")
    released = release.prepare_course(course_dir)
    source = course_dir / "source" / ASSIGNMENT
    for folder in (source, released):
        link = folder / "datasets" / "builtin_captioning"
        link.symlink_to(builtin_dataset, target_is_directory=True)
    return source, released


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" if o.output_type == "error" else f"stderr: {o.text}"
            for o in cell.get("outputs", [])
            if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]


def validate(path: Path, invert: bool) -> tuple[dict, float]:
    config = Config()
    config.Execute.timeout = 120
    start = time.perf_counter()
    result = Validator(invert=invert, config=config).validate(str(path))
    return result, time.perf_counter() - start


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_runs_in_full_and_earns_every_point(request, built, name):
    nb, seconds = run_notebook(built[0] / name, grading=False)
    report(request, f"{name} with the reference solution: {seconds:.1f} s "
                    f"(budget {BUDGETS[Path(name).stem][0]} s)")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert errors(cell) == [], cell.source[:80]
    for cell in grade_cells(nb):
        score, points = determine_grade(cell)
        assert score is None or score == points, cell.source[:80]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_passes_nbgrader_validate(request, built, name):
    result, seconds = validate(built[0] / name, invert=False)
    report(request, f"{name}, nbgrader validate (NBGRADER_EXECUTION set): {seconds:.1f} s "
                    f"(budget {BUDGETS[Path(name).stem][1]} s)")
    assert result == {}, result


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_version_passes_no_test(request, built, name):
    result, seconds = validate(built[1] / name, invert=True)
    report(request, f"{name}, student version, nbgrader validate --invert: {seconds:.1f} s")
    # nbgrader counts a 0-point (extra-credit) test cell as passed whatever it printed: that it
    # fails is asserted by test_student_version_runs_to_the_end instead.
    extra = {cell.source.strip() for cell in read(name, built[1]).cells
             if extra_credit.worth(cell)}
    passed = [cell for cell in result.get("passed", []) if cell["source"] not in extra]
    assert set(result) <= {"passed"} and passed == [], result


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_version_runs_to_the_end(request, built, name):
    nb, seconds = run_notebook(built[1] / name, grading=True)
    report(request, f"{name}, student version, graded run: {seconds:.1f} s")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            kinds = {error.split(":")[0] for error in errors(cell)}
            assert kinds <= STUDENT_ERRORS, (cell.source[:80], errors(cell))
    for cell in graded_code_cells(nb):
        assert determine_grade(cell)[0] == 0, cell.source
        assert has_failed(cell), cell.source   # extra-credit cells (0 points) too


@pytest.mark.slow
def test_release_strips_hidden_tests_mark_schemes_and_model_answers(built):
    for name in NOTEBOOKS:
        text = (built[1] / name).read_text()
        for marker in ("HIDDEN TESTS", "MARK SCHEME", "hidden=True", "BEGIN SOLUTION"):
            assert marker not in text, (name, marker)
        nb = read(name, built[1])
        for cell in nb.cells:
            if is_grade(cell) and cell.cell_type == "markdown":
                assert cell.source == "YOUR ANSWER HERE"
