"""The demo's sample submissions and its verdict; the real course graded end to end."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.author.reference_outputs import write_reference_outputs
from kit.demo import pipeline as demo
from kit.demo import samples
from kit.paths import ROOT


@pytest.fixture(scope="module")
def checked_package(tmp_path_factory):
    """The reference package with its reference outputs, as a submission holds it."""
    folder = tmp_path_factory.mktemp("package")
    shutil.copytree(ROOT / "cs231n", folder / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "reference_outputs.npz"))
    write_reference_outputs(folder)
    return folder


def run_checks(folder):
    """(exit status, FAIL lines, last line) of `python -m cs231n.check -q` in a submission
    folder."""
    out = subprocess.run([sys.executable, "-m", "cs231n.check", "-q"], cwd=folder,
                         capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    return out.returncode, [line for line in lines if line.startswith("FAIL")], lines[-1]


@pytest.fixture(scope="module")
def bug_runs(checked_package, tmp_path_factory):
    """{bug name: run_checks of the reference with that bug}."""
    runs = {}
    for bug in samples.BUGS:
        folder = shutil.copytree(checked_package, tmp_path_factory.mktemp(bug.name) / "sub")
        samples.apply_bug(folder, bug)
        runs[bug.name] = run_checks(folder)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("bug", samples.BUGS, ids=lambda bug: bug.name)
def test_each_sample_bug_fails_some_checks_and_passes_others(bug_runs, bug):
    status, fails, summary = bug_runs[bug.name]
    passed, total = (int(word) for word in summary.split()[:3:2])
    assert status == 1 and 0 < passed < total, summary
    failed = {line.split()[1].rstrip(":") for line in fails}
    assert bug.first in failed, (bug.first, failed)


@pytest.mark.slow
def test_the_class_report_puts_each_sample_bug_where_it_was_made(bug_runs):
    """The report's order over the demo's bugs: the five checks printed first are the checks
    where the five mistakes are, not the model checks that fail after them."""
    from kit.report.checks import CheckSummary, reteach_order

    failures: dict[str, dict[str, str]] = {}
    for student, (_, fails, _) in bug_runs.items():
        for line in fails:
            failures.setdefault(line.split()[1].rstrip(":"), {}).setdefault(student, line)
    summaries = reteach_order([CheckSummary("nb", f"check_{name}", 1, len(bug_runs) + 1, f)
                               for name, f in failures.items()])
    top = {s.check.removeprefix("check_") for s in summaries[:len(samples.BUGS)]}
    assert top == {bug.first for bug in samples.BUGS}, [(s.check, s.mistakes_here)
                                                        for s in summaries]
    assert len(failures) > len(samples.BUGS)    # model checks failed too, and came after


@pytest.mark.slow
def test_the_unchanged_reference_passes_every_check(checked_package):
    status, _, summary = run_checks(checked_package)
    assert status == 0, summary


def test_a_bug_whose_line_is_gone_is_a_clear_error(tmp_path):
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "rnn_layers.py").write_text("def f():\n    pass\n")
    with pytest.raises(samples.SampleError, match="update kit/demo/samples.py"):
        samples.apply_bug(tmp_path, samples.BUGS[0])


@pytest.mark.parametrize("student, autograded, ok", [
    ("reference", 67, True), ("reference", 66, False),
    ("untouched", 0, True), ("untouched", 1, False),
    ("bug_x", 30, True), ("bug_x", 0, False), ("bug_x", 67, False),
])
def test_demo_verdict(student, autograded, ok):
    assert (demo.expected(student, autograded, 67) is None) == ok


def test_demo_verdict_counts_extra_credit():
    assert demo.expected("reference", 67 + 15, 67, extra=15) is None
    assert demo.expected("reference", 67, 67, extra=15) is not None
    assert demo.expected("bug_x", 70, 67, extra=15) is None


def path_without(program: str, folder: Path) -> str:
    """A PATH with every program of today's PATH but `program`, as links in folder."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for entry in Path(directory).glob("*") if Path(directory).is_dir() else ():
            if entry.name != program and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return str(folder)


@pytest.mark.slow
def test_the_demo_without_bubblewrap_says_so_first_and_grades_every_sample(tmp_path):
    """`python -m kit demo` on a machine without bubblewrap, as a newcomer first runs it: its
    first line says the samples are graded outside the sandbox and what to install; the real
    course then gives every sample the score it should (full marks and the extra credit for the
    reference, nothing for the untouched release, partial credit for each bug)."""
    env = {**os.environ, "PATH": path_without("bwrap", tmp_path / "bin")}
    assert shutil.which("bwrap", path=env["PATH"]) is None
    run = subprocess.run([sys.executable, "-m", "kit", "demo", "--out", str(tmp_path / "demo"),
                          "--release", str(tmp_path / "release")], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert lines[0].startswith("NO SANDBOX: the demo grades its own sample submissions"), lines[:6]
    assert "apt-get install bubblewrap" in run.stdout
    assert "Every sample got the score it should" in lines[-1]

    with open(tmp_path / "demo" / "grading" / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"reference", "untouched", *(bug.name for bug in samples.BUGS)}
    extra = demo.extra_credit_offered(tmp_path / "demo" / "course" / "source" / "rnn_captioning")
    assert float(rows["reference"]["extra_credit"]) == extra > 0
    assert rows["reference"]["autograded"] == rows["reference"]["autograded_max"]
    for student, row in rows.items():
        assert row["status"] == "ok", (student, row["status"])
        assert demo.row_problem(row, extra) is None, row
    feedback = tmp_path / "demo" / "course" / "feedback" / "reference" / "rnn_captioning"
    assert (feedback / "RNN_Captioning.html").is_file()
