"""Running checks: the cases of a check, one Line per comparison, and the message that says what to
fix when one fails."""
from __future__ import annotations

import contextlib
import fnmatch
import sys
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from .calls import ContractError
from .cases import HOW_TO_REBUILD, WITHHELD, Case, ReferenceOutputsError, load_cases
from .comparisons import Line, compare_reference
from .registry import CHECKS


class CheckFailed(AssertionError):
    """At least one comparison of a check failed (the FAIL lines say which and by how much)."""


def known(name: str) -> str:
    if name not in CHECKS:
        raise ValueError(f"Unknown check {name!r}. The checks are: {', '.join(CHECKS)}.")
    return name


def load_case(name: str, index: int = 0, path: Path | str | None = None):
    """(inputs, expected) of the index-th visible case of a check, as dicts of arrays: to reproduce
    a check by hand, call the function on inputs.values() and compare with expected."""
    cases = [c for c in load_cases(path) if c.check == known(name) and not c.hidden]
    if not 0 <= index < len(cases):
        raise IndexError(f"{name} has {len(cases)} visible case(s); index {index} is out of range")
    case = cases[index]
    inputs = {k: v.copy() for k, v in case.inputs.items()}
    return inputs, {k: v.copy() for k, v in case.expected.items()}


@contextlib.contextmanager
def isolated():
    """Run code under test without touching the caller's global np.random state and without
    writing to stderr (warnings are silenced; a NaN or overflow shows up as a failed comparison)."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stderr(sys.stdout):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


def compare_output(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    """Compare the output `name` computed on a case with its reference output, as the case's check
    does (scaled error within TOL_REFERENCE; sampled captions word for word up to <END>). Returns
    (passed, the text of its PASS/FAIL line)."""
    compare = CHECKS[case.check].compare or compare_reference
    return compare(case, name, got, expected)


def run_case(case: Case) -> Iterator[Line]:
    spec = CHECKS[case.check]

    def line(passed, text, gradient=None):
        return Line(spec.name, bool(passed), text, case.label, gradient)
    try:
        got = spec.compute(case)
    except ContractError as e:
        yield line(False, str(e))
        return
    for name, expected in case.expected.items():
        yield line(*compare_output(case, name, got.get(name), expected))
    for name in case.options.get(WITHHELD, ()):
        if got.get(name) is None:
            yield line(False, f"{spec.name} returned no {name}")
        else:
            yield line(True, f"{name} computed; the grader compares it with the reference output "
                             "outside this notebook (Package_Checks)")
    if spec.extras is not None:
        try:
            for comparison in spec.extras(case, got):
                yield line(*comparison)
        except ContractError as e:
            yield line(False, str(e))


def run_cases(cases: list[Case]) -> list[Line]:
    """The lines of a list of cases, run with the package as it is now."""
    lines = []
    with isolated():
        for case in cases:
            lines.extend(run_case(case))
    return lines


def outputs(case: Case) -> dict[str, np.ndarray]:
    """The outputs the package as it is now computes on a case (with the reference package: the
    expected outputs stored in the reference file). Errors propagate."""
    with isolated():
        got = CHECKS[known(case.check)].compute(case)
    return {name: np.asarray(value) for name, value in got.items()}


def upstream_changes(case: Case) -> list[str]:
    """For a case with option ``check_upstream``: the FAIL texts of the upstream gradients its
    backward function modified in place (empty when none was, or the case does not ask)."""
    spec = CHECKS[known(case.check)]
    if not case.options.get("check_upstream") or spec.unmodified is None:
        return []
    with isolated():
        return [text for same, text in spec.unmodified(case) if not same]


def run(name: str, hidden: bool = False, path: Path | str | None = None) -> list[Line]:
    """The lines of one check: its visible cases, or its hidden ones when hidden is True."""
    cases = [c for c in load_cases(path) if c.check == known(name) and c.hidden == hidden]
    if not cases and not hidden:
        raise ReferenceOutputsError(f"The reference outputs have no case for {name}. "
                                    f"{HOW_TO_REBUILD}")
    return run_cases(cases)


def has_cases(name: str, path: Path | str | None = None) -> bool:
    """Whether the reference outputs hold visible cases of a check (a course that leaves a
    notebook out leaves its checks without cases)."""
    return any(c.check == known(name) and not c.hidden for c in load_cases(path))


def failure_message(name: str, lines: list[Line]) -> str:
    """What to do about a failed check."""
    spec = CHECKS[name]
    failed = sum(not line.passed for line in lines)
    message = f"{name} failed ({failed} of {len(lines)} lines FAIL). Fix {spec.fix}."
    if len(spec.after) == 1:
        message += f" It builds on {spec.after[0]}: make sure its check passes first."
    elif spec.after:
        message += f" It builds on {', '.join(spec.after)}: make sure their checks pass first."
    return message


def check(name: str, hidden: bool = False) -> None:
    """Run a check, print one PASS/FAIL line per comparison, raise CheckFailed if any failed."""
    lines = run(name, hidden)
    for line in lines:
        print(line)
    if not all(line.passed for line in lines):
        raise CheckFailed(failure_message(name, lines))


def select(patterns: list[str]) -> list[str]:
    """Check names matching names or shell-style patterns (``lstm_*``), in notebook order."""
    chosen = set()
    for pattern in patterns:
        matches = fnmatch.filter(CHECKS, pattern)
        if not matches:
            raise ValueError(f"No check matches {pattern!r}. The checks are: {', '.join(CHECKS)}.")
        chosen.update(matches)
    return [name for name in CHECKS if name in chosen]

