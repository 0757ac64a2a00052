"""The kill of a runaway worker, a deadline that passes between cells, and the command-line options
of the instructor commands."""
import argparse
import os
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from kit.commands import demo, feedback, release, report
from kit.commands import grade as grading
from kit.grade import execute
from kit.grade.execute import LimitedExecute
from kit.grade.pool import kill_tree
from kit.grade.problems import scan_notebook


def test_a_runaway_worker_is_killed_with_its_kernels():
    """The backstop behind the time limit: the worker and the processes it started in other
    sessions (kernels do) all end."""
    code = ("import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            " start_new_session=True)\n"
            "time.sleep(600)\n")
    worker = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.time() + 20
    while not psutil.Process(worker.pid).children() and time.time() < deadline:
        time.sleep(0.1)
    family = psutil.Process(worker.pid).children(recursive=True)
    assert family
    kill_tree(worker.pid)
    worker.wait(timeout=10)
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive


@pytest.mark.parametrize("module, options", [
    (release, ["--out", "--course", "--db", "--check"]),
    (grading, ["submissions", "--jobs", "--student", "--id-pattern", "--cell-timeout", "--submission-timeout",
               "--memory-mb", "--max-output", "--db", "--course", "--out", "--datasets",
               "--regrade", "--verbose", "--scheduler",
               "--no-sandbox"]),
    (report, ["--course", "--out", "--db"]),
    (feedback, ["--student", "--course", "--out", "--db"]),
    (demo, ["--jobs", "--out"]),
])
def test_every_option_is_explained_in_the_help(module, options):
    parser = argparse.ArgumentParser(description=module.__doc__)
    module.add_arguments(parser)
    text = parser.format_help()
    for option in options:
        assert option in text
    for action in parser._actions:
        assert action.help, f"{action.dest} has no help"


def test_bad_limits_and_missing_submissions_are_clear_errors(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    grading.add_arguments(parser)
    args = parser.parse_args([str(tmp_path), "--cell-timeout", "-5"])
    assert grading.run(args) == 2
    assert "--cell-timeout must be >= 0, got -5" in capsys.readouterr().out
    args = parser.parse_args([str(tmp_path), "--jobs", "-3"])
    assert grading.run(args) == 2
    assert "--jobs must be >= 0 (0: one more than the cores), got -3" in capsys.readouterr().out
    args = parser.parse_args([str(tmp_path / "nowhere")])
    assert grading.run(args) == 2
    assert "is not a folder: expected a folder with one entry" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_demo_refuses_a_negative_number_of_workers(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    assert demo.run(parser.parse_args(["--jobs", "-1", "--out", str(tmp_path / "demo")])) == 2
    assert "--jobs must be >= 0" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_an_unknown_student_is_refused_before_anything_is_built(tmp_path, capsys):
    (tmp_path / "submissions" / "ada").mkdir(parents=True)
    parser = argparse.ArgumentParser()
    grading.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "submissions"), "--student", "bob",
                              "--course", str(tmp_path / "course"), "--out", str(tmp_path / "out")])
    assert grading.run(args) == 2
    assert "no submission of student 'bob'" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["submissions"]


@pytest.mark.parametrize("module", [grading, release, report, feedback])
def test_a_gradebook_url_without_its_driver_is_a_clear_error(module, tmp_path, capsys,
                                                             monkeypatch):
    """--db names the package to install when the URL's database driver is missing."""
    monkeypatch.setitem(sys.modules, "psycopg2", None)   # as if it were not installed
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    positional = [str(tmp_path)] if module is grading else []
    args = parser.parse_args(positional + ["--db", "postgresql+psycopg2://ta@localhost/course",
                                           "--course", str(tmp_path / "course"),
                                           "--out", str(tmp_path / "out")])
    assert module.run(args) in (1, 2)
    out = capsys.readouterr().out
    assert "needs the database driver 'psycopg2'" in out
    assert "pip install 'psycopg2-binary'" in out
    assert os.listdir(tmp_path) == []   # nothing built


def test_an_id_pattern_that_misses_an_entry_is_refused_before_anything_is_built(tmp_path, capsys):
    (tmp_path / "submissions" / "ada_123").mkdir(parents=True)
    (tmp_path / "submissions" / "notes").mkdir()
    parser = argparse.ArgumentParser()
    grading.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "submissions"), "--id-pattern", r"^([a-z]+)_\d+",
                              "--course", str(tmp_path / "course"), "--out", str(tmp_path / "out")])
    assert grading.run(args) == 2
    assert "does not match 1 entry" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["submissions"]


def test_a_notebook_that_starts_after_the_deadline_says_the_time_limit_was_hit(tmp_path):
    """The first cell that would start after the submission's deadline gets the time-limit error
    (so the status names it) and the later cells are not run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    executor = LimitedExecute(deadline=time.time() - 1, submission_timeout=18, timeout=20)
    nb, _ = executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    first, second = ([o["ename"] for o in cell.outputs if o.output_type == "error"]
                     for cell in nb.cells)
    assert first == [execute.TIME_LIMIT] and second == [execute.NOT_RUN]
    problems = scan_notebook(nb, "Mini", {"cell_timeout": 20, "submission_timeout": 18,
                                          "memory_mb": 0})
    assert problems == ["Mini: submission time limit (18 s) hit in cell 1"]
