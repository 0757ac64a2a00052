"""What went wrong while a submission was graded, read from its autograded notebooks.

Each problem is one short sentence for the status column of the grade table, for example
``RNN_Captioning: cell time limit (60 s) hit in rnn_forward_check``. Failed checks are not
problems (they cost points, which the scores show); limits, dead kernels, sys.exit and errors in
cells that are not tests (an import that fails, say) are.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from ..author.package_checks import package_checks
from . import execute

# Errors of ordinary cells that only mean "not done yet" or "wrong answer".
_EXPECTED = {"NotImplementedError", "AssertionError", "CheckFailed", execute.NOT_RUN}


def _label(cell, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"


def scan_notebook(nb, name: str, limits: dict) -> list[str]:
    """The problems of one executed notebook. limits holds cell_timeout (s), submission_timeout (s)
    and memory_mb, quoted in the messages."""
    found: dict[str, str] = {}   # one message per kind, the first occurrence

    def add(kind: str, text: str) -> None:
        found.setdefault(kind, f"{name}: {text}")

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = _label(cell, index)
        is_test = bool(cell.metadata.get("nbgrader", {}).get("grade"))
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            ename, evalue = output.get("ename", ""), str(output.get("evalue", ""))
            if execute.OUTPUT_NOTICE in text:
                add("output", f"output limit hit in {where}")
            if "MemoryError" in text or ename.endswith("MemoryError"):
                add("memory", f"memory limit ({limits['memory_mb']} MB) hit in {where}")
            if "SystemExit" in text:
                add("exit", f"sys.exit called in {where}")
            if package_checks.CHECK_TIMEOUT_TEXT in text:
                add("check_time", f"time limit of a re-run check hit in {where}")
            if package_checks.CHECK_DIED_TEXT in text:
                add("check_died", f"a re-run check crashed in {where}")
            if output.get("output_type") != "error":
                continue
            if ename == execute.CELL_TIME_LIMIT:
                add("cell_time", f"cell time limit ({limits['cell_timeout']} s) hit in {where}")
            elif ename == execute.TIME_LIMIT:
                add("time", f"submission time limit ({limits['submission_timeout']} s) hit in {where}")
            elif ename == execute.KERNEL_DIED:
                add("died", f"kernel died in {where}")
            elif ename == execute.KERNEL_STUCK:
                add("stuck", f"kernel ignored the interrupt after the time limit of {where}")
            elif ename == "SystemExit":
                add("exit", f"sys.exit called in {where}")
            elif not is_test and ename not in _EXPECTED and not ename.endswith("MemoryError"):
                detail = evalue.splitlines()[0][:100] if evalue else ""
                add("error", f"{where} raised {ename}" + (f": {detail}" if detail else ""))
    return list(found.values())


def scan_folder(folder: Path, limits: dict) -> list[str]:
    """The problems of every executed notebook of an autograded submission folder."""
    messages = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - an unreadable result is itself a problem
            messages.append(f"{path.stem}: autograded notebook unreadable ({error})")
            continue
        messages.extend(scan_notebook(nb, path.stem, limits))
    return messages
