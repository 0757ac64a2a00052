"""The hidden-check notebook: the student's package checked again, away from their notebooks.

At grading, the kit adds this notebook to every submission, so its scores land in the same
gradebook as the notebooks' own test cells (students never get it: it is reference-only). Each of
its test cells re-runs one check of ``cs231n.checks`` on every case of the reference outputs,
visible and hidden, so that

- no notebook trick counts: the student's notebooks do not run here at all;
- the student's code runs in a fresh Python process that loads only their cs231n/: first one
  process for all checks, then, for any check that process did not finish (an ``os._exit``, a
  crash, a hang), one process for that check alone, so a crash costs only the checks it breaks.
  These processes get the inputs, never the expected outputs, and run in a copy of the package
  without the reference outputs file, so code that looks the expected outputs up finds nothing;
- the comparison runs in the notebook's kernel, which never imports the student's code, with the
  checking helpers and reference outputs restored from the course source (the kernel refuses
  reference outputs that differ from the course's), so patching the helpers earns nothing.

Only checks of code students write (the student version fails them) with stored reference outputs
are re-run (a numerical-gradient-only check has nothing to compare here).

Feedback: nbgrader's feedback HTML shows the code and output of every test cell, hidden tests and
this notebook included (jupyter/nbgrader#917). The kit leaves it so: students see which case
failed (its label, such as "T=1") and by how much, never its inputs or expected arrays. The
release's cs231n/reference_outputs.npz holds only the visible cases; the hidden ones exist only in
the course's copy, which grading restores.

Student code runs with the grader's rights (nbgrader has no sandbox): code written to read the
grader's files is beyond what any notebook-level check can stop; grade untrusted classes in a
container or under an account of their own.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from . import atomic, extra_credit, stubs
from .course import HIDDEN_NOTEBOOK

POINTS = 1
REFERENCE = "cs231n/reference_outputs.npz"
# Texts of the hidden notebook's outputs that the grade table's status reports.
CHECK_TIMEOUT_TEXT = "your code took longer than"
CHECK_DIED_TEXT = "the check process stopped"
# Each test cell also shows, for the cross-check of the notebooks' own test cells, whether the
# visible cases passed (true/false; null when the re-run was cut short by a time limit or a crash).
RESULT_MIME = "application/vnd.rnn-captioning.check+json"

INTRO = """\
# Package checks

The grader re-runs the checks of your `cs231n/` package here, each in a fresh Python process that
loads only your package, on the visible and the hidden cases of `cs231n/reference_outputs.npz`.
Each check is worth {points} point(s) (extra credit for the extra-credit checks). The notebooks are
not run here: what counts is your code.
"""

SETUP = '''\
import hashlib, json, os, shutil, subprocess, sys, tempfile
from pathlib import Path

import numpy as np
from IPython.display import display
from cs231n import checks   # the course's checking helpers (restored at grading)

REFERENCE = Path({reference!r})
REFERENCE_SHA256 = {digest!r}
TIMEOUT = float(os.environ.get("KIT_CHECK_TIMEOUT", "60"))
_ok = REFERENCE.is_file() and hashlib.sha256(REFERENCE.read_bytes()).hexdigest() == REFERENCE_SHA256
CASES = checks.load_cases(REFERENCE) if _ok else []

# Runs in a separate process with the student's package: computes the outputs of the cases
# (inputs only, never the expected outputs) and writes them, one file per check.
RUNNER = r"""
import json, sys
from pathlib import Path
import numpy as np
import cs231n
if Path(cs231n.__file__).resolve().parent != (Path.cwd() / "cs231n").resolve():
    sys.exit("cs231n/ is not the submission's package")
from cs231n import checks
with np.load(sys.argv[1], allow_pickle=False) as npz:
    arrays = {{k: npz[k] for k in npz.files}}
meta = json.loads(str(arrays.pop("meta")))
for name in dict.fromkeys(m["check"] for m in meta):
    results, errors = {{}}, {{}}
    for i, m in enumerate(meta):
        if m["check"] != name:
            continue
        case = checks.Case(name, {{n: arrays[f"{{i}}/{{n}}"] for n in m["inputs"]}},
                           options=m["options"])
        try:
            got = checks.outputs(case)
        except BaseException as e:   # SystemExit too: one case never stops the others
            plain = type(e).__name__ == "_ContractError"
            errors[i] = (str(e) if plain else f"{{type(e).__name__}}: {{e}}")[:300]
            continue
        for key, value in got.items():
            if value.dtype != object:
                results[f"{{i}}/{{key}}"] = value
    np.savez(Path(sys.argv[2]) / f"{{name}}.npz", meta=np.array(json.dumps(errors)), **results)
"""


def _run_student(cases):
    """Run the student's package on the cases in one fresh process: {{check: (outputs of each
    case index, error of each case index)}} for the checks it finished, and what stopped it."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # The student's code runs in a copy of the package with its Python files only: the
        # reference outputs (and any other data file) are not where their code could look
        # the expected outputs up.
        shutil.copytree("cs231n", folder / "package" / "cs231n",
                        ignore=shutil.ignore_patterns("__pycache__", "*.npz", "*.npy"))
        inputs = {{"meta": np.array(json.dumps([{{"check": c.check, "inputs": list(c.inputs),
                                                "options": c.options}} for c in cases]))}}
        for i, case in enumerate(cases):
            inputs.update({{f"{{i}}/{{n}}": v for n, v in case.inputs.items()}})
        np.savez(folder / "in.npz", **inputs)
        stopped = None
        with open(folder / "log.txt", "wb") as log:
            try:
                proc = subprocess.run([sys.executable, "-c", RUNNER, str(folder / "in.npz"),
                                       str(folder)], cwd=folder / "package", stdout=log,
                                      stderr=log, timeout=TIMEOUT)
                if proc.returncode != 0:
                    tail = (folder / "log.txt").read_bytes()[-300:].decode(errors="replace")
                    stopped = f"{died_text} (exit code {{proc.returncode}}): {{tail.strip()}}"
            except subprocess.TimeoutExpired:
                stopped = f"{timeout_text} {{TIMEOUT:.0f}} s"
        done = {{}}
        for path in folder.glob("*.npz"):
            if path.name == "in.npz":
                continue
            with np.load(path, allow_pickle=False) as npz:
                arrays = {{k: npz[k] for k in npz.files}}
            errors = {{int(k): v for k, v in json.loads(str(arrays.pop("meta"))).items()}}
            outputs = {{}}
            for key, value in arrays.items():
                index, name = key.split("/", 1)
                outputs.setdefault(int(index), {{}})[name] = value
            done[path.stem] = (outputs, errors)
    return done, stopped


# All checks in one process first; a check that process did not finish (a crash, a hang) is
# re-run alone in its own process, so that it costs only itself.
FINISHED, _ = _run_student(CASES)


def package_check(name):
    """Check one function of the package on every case; print PASS/FAIL lines, fail if any fails."""
    if not _ok:
        raise AssertionError(f"{{REFERENCE}} is missing or was changed while grading")
    indexed = [(i, c) for i, c in enumerate(CASES) if c.check == name]
    if name in FINISHED:
        outputs, errors = FINISHED[name]
        keys = [i for i, _ in indexed]
    else:
        alone, stopped = _run_student([c for _, c in indexed])
        keys = list(range(len(indexed)))
        outputs, errors = alone.get(name, ({{}}, dict.fromkeys(keys, stopped or "no result")))
    lines, visible = [], True
    for key, (_, case) in zip(keys, indexed):
        if key in errors:
            lines.append(checks.Line(name, False, str(errors[key]), case.label))
            cut_short = str(errors[key]).startswith(({timeout_text!r}, {died_text!r}))
            if not case.hidden:
                visible = None if cut_short and visible is not False else False
            continue
        for output, expected in case.expected.items():
            got = outputs.get(key, {{}}).get(output)
            passed, text = checks.compare_output(case, output, got, expected)
            lines.append(checks.Line(name, passed, text, case.label))
            if not case.hidden and not passed:
                visible = False
    for line in lines:
        print(line)
    display({{{mime!r}: {{"check": name, "visible": visible}}}}, raw=True)
    if not lines or not all(line.passed for line in lines):
        raise AssertionError(checks.failure_message(name, lines))
'''


def _cell_meta(grade_id: str, grade: bool = False, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta, "deletable": False, "editable": False}


_PASSING = """
import json
from cs231n import checks
cases = checks.load_cases()
names = sorted({c.check for c in cases})
print(json.dumps([n for n in names
                  if all(line.passed for line in checks.run_cases([c for c in cases if c.check == n]))]))
"""


def provided_checks(source: Path) -> set[str]:
    """The checks that the student version of an assignment folder already passes: they test code
    students are given, not code they write."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(Path(source) / stubs.PACKAGE, Path(tmp) / stubs.PACKAGE,
                        ignore=shutil.ignore_patterns("__pycache__"))
        stubs.stub_package(Path(tmp) / stubs.PACKAGE)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        out = subprocess.run([sys.executable, "-c", _PASSING], cwd=tmp, env=env, check=True,
                             capture_output=True, text=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def checked_names(source: Path) -> list[str]:
    """The checks the hidden notebook re-runs: those with stored expected outputs that test the
    students' code (not passed by the student version), in the order of cs231n.checks.CHECKS."""
    from cs231n import checks
    cases = checks.load_cases(Path(source) / REFERENCE)
    with_outputs = {case.check for case in cases if case.expected} - provided_checks(source)
    return [name for name in checks.CHECKS if name in with_outputs]


def build_notebook(names: list[str], digest: str, points: int = POINTS):
    """The hidden-check notebook: an introduction, the setup cell and one test cell per check."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.cells.append(nbformat.v4.new_markdown_cell(INTRO.format(points=points),
                                                  metadata=_cell_meta("package_checks_intro")))
    setup = SETUP.format(reference=REFERENCE, digest=digest, timeout_text=CHECK_TIMEOUT_TEXT,
                         died_text=CHECK_DIED_TEXT, mime=RESULT_MIME)
    nb.cells.append(nbformat.v4.new_code_cell(setup,
                                              metadata=_cell_meta("package_checks_setup")))
    from cs231n.checks import EXTRA_CREDIT
    for name in names:
        extra = name in EXTRA_CREDIT     # 0 points, the worth as extra credit (kit.extra_credit)
        meta = _cell_meta(f"package_{name}", True, 0 if extra else points)
        if extra:
            meta[extra_credit.KEY] = points
        nb.cells.append(nbformat.v4.new_code_cell(f'package_check("{name}")', metadata=meta))
    return nb


def write_hidden_notebook(source: Path, points: int = POINTS) -> Path:
    """Write the hidden-check notebook into an assignment folder whose reference outputs exist;
    returns its path."""
    source = Path(source)
    reference = source / REFERENCE
    if not reference.is_file():
        raise FileNotFoundError(f"{reference} is missing: the hidden checks compare with it "
                                "(write the reference outputs first)")
    digest = hashlib.sha256(reference.read_bytes()).hexdigest()
    nb = build_notebook(checked_names(source), digest, points)
    path = source / HIDDEN_NOTEBOOK
    with atomic.replacing(path) as tmp:
        nbformat.write(nb, tmp)
    return path
