"""The no-surprise rule: what grading can fail a student on, their own checks show first.

Every case of a check (``kit.check_cases``) can fail on some *kinds* of input, read from the case
itself: an upstream gradient that must stay unmodified, inputs large enough to overflow, a fully
masked row, captions that end at different steps, a word used twice or not at all. Sizes and
values alone are not a kind: hidden cases are free to change them. The rule, checked by
tests/test_no_surprise.py:

- each kind a hidden case of a check has, some visible case of that check has too (so a student's
  own run fails, with its message, before grading does);
- the notebook section of that check asks for it in its task text (``TAUGHT``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import numpy as np

from cs231n.checks import LARGE_VALUE, Case

UPSTREAM = "upstream gradient left unmodified"
LARGE = "large inputs (overflow, saturation)"
MASKED_ROW = "a fully masked row"
ENDS_EARLY = "captions that end at different steps"
REPEATED_WORD = "a word used more than once"
UNUSED_WORD = "a word not used at all"

# What the task text of a check's notebook section must say for each kind (a regular expression,
# case-insensitive).
TAUGHT = {
    UPSTREAM: r"in place",
    LARGE: r"large (scores|inputs)",
    MASKED_ROW: r"mask",
    ENDS_EARLY: r"<END>",
    REPEATED_WORD: r"appears twice|repeated",
    UNUSED_WORD: r"never appears",
}


def _large(case: Case, expected: dict) -> bool:
    return any(np.issubdtype(v.dtype, np.floating) and v.size and
               float(np.max(np.abs(v))) >= LARGE_VALUE for v in case.inputs.values())


def _masked_row(case: Case, expected: dict) -> bool:
    if "mask" in case.inputs:
        return bool((~case.inputs["mask"].astype(bool)).all(axis=1).any())
    if "captions" in case.inputs and "words" in case.options:
        null = case.options["words"].index("<NULL>")
        return bool((case.inputs["captions"][:, 1:] == null).all(axis=1).any())
    return False


def _ends_early(case: Case, expected: dict) -> bool:
    captions = expected.get("captions")
    if captions is None:
        return False
    end = case.options["words"].index("<END>")
    stops = {int(np.argmax(row == end)) if (row == end).any() else len(row) for row in captions}
    return len(stops) > 1


def _words(case: Case) -> tuple[np.ndarray, int] | None:
    if "W" not in case.inputs or "dout" not in case.inputs:
        return None
    return case.inputs["x"].ravel(), case.inputs["W"].shape[0]


def _repeated(case: Case, expected: dict) -> bool:
    words = _words(case)
    return words is not None and len(np.unique(words[0])) < len(words[0])


def _unused(case: Case, expected: dict) -> bool:
    words = _words(case)
    return words is not None and len(np.unique(words[0])) < words[1]


KINDS: dict[str, Callable[[Case, dict], bool]] = {
    UPSTREAM: lambda case, expected: bool(case.options.get("check_upstream")),
    LARGE: _large,
    MASKED_ROW: _masked_row,
    ENDS_EARLY: _ends_early,
    REPEATED_WORD: _repeated,
    UNUSED_WORD: _unused,
}


def failure_kinds(case: Case, expected: dict | None = None) -> set[str]:
    """The kinds of input a case tests (expected: the reference outputs on it, when known)."""
    expected = case.expected if expected is None else expected
    return {kind for kind, has in KINDS.items() if has(case, expected)}


def kinds_by_check(cases: list[Case], hidden: bool,
                   expected: Callable[[Case], dict] | None = None) -> dict[str, set[str]]:
    """{check: the kinds its hidden (or visible) cases test}."""
    found: dict[str, set[str]] = {}
    for case in cases:
        kinds = failure_kinds(case, expected(case) if expected else None)
        found.setdefault(case.check, set())
        if case.hidden == hidden:
            found[case.check] |= kinds
    return found


def surprises(cases: list[Case], expected: Callable[[Case], dict] | None = None) -> list[str]:
    """What a hidden case tests that no visible case of the same check does, one line each
    (nothing when the rule holds)."""
    hidden = kinds_by_check(cases, True, expected)
    visible = kinds_by_check(cases, False, expected)
    return [f"{check}: hidden cases test {kind!r}, no visible case does"
            for check in hidden for kind in sorted(hidden[check] - visible[check])]


_CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


def sections(notebook: Path) -> dict[str, str]:
    """{check: the markdown of the notebook section whose graded test cell runs it} (the section:
    the markdown cells from the last heading of level 1 or 2 before the test cell up to it; a
    level-3 heading, such as an ungraded exercise, stays part of its section)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found, section = {}, []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            heading = re.match(r"#{1,2} ", source.lstrip())
            section = [source] if heading else section + [source]
        elif cell["metadata"].get("nbgrader", {}).get("grade"):
            for name in _CHECK_CALL.findall(source):
                found[name] = "\n".join(section)
    return found


def untaught(cases: list[Case], notebooks: list[Path],
             expected: Callable[[Case], dict] | None = None) -> list[str]:
    """Kinds a check's cases test that its notebook section does not ask for, one line each."""
    text = {}
    for notebook in notebooks:
        text.update({name: (notebook.name, md) for name, md in sections(notebook).items()})
    problems = []
    for check, kinds in kinds_by_check(cases, False, expected).items():
        if check not in text:
            continue
        where, markdown = text[check]
        for kind in sorted(kinds):
            if not re.search(TAUGHT[kind], markdown, re.IGNORECASE):
                problems.append(f"{where}, section of {check}: the task text does not ask for "
                                f"{kind!r} (expected it to match {TAUGHT[kind]!r})")
    return problems
