"""The package checks at grading: every check of the student's cs231n/ re-run on every case of the
reference outputs, visible and hidden, away from the student's notebooks.

Runs in the kernel of Package_Checks.ipynb, which never imports the student's code: the student's
package runs in fresh processes (package_checks_runner.py) that get the cases' inputs only, in a
copy of the package without the reference outputs file (at grading, in the nested sandbox that
``KIT_RUNNER_SANDBOX`` describes, which shows neither this kernel's folder nor its processes). First one process runs every check; a
check that process did not finish (an ``os._exit``, a crash, a hang) runs again alone in a process
of its own, so a crash costs only the checks it breaks. The comparison with the expected outputs
happens here, with the checking helpers and reference outputs that grading restores from the
course (reference outputs that differ from the course's are refused).
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

import numpy as np
from IPython.display import display

from cs231n import checks   # the course's checking helpers (restored at grading)

RUNNER = Path(__file__).with_name("package_checks_runner.py")
# Texts of the outputs that the grade table's status reports.
CHECK_TIMEOUT_TEXT = "your code took longer than"
CHECK_DIED_TEXT = "the check process stopped"
# Each check also shows, for the cross-check of the notebooks' own test cells, whether the visible
# cases passed (true/false; null when the re-run was cut short by a time limit or a crash).
RESULT_MIME = "application/vnd.rnn-captioning.check+json"
# Set by the grader's sandbox: the command prefix (JSON list) of the nested sandbox the student's
# code runs in, which shows the system and the runner's folder only.
RUNNER_SANDBOX_ENV = "KIT_RUNNER_SANDBOX"

# {check: ({case index: {output: array}}, {case index: error text})}
Results = dict[str, tuple[dict[int, dict], dict[int, str]]]


def timeout() -> float:
    """Seconds one process of the student's code may run ($KIT_CHECK_TIMEOUT, default 60)."""
    return float(os.environ.get("KIT_CHECK_TIMEOUT", "60"))


def read_results(folder: Path) -> Results:
    """The results the runner wrote into folder, one file per check it finished."""
    done = {}
    for path in sorted(Path(folder).glob("*.npz")):
        outputs, errors = {}, {}
        for case in checks.load_cases(path):
            if "error" in case.options:
                errors[int(case.label)] = case.options["error"]
            else:
                outputs[int(case.label)] = case.expected
        done[path.stem] = (outputs, errors)
    return done


def _sandboxed(folder: Path) -> list[str]:
    """The prefix that runs a command in the grader's nested sandbox, if there is one: the
    package read-only, the output folder writable, nothing else of this kernel's files."""
    prefix = json.loads(os.environ.get(RUNNER_SANDBOX_ENV) or "[]")
    if not prefix:
        return []
    return prefix + ["--ro-bind", str(folder / "package"), str(folder / "package"),
                     "--ro-bind", str(folder / "in.npz"), str(folder / "in.npz"),
                     "--bind", str(folder / "out"), str(folder / "out"),
                     "--chdir", str(folder / "package")]


def run_student(cases: list[checks.Case], package: Path = Path("cs231n"),
                seconds: float | None = None) -> tuple[Results, str | None]:
    """Run the student's package (the folder `package`, default cs231n/ here) on the cases' inputs
    in one fresh process; returns the results of the checks it finished and what stopped it
    (None when it ended normally)."""
    seconds = timeout() if seconds is None else seconds
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # The student's code runs in a copy of the package with its Python files only: the
        # reference outputs (and any other data file) are not where their code could look the
        # expected outputs up.
        shutil.copytree(package, folder / "package" / "cs231n",
                        ignore=shutil.ignore_patterns("__pycache__", "*.npz", "*.npy"))
        inputs = [checks.Case(c.check, c.inputs, options=c.options) for c in cases]
        (folder / "out").mkdir()
        np.savez(folder / "in.npz", **checks.pack_cases(inputs))
        stopped = None
        with open(folder / "log.txt", "wb") as log:
            try:
                proc = subprocess.run(
                    _sandboxed(folder) + [sys.executable, "-c", RUNNER.read_text(encoding="utf-8"),
                                          str(folder / "in.npz"), str(folder / "out")],
                    cwd=folder / "package", stdout=log, stderr=log, timeout=seconds)
                if proc.returncode != 0:
                    tail = (folder / "log.txt").read_bytes()[-300:].decode(errors="replace")
                    stopped = f"{CHECK_DIED_TEXT} (exit code {proc.returncode}): {tail.strip()}"
            except subprocess.TimeoutExpired:
                stopped = f"{CHECK_TIMEOUT_TEXT} {seconds:.0f} s"
        return read_results(folder / "out"), stopped


class PackageChecks:
    """The package checks of one grading run: the cases of the reference outputs file (refused
    unless its SHA-256 is `digest`), run first all in one process."""

    def __init__(self, reference: str | Path, digest: str):
        self.reference = Path(reference)
        self.ok = (self.reference.is_file()
                   and hashlib.sha256(self.reference.read_bytes()).hexdigest() == digest)
        self.cases = checks.load_cases(self.reference) if self.ok else []
        self.finished, _ = run_student(self.cases)

    def lines(self, name: str) -> tuple[list[checks.Line], bool | None]:
        """The PASS/FAIL lines of one check on every case, whether its visible cases passed and
        whether its hidden cases passed (each None when cut short by a time limit or a crash, or
        when there are no such cases)."""
        indexed = [(i, c) for i, c in enumerate(self.cases) if c.check == name]
        if name in self.finished:
            outputs, errors = self.finished[name]
            keys = [i for i, _ in indexed]
        else:
            alone, stopped = run_student([c for _, c in indexed])
            keys = list(range(len(indexed)))
            outputs, errors = alone.get(name, ({}, dict.fromkeys(keys, stopped or "no result")))
        lines = []
        verdict = {hidden: (True if any(c.hidden == hidden for _, c in indexed) else None)
                   for hidden in (False, True)}
        for key, (_, case) in zip(keys, indexed):
            if key in errors:
                lines.append(checks.Line(name, False, str(errors[key]), case.label))
                cut_short = str(errors[key]).startswith((CHECK_TIMEOUT_TEXT, CHECK_DIED_TEXT))
                if verdict[case.hidden] is not False:
                    verdict[case.hidden] = None if cut_short else False
                continue
            for output, expected in case.expected.items():
                got = outputs.get(key, {}).get(output)
                passed, text = checks.compare_output(case, output, got, expected)
                lines.append(checks.Line(name, passed, text, case.label))
                if not passed:
                    verdict[case.hidden] = False
        return lines, verdict[False], verdict[True]

    def check(self, name: str) -> None:
        """Check one function of the package on every case: print PASS/FAIL lines, fail if any
        fails."""
        if not self.ok:
            raise AssertionError(f"{self.reference} is missing or was changed while grading")
        lines, visible, hidden = self.lines(name)
        for line in lines:
            print(line)
        display({RESULT_MIME: {"check": name, "visible": visible, "hidden": hidden}}, raw=True)
        if not lines or not all(line.passed for line in lines):
            raise AssertionError(checks.failure_message(name, lines))
