"""Checks of your code against the reference outputs and numerical gradients.

Each check is named after what it tests (``rnn_step_forward``, ``captioning_lstm_loss``, ...) and
prints one line per comparison, for example::

    PASS  rnn_step_forward: next_h vs reference output, error 2.2e-16 (threshold 1e-08)
    FAIL  rnn_step_backward: dWh vs numerical gradient, error 4.1e-01 (threshold 1e-07)

A check whose lines are not all PASS raises ``CheckFailed`` (an AssertionError) naming the function
to fix. In a notebook: ``check("rnn_step_forward")``; from a terminal, in the assignment folder:
``python -m cs231n.check rnn_step_forward`` (see ``python -m cs231n.check --help``).

The error is ``max|x - y| / max(1e-8, max|x| + max|y|)`` (``scaled_error``): the largest
difference relative to the size of the arrays.

The inputs of every check, and the reference solution's outputs on them, are stored in
``cs231n/reference_outputs.npz``. Your course's staff generate that file from their solution: do not
edit it. To reproduce a check by hand::

    inputs, expected = load_case("rnn_step_forward")
    next_h, _ = rnn_step_forward(*inputs.values())

The file's format is described in cs231n/checking/cases.py; how checks are built and run, in the
modules of cs231n/checking/.
"""

from .checking.calls import import_error, module_of
from .checking.cases import (FORMAT, PACKAGE_DIR, REFERENCE_FILE, WITHHELD, Case,
                             ReferenceOutputsError, load_cases, pack_cases,
                             withhold_hidden_outputs)
from .checking.comparisons import (LARGE_VALUE, TOL_NUMERICAL, TOL_REFERENCE, Check, Line,
                                   gradient_detail, scaled_error)
from .checking.model_checks import PARAM_NAMES
from .checking.registry import CHECKS, EXTRA_CREDIT, PROVIDED
from .checking.runner import (CheckFailed, check, compare_output, failure_message, has_cases,
                              load_case, outputs, run, run_cases, select, upstream_changes)

# Points each check earns in the grader's re-run of the package (the Package_Checks notebook),
# on top of the points of its notebook test cell.
PACKAGE_CHECK_POINTS = 1

__all__ = ["CHECKS", "EXTRA_CREDIT", "FORMAT", "LARGE_VALUE", "PACKAGE_CHECK_POINTS", "PACKAGE_DIR",
           "PARAM_NAMES", "PROVIDED", "REFERENCE_FILE", "TOL_NUMERICAL", "TOL_REFERENCE", "Case",
           "Check", "CheckFailed", "Line", "ReferenceOutputsError", "check", "compare_output",
           "failure_message", "gradient_detail", "has_cases", "import_error", "load_case",
           "load_cases", "module_of", "outputs", "pack_cases", "run", "run_cases",
           "WITHHELD", "withhold_hidden_outputs",
           "scaled_error", "select", "upstream_changes"]
