"""The no-surprise rule: each kind of input a hidden case of a check tests (an upstream gradient that
must stay unmodified, large scores, a fully masked row, ...) is tested by a visible case of the same
check too, and the check's notebook section asks for it. The rule holds for the kit's cases and
the test catches a hidden-only property planted into them."""
import copy
from pathlib import Path

import pytest

from cs231n import checks
from kit.author import check_cases, surprises
from kit.author.surprises import LARGE, MASKED_ROW, UPSTREAM

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "assignments" / "source" / "rnn_captioning").glob("*.ipynb"))


@pytest.fixture(scope="module")
def cases():
    return check_cases.all_cases()


@pytest.fixture(scope="module")
def expected(cases):
    """The reference package's outputs on every case (to see, e.g., where captions end)."""
    table = {id(case): checks.outputs(case) for case in cases}
    return lambda case: table[id(case)] if id(case) in table else checks.outputs(case)


def test_every_hidden_kind_of_input_has_a_visible_case(cases, expected):
    assert surprises.surprises(cases, expected) == []


def test_the_kinds_are_read_from_the_cases(cases, expected):
    hidden = surprises.kinds_by_check(cases, True, expected)
    assert UPSTREAM in hidden["lstm_step_backward"]
    assert {LARGE, MASKED_ROW} <= hidden["temporal_softmax_loss"]
    assert surprises.ENDS_EARLY in hidden["captioning_rnn_sample"]
    assert hidden["rnn_step_forward"] == set()        # other sizes and values only


def test_a_planted_hidden_only_property_is_caught(cases, expected):
    planted = copy.deepcopy(cases)
    for case in planted:                              # the visible in-place check removed
        if case.check == "lstm_step_backward" and not case.hidden:
            case.options.pop("check_upstream")
    big = next(c for c in planted if c.check == "rnn_forward" and c.hidden)
    big.inputs = {k: 1000.0 * v for k, v in big.inputs.items()}   # huge inputs, hidden only
    found = surprises.surprises(planted, lambda case: checks.outputs(case))
    assert sorted(found) == [f"lstm_step_backward: hidden cases test {UPSTREAM!r}, no visible case does",
                     f"rnn_forward: hidden cases test {LARGE!r}, no visible case does"], found


def test_the_notebooks_ask_for_every_kind_their_checks_test(cases, expected):
    assert NOTEBOOKS
    sections = {}
    for notebook in NOTEBOOKS:
        sections.update(surprises.sections(notebook))
    graded = {c.check for c in cases} - {"temporal_affine_forward", "temporal_affine_backward"}
    assert graded <= set(sections), graded - set(sections)
    assert surprises.untaught(cases, NOTEBOOKS, expected) == []


def test_a_notebook_that_does_not_ask_for_a_tested_kind_is_caught(cases, expected, tmp_path):
    lstm = next(p for p in NOTEBOOKS if p.name.startswith("LSTM"))
    text = lstm.read_text(encoding="utf-8")
    assert "in place" in text
    stripped = tmp_path / lstm.name
    stripped.write_text(text.replace("in place", "elsewhere"), encoding="utf-8")
    found = surprises.untaught(cases, [stripped], expected)
    assert any("section of lstm_step_backward" in line and UPSTREAM in line for line in found), found
