"""`python -m cs231n.check NAME --verbose`: under each comparison with a numerical gradient, the
numerical and the analytic gradient and the entries where they differ most, so a failing student
sees where their backward pass goes wrong."""
from __future__ import annotations

import re

import numpy as np
import pytest

from cs231n import check as checker
from cs231n import checks
from cs231n.checking import cases
from kit.author.reference_outputs import write_reference_outputs


@pytest.fixture(scope="module")
def reference_file(tmp_path_factory):
    (path,) = write_reference_outputs(tmp_path_factory.mktemp("reference"))
    return path


@pytest.fixture
def one_wrong_entry(monkeypatch, reference_file):
    """rnn_step_backward with dWh wrong in one entry, (1, 2)."""
    monkeypatch.setattr(cases, "REFERENCE_FILE", reference_file)
    import cs231n.rnn_layers as layers
    correct = layers.rnn_step_backward

    def wrong(dnext_h, cache):
        dx, dprev_h, dWx, dWh, db = correct(dnext_h, cache)
        dWh = dWh.copy()
        dWh[1, 2] += 0.5
        return dx, dprev_h, dWx, dWh, db

    monkeypatch.setattr(layers, "rnn_step_backward", wrong)


def test_verbose_shows_both_gradients_and_points_at_the_wrong_entry(one_wrong_entry, capsys):
    assert checker.main(["rnn_step_backward", "--verbose"]) == 1
    out = capsys.readouterr().out
    block = out.split("FAIL  rnn_step_backward: dWh vs numerical gradient")[1].split("\nPASS")[0]
    assert "numerical dWh, shape (6, 6):" in block and "analytic dWh, shape (6, 6):" in block
    worst = re.findall(r"^      dWh\[(\d+), (\d+)\]: numerical +(\S+), analytic +(\S+), "
                       r"difference (\S+)$", block, flags=re.MULTILINE)
    assert len(worst) == 3
    row, col, numerical, analytic, difference = worst[0]
    assert (row, col) == ("1", "2")
    assert float(analytic) - float(numerical) == pytest.approx(0.5, abs=1e-5)
    assert float(difference) == pytest.approx(0.5, rel=0.1)
    assert all(float(d) < 1e-6 for *_, d in worst[1:])
    # every numerical-gradient line gets its detail, reference-output lines none
    assert out.count("    numerical ") == out.count("vs numerical gradient") == 5


def test_without_verbose_no_detail(one_wrong_entry, capsys):
    assert checker.main(["rnn_step_backward"]) == 1
    assert "numerical dWh" not in capsys.readouterr().out


def test_detail_of_a_gradient_with_the_wrong_shape_still_shows_the_numerical_one():
    line = checks.Line("x", False, "dW has shape (2,), expected (3,)",
                       gradient=("dW", np.zeros(2), np.arange(3.0)))
    text = checks.gradient_detail(line)
    assert "numerical dW, shape (3,):" in text and "analytic dW, shape (2,):" in text
    assert "largest differences" not in text
    assert checks.gradient_detail(checks.Line("x", True, "out vs reference output")) == ""
