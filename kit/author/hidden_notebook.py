"""The hidden-check notebook: the student's package checked again, away from their notebooks.

At grading, the kit adds this notebook to every submission, so its scores land in the same
gradebook as the notebooks' own test cells (students never get it: it is reference-only). Each of
its test cells re-runs one check of ``cs231n.checks`` on every case of the reference outputs,
visible and hidden, so that

- no notebook trick counts: the student's notebooks do not run here at all;
- the student's code runs in fresh Python processes that load only their cs231n/ and get the
  inputs, never the expected outputs (package_checks/package_checks_runner.py);
- the comparison runs in the notebook's kernel (package_checks/package_checks.py), which never
  imports the student's code, with the checking helpers and reference outputs restored from the
  course source, so patching the helpers earns nothing.

Both programs are copied next to the notebook (reference-only files, restored at grading).

Only checks of code students write (the student version fails them) with stored reference outputs
are re-run (a numerical-gradient-only check has nothing to compare here).

Feedback: nbgrader's feedback HTML shows the code and output of every test cell, hidden tests and
this notebook included (jupyter/nbgrader#917). The kit leaves it so: students see which case
failed (its label, such as "T=1") and by how much, never its inputs or expected arrays. The
release's cs231n/reference_outputs.npz holds only the visible cases; the hidden ones exist only in
the course's copy, which grading restores.

At grading the kernels run in the sandbox of kit.grade.sandbox. The notebooks' kernels see the
reference outputs without the hidden cases' expected outputs (their hidden test cells compute the
outputs, the cross-check takes the verdict from here: kit.grade.crosscheck); this notebook's
kernel sees the whole file, and the student's code here runs in a nested sandbox that shows only
the system, the Python environment and the runner's own folder: no /proc, not this notebook's
folder, so no reference outputs to look the answers up in (``kit grade --no-sandbox`` drops all
of this, and code written to read the grader's files could then read them).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat

from cs231n import checks

from .. import atomic
from ..paths import (EXTRA_CREDIT_KEY, HIDDEN_NOTEBOOK, PACKAGE_CHECKS,
                     PACKAGE_CHECKS_RUNNER, REFERENCE_OUTPUTS)
from .package_checks import FOLDER

POINTS = checks.PACKAGE_CHECK_POINTS

INTRO = """\
# Package checks

The grader re-runs the checks of your `cs231n/` package here, each in a fresh Python process that
loads only your package, on the visible and the hidden cases of `cs231n/reference_outputs.npz`.
Each check is worth {points} point(s) (extra credit for the extra-credit checks). The notebooks are
not run here: what counts is your code.
"""

SETUP = """\
from package_checks import PackageChecks   # restored from the course at grading

package_check = PackageChecks({reference!r}, {digest!r}).check
"""


def _cell_meta(grade_id: str, grade: bool = False, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta, "deletable": False, "editable": False}


def checked_names(source: Path) -> list[str]:
    """The checks the hidden notebook re-runs: those with stored expected outputs that test the
    students' code (not the provided code), in the order of cs231n.checks.CHECKS."""
    cases = checks.load_cases(Path(source) / REFERENCE_OUTPUTS)
    with_outputs = {case.check for case in cases if case.expected} - checks.PROVIDED
    return [name for name in checks.CHECKS if name in with_outputs]


def build_notebook(names: list[str], digest: str, points: int = POINTS):
    """The hidden-check notebook: an introduction, the setup cell and one test cell per check."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.cells.append(nbformat.v4.new_markdown_cell(INTRO.format(points=points),
                                                  metadata=_cell_meta("package_checks_intro")))
    setup = SETUP.format(reference=REFERENCE_OUTPUTS.as_posix(), digest=digest)
    nb.cells.append(nbformat.v4.new_code_cell(setup,
                                              metadata=_cell_meta("package_checks_setup")))
    for name in names:
        extra = name in checks.EXTRA_CREDIT   # 0 points, its worth as extra credit
        meta = _cell_meta(f"package_{name}", True, 0 if extra else points)
        if extra:
            meta[EXTRA_CREDIT_KEY] = points
        nb.cells.append(nbformat.v4.new_code_cell(f'package_check("{name}")', metadata=meta))
    return nb


def write_hidden_notebook(source: Path, points: int = POINTS) -> Path:
    """Write the hidden-check notebook and its programs into an assignment folder whose reference
    outputs exist; returns the notebook's path."""
    source = Path(source)
    reference = source / REFERENCE_OUTPUTS
    if not reference.is_file():
        raise FileNotFoundError(f"{reference} is missing: the hidden checks compare with it "
                                "(write the reference outputs first)")
    digest = hashlib.sha256(reference.read_bytes()).hexdigest()
    nb = build_notebook(checked_names(source), digest, points)
    for name in (PACKAGE_CHECKS, PACKAGE_CHECKS_RUNNER):
        atomic.write_bytes(source / name, (FOLDER / name).read_bytes())
    path = source / HIDDEN_NOTEBOOK
    with atomic.replacing(path) as tmp:
        nbformat.write(nb, tmp)
    return path
