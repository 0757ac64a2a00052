"""What each check is worth at grading.

A check earns the points of the notebook test cell that runs it and those of its test cell in the
grader's re-run of the package (the Package_Checks notebook). The course build writes the table,
``cs231n/grading_points.json`` ({check: points}), from the course's notebooks, so a student's
``python -m cs231n.check`` can add up the points of the checks that pass.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import checks

POINTS_FILE = checks.PACKAGE_DIR / "grading_points.json"
_CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


def notebook_points(folder: Path | str) -> dict[str, int]:
    """{check: the points of the graded test cells that run it}, from the notebooks in folder
    (a cell's points go to the first check it runs; unreadable notebooks count nothing)."""
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


def check_points(path: Path | str = POINTS_FILE) -> dict[str, int]:
    """{check: autograded points} from the table the course build wrote; empty without it (in
    the kit's own repository, before a release)."""
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in table.items()} if isinstance(table, dict) else {}
