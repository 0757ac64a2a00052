"""The programs of the hidden-check notebook (kit/author/package_checks/): the student's package runs
in a process of its own on the cases' inputs only, a crash or a hang costs only the checks it
stops, and the kernel compares what came back with the expected outputs."""
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from cs231n import checks
from kit.author import check_cases
from kit.author.package_checks import package_checks as pc

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ("word_embedding_forward", "rnn_step_forward")


@pytest.fixture(scope="module")
def cases():
    """Visible and hidden cases of two checks, their expected outputs from the reference."""
    chosen = [case for case in check_cases.all_cases() if case.check in CHECKS]
    chosen.sort(key=lambda case: CHECKS.index(case.check))
    for case in chosen:
        case.expected = checks.outputs(case)
    return chosen


def package(tmp_path: Path, code: str = "") -> Path:
    """A copy of the reference package; code, if any, goes at the top of rnn_step_forward."""
    folder = tmp_path / "cs231n"
    shutil.copytree(ROOT / "cs231n", folder, ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    if code:
        layers = folder / "rnn_layers.py"
        text = layers.read_text()
        header = text.index("def rnn_step_forward(")
        body = text.index('    """', text.index('"""', header) + 3) + len('    """\n')
        layers.write_text(text[:body] + code + text[body:])
    return folder


def test_the_reference_gets_every_output_back(tmp_path, cases):
    results, stopped = pc.run_student(cases, package(tmp_path))
    assert stopped is None
    assert sorted(results) == sorted(CHECKS)
    for index, case in enumerate(cases):
        outputs, errors = results[case.check]
        assert index not in errors
        for name, expected in case.expected.items():
            assert checks.compare_output(case, name, outputs[index][name], expected)[0]


def test_an_error_costs_only_its_cases(tmp_path, cases):
    results, stopped = pc.run_student(cases, package(tmp_path, "    raise ValueError('boom')\n"))
    assert stopped is None
    outputs, errors = results["rnn_step_forward"]
    rnn = [i for i, case in enumerate(cases) if case.check == "rnn_step_forward"]
    assert sorted(errors) == rnn and outputs == {}
    assert all("raised ValueError" in errors[i] and "boom" in errors[i] for i in rnn)
    assert results["word_embedding_forward"][1] == {}


LOOKS_UP = {  # code that returns the expected output where it finds it
    "in the package": "    from cs231n import checks\n"
                      "    return checks.load_case('rnn_step_forward')[1]['next_h'], None\n",
    "in the runner's inputs": "    import sys\n    from cs231n import checks\n"
                              "    for c in checks.load_cases(sys.argv[1]):\n"
                              "        if c.expected:\n"
                              "            return c.expected['next_h'], None\n"
                              "    raise RuntimeError('no expected outputs')\n",
}


@pytest.mark.parametrize("where", LOOKS_UP)
def test_the_student_process_never_sees_the_expected_outputs(tmp_path, cases, where):
    results, _ = pc.run_student(cases, package(tmp_path, LOOKS_UP[where]))
    outputs, errors = results["rnn_step_forward"]
    assert outputs == {} and errors
    assert all("ReferenceOutputsError" in text or "no expected outputs" in text
               for text in errors.values())


def test_a_crash_keeps_the_checks_done_before_it(tmp_path, cases):
    results, stopped = pc.run_student(cases, package(tmp_path, "    import os; os._exit(3)\n"))
    assert stopped.startswith(pc.CHECK_DIED_TEXT) and "exit code 3" in stopped
    assert list(results) == ["word_embedding_forward"]


def test_a_hang_is_stopped_at_the_time_limit(tmp_path, cases):
    results, stopped = pc.run_student(cases, package(tmp_path, "    while True: pass\n"), seconds=3)
    assert stopped == f"{pc.CHECK_TIMEOUT_TEXT} 3 s"
    assert "rnn_step_forward" not in results


def write_reference(folder: Path, cases) -> str:
    path = folder / "cs231n" / "reference_outputs.npz"
    np.savez(path, **checks.pack_cases(cases))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_kernel_passes_the_reference_and_fails_a_bug(tmp_path, cases, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    package(tmp_path, "    next_h = 0 * prev_h\n    return next_h, None\n")
    digest = write_reference(tmp_path, cases)
    run = pc.PackageChecks("cs231n/reference_outputs.npz", digest)
    run.check("word_embedding_forward")
    assert "PASS  word_embedding_forward" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="rnn_step_forward failed"):
        run.check("rnn_step_forward")
    out = capsys.readouterr().out
    assert "FAIL  rnn_step_forward" in out and "PASS  rnn_step_forward" not in out
    _, visible, hidden = run.lines("rnn_step_forward")
    assert visible is False and hidden is False             # both kinds of cases failed


def test_the_kernel_tells_hidden_cases_apart_from_visible_ones(tmp_path, cases, monkeypatch):
    """Code right on the visible inputs only (the answers looked up, say) passes the visible cases
    and fails the hidden ones: the cross-check withdraws the notebook's hidden-case cells."""
    monkeypatch.chdir(tmp_path)
    visible = [c for c in cases if c.check == "rnn_step_forward" and not c.hidden]
    lookup = "".join(f"    if x.shape == {c.inputs['x'].shape} and np.isclose(x.flat[0], "
                     f"{float(c.inputs['x'].flat[0])!r}):\n        return np.array("
                     f"{c.expected['next_h'].tolist()!r}), None\n" for c in visible)
    package(tmp_path, lookup + "    return np.zeros((x.shape[0], Wh.shape[0])), None\n")
    digest = write_reference(tmp_path, cases)
    run = pc.PackageChecks("cs231n/reference_outputs.npz", digest)
    assert run.lines("rnn_step_forward")[1:] == (True, False)
    assert run.lines("word_embedding_forward")[1:] == (True, True)


def test_the_kernel_refuses_changed_reference_outputs(tmp_path, cases, monkeypatch):
    monkeypatch.chdir(tmp_path)
    package(tmp_path)
    digest = write_reference(tmp_path, cases)
    write_reference(tmp_path, cases[:1])                    # changed after the course was built
    with pytest.raises(AssertionError, match="missing or was changed while grading"):
        pc.PackageChecks("cs231n/reference_outputs.npz", digest).check("rnn_step_forward")


def test_the_cross_check_withdraws_the_cells_of_the_cases_the_rerun_failed():
    """A notebook cell that checks visible cases is judged by the re-run's visible cases, one with
    hidden=True by its hidden cases; an undecided re-run (None) withdraws nothing."""
    import nbformat

    from kit.grade import crosscheck

    def test_cell(grade_id, source):
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": grade_id, "points": 1}})

    hidden_nb = nbformat.v4.new_notebook()
    for name, visible, hidden in (("rnn_step_forward", True, False),
                                  ("word_embedding_forward", False, None)):
        cell = nbformat.v4.new_code_cell(f'package_check("{name}")')
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            pc.RESULT_MIME: {"check": name, "visible": visible, "hidden": hidden}})]
        hidden_nb.cells.append(cell)
    nb = nbformat.v4.new_notebook()
    nb.cells = [test_cell("step", 'check("rnn_step_forward")'),
                test_cell("step_hidden", 'check("rnn_step_forward", hidden=True)'),
                test_cell("embed", 'check("word_embedding_forward")'),
                test_cell("embed_hidden", 'check("word_embedding_forward", hidden=True)')]
    results = crosscheck.rerun_results(hidden_nb)
    assert crosscheck.contradicted_cells(nb, results) == [
        ("step_hidden", ["rnn_step_forward"]), ("embed", ["word_embedding_forward"])]
    # where the notebooks' kernels did not see the hidden expected outputs, only a re-run that
    # passed the hidden cases leaves a hidden-case cell its points
    assert crosscheck.contradicted_cells(nb, results, {"word_embedding_forward"}) == [
        ("step_hidden", ["rnn_step_forward"]), ("embed", ["word_embedding_forward"]),
        ("embed_hidden", ["word_embedding_forward"])]
    assert crosscheck.contradicted_cells(nb, {}, {"rnn_step_forward"}) == [
        ("step_hidden", ["rnn_step_forward"])]


def test_a_hidden_case_without_its_expected_outputs_is_computed_not_compared(cases, monkeypatch,
                                                                            tmp_path):
    """In the notebooks' kernels at grading, a hidden case has no expected outputs: the check
    runs the code on it, says the grader compares the outputs, and fails only when the code
    fails (raises, returns nothing) or a comparison that needs no reference output fails."""
    from cs231n.checking import cases as case_file

    withheld = checks.withhold_hidden_outputs(cases)
    assert all(not c.expected and c.options[checks.WITHHELD] for c in withheld if c.hidden)
    assert [c.expected for c in withheld if not c.hidden] == \
        [c.expected for c in cases if not c.hidden]
    path = tmp_path / "withheld.npz"
    np.savez(path, **checks.pack_cases(withheld))
    monkeypatch.setattr(case_file, "REFERENCE_FILE", path)
    lines = checks.run("rnn_step_forward", hidden=True)
    assert lines and all(line.passed for line in lines), lines
    assert all("compares it with the reference output outside this notebook" in line.text
               for line in lines)
    with monkeypatch.context() as patched:
        patched.setattr("cs231n.rnn_layers.rnn_step_forward", lambda *args: (None, None))
        assert not any(line.passed for line in checks.run("rnn_step_forward", hidden=True))
