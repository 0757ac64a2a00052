"""Grade a class on a Dask cluster (``kit grade --scheduler ADDRESS``, or $DASK_SCHEDULER_ADDRESS).

Each student is one Dask task. No file system is shared: the head writes the student's course
folder as the local pool does, sends it to the task as bytes (the grading source, the template
gradebook and the configuration, plus the student's nbgrader submission), and gets the graded
folder back as bytes (gradebook.db, autograded/, feedback/, report.json, worker.log), unpacked into
<out>/work/<student>/; the head then merges the student as it does after local grading, one at a
time. On the worker, the task runs the kit's worker (``python -m kit.grade.worker``) in a process
of its own, under the same limits and environment as locally, and kills it with everything it
started when it outlives its time limit. A worker started with DASK_DISTRIBUTED__WORKER__DAEMON=False
forks that process from a server that has imported nbgrader once, as the local pool does; a
daemon worker (Dask's default, which multiprocessing does not let start processes) starts it as
``python -m kit.grade.worker``, which costs a few seconds of CPU per student for the imports.
Before the first student is sent, every worker gets ready at once (that server started, the
dataset built), so the first tasks do not wait for it one after another.

A scheduler with no worker yet (batch jobs still queued) is waited for; workers that join later
get students too.

A worker that dies (killed, its machine lost) costs the tasks it was running a new try elsewhere;
a task that was running on `distributed.scheduler.allowed-failures` + 1 workers that died (3 + 1 by
default) is given up: the student is not graded and the status says why. Stopped (Ctrl-C), the
head cancels the tasks not done and has the workers kill the grading of those running.

One task per worker thread is in flight at a time, and one more student per thread is packed ahead
on the head and sent as soon as a task ends, before its merge: the head never holds the whole
class in memory, a worker never queues a student another could grade, and a thread does not wait
for the head.
"""
from __future__ import annotations

import io
import multiprocessing
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

from distributed import Client, as_completed
from distributed.scheduler import KilledWorker

from ..paths import ASSIGNMENT, ROOT, default_datasets
from . import interrupt
from .limits import Limits, worker_env
from .pool import (Outcome, Runner, fork_worker, kill_tree, new_job, prepare_machine,
                   prepare_student, read_report, run_worker, start_server)
from .sandbox import SandboxError, check_available
from .submissions import Submission
from .template import Setup
from .worker import REPORT

ENV_ADDRESS = "DASK_SCHEDULER_ADDRESS"
# The Dask settings of the cluster's processes that the README recommends (as environment
# variables): workers that may fork the kit's worker; no statistical profiler; event loop checks
# every second instead of every 20 ms, the workers' memory every second instead of every 100 ms,
# and the machine's load every 5 s instead of 0.5 s. While tasks sleep, two workers with their
# nannies, the scheduler and a client take 17% of a core with Dask's defaults, 2% with these.
SETTINGS = {"distributed.worker.daemon": False,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.tick.interval": "1s",
            "distributed.worker.memory.monitor-interval": "1s",
            "distributed.admin.system-monitor.interval": "5s"}
TASKS_PER_THREAD = 1       # tasks in flight per worker thread (the next is sent as one ends)
RETRIES = 2                # new tries of a task that raised (not of one whose worker died)
RESULTS = (REPORT, "worker.log", "course/gradebook.db", "course/autograded",
           "course/feedback")


class ClusterError(ValueError):
    """A scheduler that cannot be reached."""


def connect(address: str, timeout: float = 20) -> Client:
    """A client of the Dask scheduler at address (ClusterError, saying what to do, if there is
    none)."""
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(
            f"no Dask scheduler at {address!r} ({type(error).__name__}: {error}); start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS` (see the README), or grade "
            "on this machine without --scheduler") from None


def wait_for_workers(client: Client, say=None) -> None:
    """Return once the cluster has a worker. A scheduler may have none yet (batch jobs still in
    their queue): say(message) is called, then the wait lasts until one joins or Ctrl-C."""
    if client.nthreads():
        return
    if say is not None:
        say(f"No Dask worker has joined the scheduler at {client.scheduler.address} yet: waiting "
            "for the first one (workers started as batch jobs may still be queued; Ctrl-C "
            "stops) ...")
    client.wait_for_workers(1)


def pack(folder: Path, names) -> bytes:
    """A gzipped tar of the files and folders `names` (paths relative to folder; missing ones are
    left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name in names:
            if (Path(folder) / name).exists():
                tar.add(Path(folder) / name, arcname=name)
    return buffer.getvalue()


def unpack(data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")


class _Subprocess:
    """A worker started as ``python -m kit.grade.worker JOB.json`` in a session of its own, with
    the interface of multiprocessing.Process that pool.run_worker uses (for a daemon Dask worker,
    which multiprocessing does not let start processes)."""

    def __init__(self, job_file: str, env: dict, log_file: str):
        with open(log_file, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "kit.grade.worker", job_file],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid

    def join(self, timeout: float | None = None) -> None:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def exitcode(self) -> int | None:
        return self.proc.returncode


_PREPARED: set[tuple] = set()
_PREPARING = threading.Lock()


def _environment(limits: Limits, datasets: bool) -> dict:
    """The grading environment on this worker machine (its own datasets folder when the course
    uses one), with the dataset and font cache built and the sandbox tried once per worker
    process (SandboxError when the limits ask for a sandbox this machine cannot make: the task
    fails rather than grade without one)."""
    env = worker_env(SimpleNamespace(datasets_dir=default_datasets() if datasets else None),
                     limits)
    with _PREPARING:
        if (limits, datasets) not in _PREPARED:
            if limits.sandbox:
                check_available()
            prepare_machine(env)
            _PREPARED.add((limits, datasets))
    return env


def _warm_up(limits: Limits, datasets: bool) -> None:
    """On a worker: what its first task would do before it grades (the grading environment, and
    the server that forks kit workers started, nbgrader imported there)."""
    _environment(limits, datasets)
    if not multiprocessing.current_process().daemon:
        start_server()


def warm_up(client: Client, limits: Limits, datasets: bool) -> None:
    """Get every worker of the cluster ready to grade, all at once (one that cannot is left to
    fail its tasks, whose status says why)."""
    client.run(_warm_up, limits, datasets, on_error="ignore")


def _sandbox_problem() -> str:
    """Why this machine cannot make a grading sandbox ("" when it can)."""
    try:
        check_available()
    except SandboxError as error:
        return str(error)
    return ""


def check_workers(client: Client) -> None:
    """SandboxError unless every worker of the cluster can make the grading sandbox (the head,
    which runs no student code, needs none)."""
    problems = {worker: problem for worker, problem in client.run(_sandbox_problem).items()
                if problem}
    if problems:
        worker, problem = next(iter(problems.items()))
        raise SandboxError(f"{len(problems)} of {len(client.nthreads())} Dask worker(s) cannot "
                           f"make the grading sandbox; {worker}: {problem}", hint="")


_TASKS: dict[str, int] = {}     # on a worker: key of a grading task -> its kit worker's pid


def grade_remote(common: bytes, submitted: bytes, job: dict, limits: Limits,
                 datasets: bool, key: str = "") -> tuple[list[str], bytes]:
    """The Dask task `key` that grades one student: unpack the course folder (common: what
    every student shares; submitted: the student's submitted/ folder), run the worker under the
    limits (the submission's deadline counts from now), return (notes on how the worker ended,
    the graded folder packed)."""
    start = _Subprocess if multiprocessing.current_process().daemon else fork_worker

    def started(*args):
        process = start(*args)
        _TASKS[key] = process.pid
        return process

    with tempfile.TemporaryDirectory(prefix="kit-grade-") as tmp:
        work = Path(tmp)
        unpack(common, work / "course")
        unpack(submitted, work / "course")
        job = {**job, "course": str(work / "course"),
               "deadline": time.time() + limits.submission_timeout}
        try:
            notes = run_worker(work, job, _environment(limits, datasets), limits, start=started)
        finally:
            _TASKS.pop(key, None)
        return notes, pack(work, RESULTS)


def stop_tasks(keys: list[str]) -> None:
    """On a worker: kill the kit workers of these grading tasks and what they started (Dask
    cannot stop a task that is running; its thread is free once its kit worker is gone)."""
    for key in keys:
        if key in _TASKS:
            kill_tree(_TASKS[key])


def shared_payload(setup: Setup) -> bytes:
    """What every student's course folder holds: the grading source, the template gradebook and
    the configuration."""
    template = setup.template_db.parent
    return pack(template, [f"source/{ASSIGNMENT}", "gradebook.db", "nbgrader_config.py"])


def dask_runner(client: Client, say=None) -> Runner:
    """The runner that grades each student as a task of the cluster that client is connected
    to (once it has a worker: wait_for_workers, which calls say)."""
    def run(setup: Setup, subs: list[Submission], limits: Limits, env: dict) -> Iterator[Outcome]:
        wait_for_workers(client, say)
        # what every student shares goes to each worker once, not with every task
        common = client.scatter(shared_payload(setup), broadcast=True)
        datasets = setup.datasets_dir is not None
        warm_up(client, limits, datasets)
        waiting = iter(subs)
        packed: deque[tuple[Submission, tuple]] = deque()   # ready for the next free thread
        running: dict[str, tuple[Submission, float]] = {}
        done = as_completed()

        def threads() -> int:
            return max(sum(client.nthreads().values()), 1)

        def pack_more() -> Iterator[Outcome]:
            """Pack students until one per worker thread is ready; yields those with nothing
            to grade."""
            while len(packed) < threads():
                sub = next(waiting, None)
                if sub is None:
                    return
                work, root = prepare_student(setup, sub)
                if root is None or not sub.gradable:
                    yield Outcome(sub.student, list(sub.notes))
                    continue
                packed.append((sub, (common, pack(root, ["submitted"]),
                                     new_job(root, sub, limits), limits, datasets)))

        def submit() -> None:
            """Send packed students to the cluster, one per worker thread."""
            while packed and len(running) < TASKS_PER_THREAD * threads():
                sub, args = packed.popleft()
                key = f"grade-{sub.student}-{time.time_ns()}"
                future = client.submit(grade_remote, *args, key, pure=False, retries=RETRIES,
                                       key=key)
                running[future.key] = (sub, time.time())
                done.add(future)

        try:
            while True:
                yield from pack_more()
                submit()
                yield from pack_more()          # packed ahead while the cluster grades
                if not running:
                    return
                interrupt.wait_until(done.has_ready)
                future = next(done)
                sub, started = running.pop(future.key)
                submit()                        # the free thread gets its next student first
                yield _outcome(setup, sub, future, started)
                future.release()
        finally:                    # stopped: the cluster drops what was not done
            client.cancel(list(done.futures))
            if running:             # and the workers stop grading the students it was
                client.run(stop_tasks, list(running), on_error="ignore")
    return run


def _outcome(setup: Setup, sub: Submission, future, started: float) -> Outcome:
    """The outcome of a finished task, its graded folder unpacked into <out>/work/<student>/."""
    outcome = Outcome(sub.student, list(sub.notes))
    work = setup.out_dir / "work" / sub.student
    try:
        notes, graded = future.result()
        unpack(graded, work)
        outcome.notes += notes
        read_report(work, outcome)
    except KilledWorker as error:
        outcome.notes.append(f"grading was stopped by the loss of its Dask worker each time it was "
                             f"tried ({error}): not graded")
    except Exception as error:  # noqa: BLE001 - one student's failure never stops the run
        outcome.notes.append(f"grading failed on the Dask cluster ({type(error).__name__}: "
                             f"{error})"[:300])
    outcome.seconds = time.time() - started
    return outcome
