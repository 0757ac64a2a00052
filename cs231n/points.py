"""What each check is worth at grading, read from the notebooks of the assignment folder.

A check earns the points of the notebook test cell that runs it (its nbgrader ``points``) and,
when it has stored reference outputs, ``checks.PACKAGE_CHECK_POINTS`` more in the grader's re-run
of the package. ``python -m cs231n.check`` adds up the points of the checks that pass.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import checks

ASSIGNMENT_DIR = checks.PACKAGE_DIR.parent
_CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


def notebook_points(folder: Path | str = ASSIGNMENT_DIR) -> dict[str, int]:
    """{check: points of the graded notebook test cell that runs it}, from the notebooks in
    folder (unreadable notebooks and cells without nbgrader metadata count nothing)."""
    found: dict[str, int] = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") != "code" or not meta.get("grade"):
                continue
            source = "".join(cell.get("source", ""))
            names = [n for n in dict.fromkeys(_CHECK_CALL.findall(source)) if n in checks.CHECKS]
            if names:
                found[names[0]] = found.get(names[0], 0) + int(meta.get("points", 0))
    return found


def check_points(folder: Path | str = ASSIGNMENT_DIR) -> dict[str, int]:
    """{check: the autograded points it is worth}: its notebook test cell, plus the package
    re-run for a graded check with stored reference outputs. Empty when no notebook is found."""
    points = notebook_points(folder)
    try:
        with_outputs = {case.check for case in checks.load_cases() if case.expected}
    except checks.ReferenceOutputsError:
        with_outputs = set()
    return {name: value + (checks.PACKAGE_CHECK_POINTS if name in with_outputs else 0)
            for name, value in points.items()}
