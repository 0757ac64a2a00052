"""Grade one submission in its own nbgrader course folder.

``python -m kit grade`` runs one worker process per student (``run_job``, forked from a server
process that has imported nbgrader once, so a worker starts in milliseconds; ``python -m kit.grade.worker
JOB.json`` does the same by hand) after writing the course folder: nbgrader_config.py,
source/<assignment>/ (student files stubbed), gradebook.db (the assignment only) and
submitted/<student>/<assignment>/. The worker starts a new session (so that a submission that
outlives its time limit is killed with everything it started), caps its own address space (the
kernels it starts inherit the cap), runs nbgrader autograde with the kit's limits, the
cross-check and generate_feedback, and writes a JSON report of what went wrong, if anything.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

# Imported here, not when needed: the server that forks the workers imports them once.
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                    LimitOutput, SaveAutoGrades)
from traitlets.config import Config

from .. import atomic
from ..nbgrader_api import course_id, failure_cause, open_api, sqlite_url
from ..paths import HIDDEN_NOTEBOOK, REFERENCE_OUTPUTS
from . import crosscheck, extra_credit, problems, sandbox
from .execute import LimitedExecute

REPORT = "report.json"


def limit_memory(megabytes: int) -> None:
    """Cap the address space of this process and of everything it starts (0: no cap)."""
    if megabytes > 0:
        cap = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def grading_config(job: dict):
    """nbgrader configuration overrides for one submission: the kit's Execute and its limits."""
    c = Config()
    c.Execute.timeout = job["cell_timeout"]
    # A graded notebook's kernel has nothing left to do: kill it rather than wait for a graceful
    # shutdown, which costs about a second of wall and CPU time per notebook.
    c.Execute.shutdown_kernel = "immediate"
    c.ExecutePreprocessor.timeout = job["cell_timeout"]
    c.LimitedExecute.deadline = job["deadline"]
    c.LimitedExecute.submission_timeout = job["submission_timeout"]
    c.LimitedExecute.max_output_bytes = job["max_output_bytes"]
    if job.get("sandbox", True):
        c.LimitedExecute.sandbox = True
        c.SandboxedKernelManager.disk_mb = job["disk_mb"]
        c.SandboxedKernelManager.processes = job["max_processes"]
        c.SandboxedKernelManager.file_mb = job["max_file_mb"]
        c.SandboxedKernelManager.readable = [os.environ[name] for name in ("CS231N_DATASETS",)
                                             if os.environ.get(name)]
    c.Autograde.autograde_preprocessors = [
        LimitedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata]
    return c


def grade(job: dict) -> dict:
    """Autograde and generate feedback for the job's student; returns the report."""
    course = Path(job["course"])
    kernels_cpu = sandbox.kernel_cpu_seconds()
    api = open_api(course, overrides=grading_config(job))
    report: dict = {"student": job["student"], "started": time.time()}
    # What a submission does is handled inside the notebooks' execution; an error that escapes
    # nbgrader (a kernel that would not start on a busy machine) gets one more try.
    for attempt in (1, 2):
        result = api.autograde(job["assignment"], job["student"], force=True, create=True)
        if result.get("success") or time.time() > job["deadline"]:
            break
    report["autograde"] = {"success": bool(result.get("success")), "attempts": attempt,
                           "error": "" if result.get("success") else failure_cause(result),
                           "seconds": round(time.time() - report["started"], 1)}
    autograded = course / "autograded" / job["student"] / job["assignment"]
    report["problems"] = problems.scan_folder(autograded, job) if autograded.is_dir() else []
    if autograded.is_dir():
        extra_credit.apply(course / "source" / job["assignment"], autograded,
                           sqlite_url(course / "gradebook.db"), course_id(course),
                           job["assignment"], job["student"])
        report["problems"] += crosscheck.apply(
            autograded, HIDDEN_NOTEBOOK, sqlite_url(course / "gradebook.db"), course_id(course),
            job["assignment"], job["student"],
            course / "source" / job["assignment"] / REFERENCE_OUTPUTS)
        started = time.time()
        feedback = api.generate_feedback(job["assignment"], job["student"], force=True)
        report["feedback"] = {"success": bool(feedback.get("success")),
                              "error": "" if feedback.get("success") else failure_cause(feedback),
                              "seconds": round(time.time() - started, 1)}
    report["finished"] = time.time()
    # the worker, its children, and the sandboxed kernels (not children once their sandbox is gone)
    report["cpu_seconds"] = round(sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF),
                      resource.getrusage(resource.RUSAGE_CHILDREN)))
        + sandbox.kernel_cpu_seconds() - kernels_cpu, 1)
    return report


def write_report(folder: Path, report: dict) -> None:
    atomic.write_text(Path(folder) / REPORT, json.dumps(report, indent=1))


def run_job(job_file: str, env: dict, log_file: str) -> None:
    """A worker process: new session, the given environment, output to log_file, then grade."""
    os.setsid()
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(env)
    main([job_file])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m kit.grade.worker JOB.json", file=sys.stderr)
        return 2
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    limit_memory(job["memory_mb"])
    try:
        report = grade(job)
    except MemoryError:
        report = {"student": job["student"], "crash": "the grader itself ran out of memory"}
    except Exception as error:  # noqa: BLE001 - reported to the main process, which carries on
        report = {"student": job["student"], "crash": f"{type(error).__name__}: {error}"[:300]}
    write_report(job_file.parent, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
