"""Grade a class in parallel: one worker process per student (forked from a server that has
imported nbgrader once), at most --jobs at a time, each killed with everything it started when it
outlives its time limit; the main thread merges the students one at a time.

Where the students are graded is a runner: a function (setup, submissions, limits, env) that
yields each student's Outcome as it is done, with the student's graded course folder in
<out>/work/<student>/. local(jobs) grades on this machine (the default);
kit.grade.cluster.dask_runner(client) on a Dask cluster. A student already merged whose
submission is unchanged (same content hash) is skipped unless regrade is set."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import matplotlib
import psutil
from tqdm import tqdm

from ..paths import ASSIGNMENT, ROOT
from . import interrupt, worker
from .limits import Limits, default_jobs, worker_env
from .gradebook import merged_digests
from .merge import collect
from .sandbox import check_available
from .submissions import Submission, SubmissionsError, content_hash, find_submissions
from .template import Setup, rmtree, student_course
from .worker import REPORT

GRACE = 60            # seconds a worker gets beyond the submission's limit before it is killed
PID_FILE = "worker.pid"
_LIVE: set[int] = set()     # workers running now (killed when grading is interrupted)


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


def kill_tree(pid: int) -> None:
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


def fork_worker(job_file: str, env: dict, log_file: str):
    """Start a worker process forked from the worker server (worker.run_job)."""
    proc = _workers().Process(target=worker.run_job, name="grade",
                              args=(job_file, env, log_file))
    proc.start()
    return proc


def _stop_leftover(work: Path) -> None:
    """Kill the worker (and what it started) that a run stopped by force left grading in work."""
    try:
        pid, started = (work / PID_FILE).read_text().split()
        if psutil.Process(int(pid)).create_time() == float(started):
            kill_tree(int(pid))
    except (OSError, ValueError, psutil.Error):
        pass


def run_worker(work: Path, job: dict, env: dict, limits: Limits,
               start=fork_worker) -> list[str]:
    """Run the worker of one student (started by start(job_file, env, log_file), which returns a
    multiprocessing.Process or its like) and wait at most the submission's time limit plus a
    grace period; returns notes about how it ended (nothing when it ended normally)."""
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    proc = start(str(work / "job.json"), env, str(work / "worker.log"))
    _LIVE.add(proc.pid)
    try:
        (work / PID_FILE).write_text(f"{proc.pid} {psutil.Process(proc.pid).create_time()}")
    except psutil.Error:
        pass                      # it has ended already
    proc.join(limits.submission_timeout + GRACE)
    notes = []
    if proc.is_alive():
        kill_tree(proc.pid)
        proc.join()
        notes.append(f"submission time limit ({limits.submission_timeout} s) hit: grading stopped")
    elif proc.exitcode != 0 and not (work / REPORT).is_file():
        notes.append(f"grader stopped with exit code {proc.exitcode} (see {work / 'worker.log'})")
    _kill_group(proc.pid)
    _LIVE.discard(proc.pid)
    return notes


def read_report(work: Path, outcome: Outcome) -> None:
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


def new_job(root: Path, sub: Submission, limits: Limits) -> dict:
    """The worker's job of a student whose course folder is root."""
    return {"course": str(root), "student": sub.student, "assignment": ASSIGNMENT,
            "deadline": time.time() + limits.submission_timeout, **asdict(limits)}


def prepare_student(setup: Setup, sub: Submission) -> tuple[Path, Path | None]:
    """Write the student's course folder under <out>/work/<student>/: (work folder, course
    folder), the course None (and a note) when the submission cannot be read."""
    work = setup.out_dir / "work" / sub.student
    _stop_leftover(work)
    try:
        return work, student_course(setup, sub, work)
    except Exception as error:  # noqa: BLE001 - one unreadable submission never stops the run
        sub.notes.append(f"could not read the submission ({type(error).__name__}: {error})")
        sub.gradable = False
        return work, None


def grade_one(setup: Setup, sub: Submission, limits: Limits, env: dict) -> Outcome:
    """Grade one student in their own course folder and process. Runs in a thread; touches
    nothing shared (collect() merges the result)."""
    started = time.time()
    work, root = prepare_student(setup, sub)
    outcome = Outcome(sub.student, list(sub.notes))
    if sub.gradable:
        outcome.notes += run_worker(work, new_job(root, sub, limits), env, limits)
        read_report(work, outcome)
    outcome.seconds = time.time() - started
    return outcome


Runner = Callable[[Setup, list, Limits, dict], Iterable[Outcome]]


def local(jobs: int = 0) -> Runner:
    """The runner that grades on this machine with `jobs` worker processes at a time (0: one
    more than the cores)."""
    def run(setup: Setup, subs: list[Submission], limits: Limits, env: dict) -> Iterator[Outcome]:
        warm_up(env)
        with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
            futures = [pool.submit(grade_one, setup, sub, limits, env) for sub in subs]
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, interrupt.POLL, FIRST_COMPLETED)
                    interrupt.check()
                    for future in done:
                        yield future.result()
            finally:                  # stopped (Ctrl-C): no new student, no worker left behind
                for future in futures:
                    future.cancel()
                while not all(future.done() for future in futures):
                    for pid in list(_LIVE):   # again until done: one may start meanwhile
                        kill_tree(pid)
                    wait(futures, 0.1)
    return run


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


def to_grade(found: list[Submission], setup: Setup, regrade: bool = False
             ) -> tuple[list[Submission], dict[str, str]]:
    """(the submissions to grade, {student: content hash} of all of them): every one with
    regrade, else those not merged yet with the same content hash."""
    digests = {sub.student: content_hash(sub.entry) for sub in found}
    merged = {} if regrade else merged_digests(setup.db_url, ASSIGNMENT)
    return [s for s in found if merged.get(s.student) != digests[s.student]], digests


def grade_class(submissions_dir: Path, setup: Setup, limits: Limits = Limits(), jobs: int = 0,
                only: str | None = None, keep_work: bool = False, progress=print,
                id_pattern: str | None = None, regrade: bool = False, bar: bool = False,
                runner: Runner | None = None) -> list[Outcome]:
    """Grade every submission of submissions_dir (or only the student `only`, graded again in
    any case) with `runner` (default: local(jobs)); returns the outcomes of the students graded,
    in student order. A student already merged with the same submission is skipped unless
    regrade. progress(line) is told of each student (None: nothing); bar shows a progress bar
    on stderr when it is a terminal. Writes status.json, grades.csv and scores.png into
    setup.out_dir. id_pattern: see find_submissions. Kernels run in the sandbox unless
    limits.sandbox is False (SandboxError when none can be made here)."""
    found = select(find_submissions(submissions_dir, id_pattern), only,
                   submissions_dir)
    if limits.sandbox:
        check_available()      # SandboxError, before anything is graded
    todo, digests = to_grade(found, setup, regrade or only is not None)
    if not keep_work:       # a run stopped between a merge and its clean-up left this behind
        for student in set(digests) - {sub.student for sub in todo}:
            if (setup.out_dir / "work" / student).exists():
                rmtree(setup.out_dir / "work" / student)
    env = worker_env(setup, limits)
    runner = runner or local(jobs)
    outcomes = []
    with interrupt.stoppable(), tqdm(total=len(todo), unit="student",
                                     disable=None if bar else True, dynamic_ncols=True) as shown:
        for outcome in runner(setup, todo, limits, env):
            collect(setup, outcome, digests[outcome.student])
            interrupt.check()      # a Ctrl-C the merge's finalizers swallowed stops here
            if not keep_work:
                rmtree(setup.out_dir / "work" / outcome.student)
            if progress is not None:
                line = f"  graded {outcome.student} in {outcome.seconds:.0f} s: {outcome.status}"
                if shown.disable:
                    progress(line)
                else:
                    shown.write(line)
            shown.update()
            outcomes.append(outcome)
    return sorted(outcomes, key=lambda o: o.student)


def warm_up(env: dict) -> None:
    """Start the server that forks the workers, then prepare_machine(env)."""
    start_server()
    prepare_machine(env)


def start_server() -> None:
    """Start the server that forks the workers (unless it runs) and wait until it has imported
    them: it forks a first process that does nothing."""
    first = _workers().Process(target=os.getpid, name="warm-up")
    first.start()
    first.join()


def prepare_machine(env: dict) -> None:
    """Build the dataset (when grading uses one) and matplotlib's font cache if they are
    missing, before parallel kernels would each do it (and print a stderr notice that would cost
    a test cell its points)."""
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
