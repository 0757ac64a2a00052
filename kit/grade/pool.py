"""Grade a class in parallel: one worker process per student (forked from a server that has
imported nbgrader once), at most --jobs at a time, each killed with everything it started when it
outlives its time limit; the main thread merges the students one at a time."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from ..paths import ASSIGNMENT, ROOT
from . import status, worker
from .limits import Limits, default_jobs, worker_env
from .merge import collect
from .sandbox import check_available
from .submissions import Submission, SubmissionsError, find_submissions
from .template import Setup, rmtree, student_course
from .worker import REPORT

GRACE = 60            # seconds a worker gets beyond the submission's limit before it is killed


@dataclass
class Outcome:
    """How grading one student went (seconds: wall time; cpu_seconds: the worker's and its
    kernels' CPU time)."""
    student: str
    notes: list[str] = field(default_factory=list)
    graded: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def status(self) -> str:
        return "; ".join(self.notes) if self.notes else "ok"


_WORKERS = None


def _workers():
    """The multiprocessing context that starts grading workers: forked from a server process
    that imported the worker module (nbgrader and all) once."""
    global _WORKERS
    if _WORKERS is None:
        _WORKERS = multiprocessing.get_context("forkserver")
        _WORKERS.set_forkserver_preload(["kit.grade.worker"])
    return _WORKERS


def _kill_tree(pid: int) -> None:
    """Kill a process and everything it started (kernels run in their own sessions)."""
    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def _run_worker(work: Path, job: dict, env: dict, limits: Limits) -> list[str]:
    """Run the worker of one student and wait at most the submission's time limit plus a grace
    period; returns notes about how it ended (nothing when it ended normally)."""
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    proc = _workers().Process(target=worker.run_job, name=f"grade {job['student']}",
                              args=(str(work / "job.json"), env, str(work / "worker.log")))
    proc.start()
    proc.join(limits.submission_timeout + GRACE)
    notes = []
    if proc.is_alive():
        _kill_tree(proc.pid)
        proc.join()
        notes.append(f"submission time limit ({limits.submission_timeout} s) hit: grading stopped")
    elif proc.exitcode != 0 and not (work / REPORT).is_file():
        notes.append(f"grader stopped with exit code {proc.exitcode} (see {work / 'worker.log'})")
    _kill_group(proc.pid)
    return notes


def _read_report(work: Path, outcome: Outcome) -> None:
    """Add what the worker's report says to the outcome."""
    path = work / REPORT
    if not path.is_file():
        return
    result = json.loads(path.read_text(encoding="utf-8"))
    outcome.notes.extend(result.get("problems", []))
    autograde, feedback = result.get("autograde", {}), result.get("feedback", {})
    if "crash" in result:
        outcome.notes.append(f"grader error: {result['crash']}")
    elif not autograde.get("success"):
        outcome.notes.append(f"autograde failed: {autograde.get('error', '')}")
    elif not feedback.get("success"):
        outcome.notes.append(f"no feedback: {feedback.get('error', '')}")
    outcome.graded = bool(autograde.get("success"))
    outcome.cpu_seconds = result.get("cpu_seconds", 0.0)


def grade_one(setup: Setup, sub: Submission, limits: Limits, env: dict) -> Outcome:
    """Grade one student in their own course folder and process. Runs in a thread; touches
    nothing shared (collect() merges the result)."""
    started = time.time()
    work = setup.out_dir / "work" / sub.student
    try:
        root = student_course(setup, sub, work)
    except Exception as error:  # noqa: BLE001 - one unreadable submission never stops the run
        sub.notes.append(f"could not read the submission ({type(error).__name__}: {error})")
        sub.gradable = False
    outcome = Outcome(sub.student, list(sub.notes))
    if sub.gradable:
        job = {"course": str(root), "student": sub.student, "assignment": ASSIGNMENT,
               "deadline": time.time() + limits.submission_timeout, **asdict(limits)}
        outcome.notes += _run_worker(work, job, env, limits)
        _read_report(work, outcome)
    outcome.seconds = time.time() - started
    return outcome


def _kill_group(pid: int) -> None:
    """Kill what is left in a finished worker's process group."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def select(found: list[Submission], only: str | None,
           submissions_dir: Path) -> list[Submission]:
    """The submissions to grade: all of them, or the student `only` (SubmissionsError, listing
    the students, if there is no such student)."""
    if only is None:
        return found
    chosen = [s for s in found if s.student == only]
    if not chosen:
        raise SubmissionsError(
            f"no submission of student {only!r} in {submissions_dir}; the students are: "
            + ", ".join(s.student for s in found))
    return chosen


def grade_class(submissions_dir: Path, setup: Setup, limits: Limits = Limits(), jobs: int = 0,
                only: str | None = None, keep_work: bool = False, progress=print,
                id_pattern: str | None = None) -> list[Outcome]:
    """Grade every submission of submissions_dir (or only the student `only`) with `jobs` workers
    (0: one more than the cores); returns the outcomes in student order. Writes status.json,
    grades.csv and scores.png into setup.out_dir. id_pattern: see find_submissions. Kernels run in
    the sandbox unless limits.sandbox is False (SandboxError when none can be made here)."""
    found = select(find_submissions(submissions_dir, id_pattern), only,
                   submissions_dir)
    if limits.sandbox:
        check_available()      # SandboxError, before anything is graded
    jobs = jobs or default_jobs()
    env = worker_env(setup, limits)
    _warm_up(env)
    outcomes = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_one, setup, sub, limits, env) for sub in found]
        for future in as_completed(futures):
            outcome = future.result()
            collect(setup, outcome)
            if not keep_work:
                rmtree(setup.out_dir / "work" / outcome.student)
            progress(f"  graded {outcome.student} in {outcome.seconds:.0f} s: {outcome.status}")
            outcomes.append(outcome)
    status.save_statuses(setup.out_dir, {o.student: o.status for o in outcomes})
    return sorted(outcomes, key=lambda o: o.student)


def _warm_up(env: dict) -> None:
    """Start the server that forks the workers, and build the dataset (when grading uses one) and
    matplotlib's font cache if they are missing, before parallel kernels would each do it (and
    print a stderr notice that would cost a test cell its points)."""
    import matplotlib
    from multiprocessing import forkserver

    _workers()
    forkserver.ensure_running()
    code = ""
    if not any(Path(matplotlib.get_cachedir()).glob("fontlist-*.json")):
        code += "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot\n"
    if "CS231N_DATASETS" in env:
        folder = Path(env["CS231N_DATASETS"])
        if not any((folder / name / "coco2014_vocab.json").is_file()
                   for name in ("coco_captioning", "builtin_captioning")):
            code += "from cs231n.coco_utils import default_data_dir; default_data_dir()\n"
    if code:
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=False,
                       stdout=subprocess.DEVNULL)
