"""The failure line of a graded cell (kit/report/checks.py); the whole report on a graded class is
checked in tests/test_browser.py after grading."""
import nbformat
from nbformat.v4 import new_code_cell, new_output

from kit.report import checks as check_report
from kit.report.checks import CheckSummary


def cell(*outputs):
    return nbformat.from_dict(new_code_cell("check('x')", outputs=list(outputs)))


def test_the_first_fail_line_without_its_error_value():
    printed = new_output("stream", name="stdout", text=(
        "PASS  rnn_backward: dx vs reference output, error 1.0e-16 (threshold 1e-08)\n"
        "FAIL  rnn_backward: dWh vs numerical gradient, error 4.1e-01 (threshold 1e-07)\n"
        "FAIL  rnn_backward: db vs numerical gradient, error 3.0e-01 (threshold 1e-07)\n"))
    error = new_output("error", ename="CheckFailed", evalue="rnn_backward failed", traceback=[])
    assert check_report.failure_line(cell(printed, error)) == \
        "FAIL  rnn_backward: dWh vs numerical gradient"


def test_without_fail_line_the_error_then_stderr_then_no_output():
    error = new_output("error", ename="TimeoutError", evalue="cell timed out\nmore", traceback=[])
    warning = new_output("stream", name="stderr", text="\nRuntimeWarning: overflow\n")
    assert check_report.failure_line(cell(warning, error)) == "TimeoutError: cell timed out"
    assert check_report.failure_line(cell(warning)) == "RuntimeWarning: overflow"
    assert check_report.failure_line(cell()) == check_report.NO_OUTPUT


def test_commonest_failure_prefers_code_that_was_written():
    summary = CheckSummary("RNN_Captioning", "check_rnn_forward", 2, 5, {
        "a": "FAIL  rnn_forward: rnn_forward raised NotImplementedError at x.py:9",
        "b": "FAIL  rnn_forward: rnn_forward raised NotImplementedError at x.py:9",
        "c": "FAIL  rnn_forward: h vs reference output"})
    assert summary.commonest() == ("FAIL  rnn_forward: h vs reference output", 1)
    assert (summary.failed, summary.unwritten, round(summary.share, 2)) == (3, 2, 0.6)
    everyone_unwritten = CheckSummary("n", "c", 1, 2, {"a": summary.failures["a"]})
    assert everyone_unwritten.commonest() == (summary.failures["a"], 1)


def test_checks_come_in_the_order_of_what_to_reteach():
    """A check failed by many only because a check it builds on failed comes after the checks
    where students made their own mistakes; mistakes_here counts those students."""
    wrong = "FAIL  {}: out vs reference output"
    unwritten = "FAIL  {}: {} raised NotImplementedError at x.py:9"
    loss = CheckSummary("RNN_Captioning", "check_temporal_softmax_loss", 2, 4, {
        "bug": wrong.format("temporal_softmax_loss"),
        "stub": unwritten.format("temporal_softmax_loss", "temporal_softmax_loss")})
    model = CheckSummary("RNN_Captioning", "check_captioning_rnn_loss", 2, 4, {
        "bug": wrong.format("captioning_rnn_loss"),
        "stub": unwritten.format("captioning_rnn_loss", "rnn_forward"),
        "other": wrong.format("captioning_rnn_loss")})
    forward = CheckSummary("RNN_Captioning", "check_rnn_forward", 2, 4, {
        "other": wrong.format("rnn_forward"),
        "stub": unwritten.format("rnn_forward", "rnn_forward")})
    step = CheckSummary("RNN_Captioning", "check_rnn_step_forward", 2, 4, {
        "stub": unwritten.format("rnn_step_forward", "rnn_step_forward")})
    order = check_report.reteach_order([model, step, forward, loss])
    assert [(s.mistakes_here, s.after_prerequisite) for s in (loss, model, forward, step)] == \
        [(1, 0), (0, 3), (1, 1), (0, 0)]
    # the commonest failure is that of the students who made their mistake there
    assert forward.commonest() == (wrong.format("rnn_forward"), 1)
    assert order[:2] == [forward, loss] or order[:2] == [loss, forward]
    rows = [dict(zip(check_report.HEADER, s.row())) for s in order]
    top = check_report.format_top(rows, count=2)
    assert "failed rnn_forward" in top and "failed temporal_softmax_loss" in top, top
    assert "captioning_rnn_loss" not in top, top
