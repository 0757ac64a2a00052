"""Comparing outputs: the error metric, its thresholds, and what a check is (Check) and what it
prints (Line)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from .calls import ContractError
from .cases import Case

# Thresholds on scaled_error. Outputs are compared in float64, so a correct implementation is
# within rounding error (~1e-15) of the reference; numerical gradients (centered differences with
# h = 1e-5) are within about 2e-9 of the true gradient on these inputs. Real bugs give errors
# above 1e-3.
TOL_REFERENCE = 1e-8
TOL_NUMERICAL = 1e-7
# Inputs at least this large (in absolute value) make a case test numerical stability: scores
# around 1e3, saturated gates.
LARGE_VALUE = 100.0


@dataclass(frozen=True)
class Line:
    """One comparison's outcome, printed as one line. For a comparison with a numerical gradient,
    gradient holds (name, analytic, numerical) for ``gradient_detail``."""
    check: str
    passed: bool
    text: str
    label: str = ""
    gradient: tuple | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f" [{self.label}]" if self.label else ""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.check}{where}: {self.text}"


@dataclass(frozen=True)
class Check:
    """What a check calls and how it judges the result.

    compute(case) returns the named outputs of the code under test (compared with case.expected);
    extras(case, outputs) yields further comparisons (numerical gradients, inputs left unmodified).
    provided: the check tests code students are given, not code they write (the student version
    passes it; it earns no points).
    """
    name: str
    fix: str
    compute: Callable[[Case], dict]
    extras: Callable[[Case, dict], Iterator[tuple[bool, str]]] | None = None
    compare: Callable[[Case, str, object, np.ndarray], tuple[bool, str]] | None = None
    after: tuple[str, ...] = ()
    unmodified: Callable[[Case], Iterator[tuple[bool, str]]] | None = None
    provided: bool = False


def scaled_error(x, y) -> float:
    """max|x - y| / max(1e-8, max|x| + max|y|): the largest difference relative to the size of the
    arrays. Unlike the notebooks' elementwise rel_error it does not blow up on entries close to zero
    (where rounding, or a numerical gradient's own error, is large next to the entry), so the checks
    use it; real bugs still give errors far above the thresholds."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    scale = max(1e-8, float(np.max(np.abs(x)) + np.max(np.abs(y))))
    return float(np.max(np.abs(x - y))) / scale


def as_array(name: str, value, expected_shape) -> np.ndarray:
    if value is None:
        raise ContractError(f"{name} is None, expected an array of shape {expected_shape}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ContractError(f"{name} is a {type(value).__name__}, expected an array of shape "
                            f"{expected_shape}") from None
    if array.shape != tuple(expected_shape):
        raise ContractError(f"{name} has shape {array.shape}, expected {tuple(expected_shape)}")
    return array


def compare(name: str, got, expected, against: str, tol: float) -> tuple[bool, str]:
    """(passed, text) for one array compared with an expected one."""
    try:
        got = as_array(name, got, np.shape(expected))
    except ContractError as e:
        return False, str(e)
    err = scaled_error(got, expected)
    passed = bool(err <= tol)  # NaN fails
    return passed, f"{name} vs {against}, error {err:.1e} (threshold {tol:.0e})"


def compare_numerical(name: str, got, numerical: np.ndarray) -> tuple[bool, str, tuple]:
    """(passed, text, (name, analytic, numerical)) for a gradient compared with a numerical one."""
    return (*compare(name, got, numerical, "numerical gradient", TOL_NUMERICAL),
            (name, got, numerical))


def compare_reference(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    return compare(name, got, expected, "reference output", TOL_REFERENCE)


def gradient_detail(line: Line, worst: int = 3) -> str:
    """What ``python -m cs231n.check --verbose`` shows under a line that compares a gradient with a
    numerical one: both gradients and the entries where they differ most ('' for other lines)."""
    if line.gradient is None:
        return ""
    name, analytic, numerical = line.gradient
    numerical = np.asarray(numerical, dtype=np.float64)
    show = lambda a: np.array2string(a, precision=4, threshold=24, edgeitems=2,  # noqa: E731
                                     max_line_width=96).replace("\n", "\n      ")
    out = [f"    numerical {name}, shape {numerical.shape}:", "      " + show(numerical)]
    try:
        analytic = np.asarray(analytic, dtype=np.float64)
    except (TypeError, ValueError):
        return "\n".join(out + [f"    analytic {name}: not an array"])
    out += [f"    analytic {name}, shape {analytic.shape}:", "      " + show(analytic)]
    if analytic.shape != numerical.shape or numerical.size == 0:
        return "\n".join(out)
    difference = np.abs(analytic - numerical)
    difference = np.where(np.isnan(difference), np.inf, difference)
    out.append(f"    largest differences (of {numerical.size} entries):")
    for flat in np.argsort(difference, axis=None, kind="stable")[::-1][:worst]:
        index = np.unravel_index(flat, numerical.shape)
        out.append(f"      {name}[{', '.join(str(int(i)) for i in index)}]: numerical "
                   f"{numerical[index]: .6e}, analytic {analytic[index]: .6e}, difference "
                   f"{difference[index]:.1e}")
    return "\n".join(out)

