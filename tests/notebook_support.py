"""Running a notebook as a student (or the grader) would: shared by the notebook tests and
bench/bench_notebooks.py."""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run_notebook(path: Path, grading: bool = False):
    """Run a notebook top to bottom in a fresh kernel in its folder, as a student would (or as the
    grader does, with NBGRADER_EXECUTION set, when grading); returns (executed notebook, seconds).
    Errors do not stop the run: they stay in the cells' outputs."""
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    start = time.perf_counter()
    client.execute(env=env)
    return nb, time.perf_counter() - start
