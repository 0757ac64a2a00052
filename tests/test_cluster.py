"""Grading on a Dask cluster, worker loss, and resuming a grading run that was killed.

A real distributed.LocalCluster (two worker processes over TCP on 127.0.0.1) grades a few students
of the small course (tests/grading_support.py); the local pool grades the same students once for
the whole module, and every run is compared with it cell by cell.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import dask
import psutil
import pytest
from distributed import LocalCluster
from nbgrader.api import Gradebook

from kit.grade import cluster, gradebook
from kit.grade.limits import Limits, worker_env
from kit.grade.status import load_statuses
from kit.grade.template import prepare
from kit.nbgrader_api import course_id, sqlite_url
from kit.paths import ASSIGNMENT
from kit.release import build as release
from kit.report.outputs import grade_and_report
from tests.grading_support import ROOT, copy_release, make_repo, put_reference, set_answer

pytestmark = pytest.mark.slow

LIMITS = Limits(cell_timeout=20, submission_timeout=300, memory_mb=1500, max_output_bytes=50_000)
STUDENTS = ["reference", "untouched", "wrong_answer"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The small course and three submissions: full marks, nothing, all but the answer."""
    base = tmp_path_factory.mktemp("cluster")
    repo = make_repo(base / "repo")
    result = release.build_release(base / "course", base / "release", root=repo)
    submissions = base / "submissions"
    for student, answer in [("reference", "def double(x):\n    return x * 2"),
                            ("wrong_answer", "def double(x):\n    return x * 3")]:
        folder = copy_release(result.folder, submissions / student)
        put_reference(folder, result.student_files)
        set_answer(folder, answer)
    copy_release(result.folder, submissions / "untouched")
    return SimpleNamespace(base=base, repo=repo, submissions=submissions)


def fresh(course, dest: Path):
    """A copy of the course with an empty class gradebook, and its grading setup."""
    shutil.copytree(course.base / "course", dest / "course",
                    ignore=shutil.ignore_patterns("gradebook.db", "submitted", "autograded",
                                                  "feedback"))
    return prepare(dest / "course", dest / "grading", root=course.repo, build=False,
                   datasets_dir=None)


def scores(setup) -> dict:
    """{(student, notebook, cell): score} of the class gradebook."""
    with Gradebook(setup.db_url, course_id(setup.course_dir)) as gb:
        return {(sub.student.id, nb.name, g.name): g.score
                for sub in gb.assignment_submissions(ASSIGNMENT)
                for nb in sub.notebooks for g in nb.grades}


@pytest.fixture(scope="module")
def local(course, tmp_path_factory):
    """The students graded by the local pool (the work folders kept)."""
    setup = fresh(course, tmp_path_factory.mktemp("local"))
    outcomes = grade_and_report(course.submissions, setup, LIMITS, jobs=2, keep_work=True,
                                progress=None)
    assert [o.student for o in outcomes] == STUDENTS
    graded = scores(setup)
    assert {student for student, _, _ in graded} == set(STUDENTS)
    return SimpleNamespace(setup=setup, scores=graded, statuses=load_statuses(setup.out_dir))


@pytest.fixture(scope="module")
def dask_cluster():
    """Two worker processes of one thread each, over TCP on 127.0.0.1. A task is given up once
    it was running on two workers that died."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp",
                          host="127.0.0.1", dashboard_address=":0") as local_cluster:
            with cluster.connect(local_cluster.scheduler_address) as client:
                yield SimpleNamespace(cluster=local_cluster, client=client)


def grading(worker_pid: int) -> str | None:
    """The student a Dask worker process is grading now, if any (from its kit worker's job)."""
    try:
        for child in psutil.Process(worker_pid).children(recursive=True):
            command = child.cmdline()
            if "kit.grade.worker" in command:
                return json.loads(Path(command[-1]).read_text())["student"]
    except (psutil.Error, OSError, ValueError):
        pass
    return None


class MachineLoss(threading.Thread):
    """Kills a Dask worker process and everything it started (as a lost machine would) while it
    grades `student`, up to `times` times."""

    def __init__(self, client, student: str, times: int):
        super().__init__(daemon=True)
        self.client, self.student, self.times = client, student, times
        self.killed: list[str] = []
        self.stop = threading.Event()

    def run(self):
        while len(self.killed) < self.times and not self.stop.is_set():
            try:
                pids = self.client.run(os.getpid)
            except Exception:  # noqa: BLE001 - a worker is starting again
                pids = {}
            for pid in pids.values():
                if grading(pid) == self.student:
                    try:
                        family = psutil.Process(pid).children(recursive=True)
                        for proc in [psutil.Process(pid)] + family:
                            proc.kill()
                    except psutil.Error:
                        continue
                    self.killed.append(self.student)
                    break
            time.sleep(0.2)


def test_the_nanny_s_memory_setting_reaches_no_grading(dask_cluster):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_ for its worker, in its own process too (for a
    LocalCluster, this one). It turns off glibc's adaptive mmap threshold, which makes numpy
    code take much more CPU: neither a Dask worker's grading nor the local pool's gets it."""
    client = dask_cluster.client
    assert all(client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values())
    assert os.getenv("MALLOC_TRIM_THRESHOLD_")
    limits = Limits(sandbox=False)
    for env in [worker_env(SimpleNamespace(datasets_dir=None), limits),
                *client.run(cluster._environment, limits, False).values()]:
        assert "MALLOC_TRIM_THRESHOLD_" not in env


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon-workers", "forking-workers"])
def test_a_dask_cluster_grades_like_the_local_pool(course, local, dask_cluster, tmp_path, daemon):
    """Daemon workers (Dask's default) start each kit worker as a command; the others fork it
    from a server, as the local pool does."""
    setup = fresh(course, tmp_path)
    if daemon:
        outcomes = grade_and_report(course.submissions, setup, LIMITS, progress=None,
                                    runner=cluster.dask_runner(dask_cluster.client))
    else:
        with dask.config.set({"distributed.worker.daemon": False}), \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp",
                             host="127.0.0.1", dashboard_address=":0") as forking, \
                cluster.connect(forking.scheduler_address) as client:
            outcomes = grade_and_report(course.submissions, setup, LIMITS, progress=None,
                                        runner=cluster.dask_runner(client))
    assert [o.student for o in outcomes] == STUDENTS
    assert scores(setup) == local.scores
    assert load_statuses(setup.out_dir) == local.statuses
    for student in STUDENTS:
        assert (setup.course_dir / "feedback" / student / ASSIGNMENT / "Mini.html").is_file()
        assert (setup.course_dir / "autograded" / student / ASSIGNMENT / "Mini.ipynb").is_file()
        assert (setup.out_dir / "feedback" / f"{student}.zip").is_file()


def test_grading_waits_for_the_first_worker_to_join(course, local, tmp_path):
    """A scheduler with no worker yet (batch jobs still queued, as in the README's SLURM example):
    grading says it waits, grades nobody until a worker joins, then everyone."""
    with LocalCluster(n_workers=0, threads_per_worker=1, processes=True, protocol="tcp",
                      host="127.0.0.1", dashboard_address=":0") as empty, \
            cluster.connect(empty.scheduler_address) as client:
        setup = fresh(course, tmp_path)
        said, outcomes = [], []
        grading = threading.Thread(target=lambda: outcomes.extend(grade_and_report(
            course.submissions, setup, LIMITS, progress=None,
            runner=cluster.dask_runner(client, say=said.append))))
        grading.start()
        deadline = time.time() + 120
        while not said and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(3)
        assert grading.is_alive()
        assert said == [f"No Dask worker has joined the scheduler at {empty.scheduler_address} "
                        "yet: waiting for the first one (workers started as batch jobs may still "
                        "be queued; Ctrl-C stops) ..."]
        assert gradebook.merged_digests(setup.db_url, ASSIGNMENT) == {}
        empty.scale(1)
        grading.join(600)
        assert not grading.is_alive()
    assert [o.student for o in outcomes] == STUDENTS
    assert scores(setup) == local.scores
    assert load_statuses(setup.out_dir) == local.statuses


def test_a_worker_lost_mid_task_costs_a_retry_not_a_student(course, local, dask_cluster,
                                                            tmp_path):
    setup = fresh(course, tmp_path)
    loss = MachineLoss(dask_cluster.client, "reference", times=1)
    loss.start()
    outcomes = grade_and_report(course.submissions, setup, LIMITS, progress=None,
                                runner=cluster.dask_runner(dask_cluster.client))
    loss.stop.set()
    assert loss.killed == ["reference"]
    assert [o.student for o in outcomes] == STUDENTS          # each merged once
    assert scores(setup) == local.scores
    assert load_statuses(setup.out_dir) == local.statuses
    assert set(gradebook.merged_digests(setup.db_url, ASSIGNMENT)) == set(STUDENTS)
    dask_cluster.client.wait_for_workers(2, timeout=180)   # the nanny restarts the dead one


def test_a_submission_that_kills_its_worker_every_time_is_given_up(course, local, dask_cluster,
                                                                   tmp_path):
    setup = fresh(course, tmp_path)
    loss = MachineLoss(dask_cluster.client, "untouched", times=2)
    loss.start()
    outcomes = grade_and_report(course.submissions, setup, LIMITS, progress=None,
                                runner=cluster.dask_runner(dask_cluster.client))
    loss.stop.set()
    assert loss.killed == ["untouched", "untouched"]
    assert [o.student for o in outcomes] == STUDENTS
    status = load_statuses(setup.out_dir)
    assert "loss of its Dask worker each time it was tried" in status["untouched"]
    assert {k: v for k, v in status.items() if k != "untouched"} == {
        k: v for k, v in local.statuses.items() if k != "untouched"}
    graded = scores(setup)
    assert {k: v for k, v in graded.items() if k[0] != "untouched"} == {
        k: v for k, v in local.scores.items() if k[0] != "untouched"}
    assert all(v == 0 for k, v in graded.items() if k[0] == "untouched")
    dask_cluster.client.wait_for_workers(2, timeout=180)   # the nanny restarts the dead one


KILLED_RUN = """
import sys
from kit.grade.limits import Limits, worker_env
from kit.grade.template import prepare
from kit.report.outputs import grade_and_report
course, out, repo, submissions = sys.argv[1:]
setup = prepare(course, out, root=repo, build=False, datasets_dir=None)
grade_and_report(submissions, setup, Limits(**{LIMITS}), jobs=1, progress=None)
"""


# Ctrl-C while the main thread runs a finalizer (here one that presses Ctrl-C itself after the
# first merge): Python prints that KeyboardInterrupt and goes on, so the run has to stop on its own
LOST_CTRL_C = """
import os, signal, time
from kit.grade import pool
merge = pool.collect

class PressesCtrlC:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)                     # the KeyboardInterrupt is raised, and lost, here

def collect(*args, **kwargs):
    merge(*args, **kwargs)
    PressesCtrlC()

pool.collect = collect
"""


def ctrl_c_as_in_a_terminal() -> None:
    """Ctrl-C's default action in the grading process, as in a terminal, even when the tests
    were started in the background of a shell, which ignores SIGINT (and its children with it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop", ["SIGKILL", "Ctrl-C", "Ctrl-C lost in a finalizer",
                                  "Ctrl-C on Dask"])
def test_a_run_killed_mid_class_is_resumed_where_it_stopped(course, local, tmp_path, stop,
                                                            request):
    """SIGKILL or Ctrl-C of the grading process once a student is merged; the next run grades
    only the others, and the one after it nobody. Stopped on Dask, the workers stop grading."""
    setup = fresh(course, tmp_path)
    code = KILLED_RUN.replace("{LIMITS}", repr(vars(LIMITS)))
    if stop == "Ctrl-C lost in a finalizer":
        code = LOST_CTRL_C + code
    if stop == "Ctrl-C on Dask":
        dask_cluster = request.getfixturevalue("dask_cluster")
        code = code.replace("progress=None)", "progress=None, runner=dask_runner(connect(%r)))"
                            % dask_cluster.cluster.scheduler_address)
        code = "from kit.grade.cluster import connect, dask_runner\n" + code
    run = subprocess.Popen([sys.executable, "-c", code, str(setup.course_dir),
                            str(setup.out_dir), str(course.repo), str(course.submissions)],
                           cwd=ROOT, stderr=subprocess.PIPE, text=True,
                           preexec_fn=ctrl_c_as_in_a_terminal)
    if stop == "Ctrl-C lost in a finalizer":
        _, stderr = run.communicate(timeout=600)
        assert "Exception ignored in" in stderr and "KeyboardInterrupt" in stderr
        assert run.returncode != 0, stderr[-2000:]
    else:
        deadline = time.time() + 300
        while not gradebook.merged_digests(setup.db_url, ASSIGNMENT) and time.time() < deadline:
            assert run.poll() is None, "the run ended before it was killed"
            time.sleep(0.1)
        run.send_signal(signal.SIGKILL if stop == "SIGKILL" else signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
        assert run.returncode != 0, stderr[-2000:]
    if stop == "Ctrl-C on Dask":
        assert not [pid for pid in dask_cluster.client.run(os.getpid).values() if grading(pid)]
    merged = set(gradebook.merged_digests(setup.db_url, ASSIGNMENT))
    assert merged and merged != set(STUDENTS)
    left_behind = [int((setup.out_dir / "work" / s / "worker.pid").read_text().split()[0])
                   for s in STUDENTS if (setup.out_dir / "work" / s / "worker.pid").is_file()
                   and s not in merged]

    outcomes = grade_and_report(course.submissions, setup, LIMITS, jobs=2, progress=None)
    assert [o.student for o in outcomes] == sorted(set(STUDENTS) - merged)
    assert not [pid for pid in left_behind if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert scores(setup) == local.scores
    assert load_statuses(setup.out_dir) == local.statuses
    assert sorted(p.stem for p in (setup.out_dir / "feedback").glob("*.zip")) == STUDENTS
    assert grade_and_report(course.submissions, setup, LIMITS, jobs=2, progress=None) == []
    assert [o.student for o in grade_and_report(course.submissions, setup, LIMITS, jobs=2,
                                                progress=None, only="untouched")] == ["untouched"]


KILLED_MERGE = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from kit.grade import gradebook
source, target, cid, student = sys.argv[1:]
results = gradebook.read_results(source, cid, "rnn_captioning", student)
flushes = []

def kill_at_the_second_write(*args):
    flushes.append(1)
    if len(flushes) == 2:      # the student's row is written, the submission's is being written
        os.kill(os.getpid(), signal.SIGKILL)

if os.environ.get("KILL_AT_FLUSH"):
    event.listen(Session, "after_flush", kill_at_the_second_write)
gradebook.merge_submission(results, target, cid, "rnn_captioning", student, "abc")
"""


def test_a_merge_killed_half_way_leaves_the_gradebook_as_it_was(course, local, tmp_path):
    """The merge is killed at its second write to the database (after the student's row, which
    nbgrader commits on its own): nothing of it is in the gradebook; merged again, all of it is."""
    setup = fresh(course, tmp_path)
    cid = course_id(setup.course_dir)
    source = sqlite_url(local.setup.out_dir / "work" / "reference" / "course" / "gradebook.db")
    command = [sys.executable, "-c", KILLED_MERGE, source, setup.db_url, cid, "reference"]
    killed = subprocess.run(command, cwd=ROOT, env={**os.environ, "KILL_AT_FLUSH": "1"})
    assert killed.returncode == -signal.SIGKILL
    with Gradebook(setup.db_url, cid) as gb:
        assert [s.id for s in gb.students] == []
    assert gradebook.merged_digests(setup.db_url, ASSIGNMENT) == {}
    subprocess.run(command, cwd=ROOT, check=True)
    assert {k: v for k, v in local.scores.items() if k[0] == "reference"} == scores(setup)
    assert gradebook.merged_digests(setup.db_url, ASSIGNMENT) == {"reference": "abc"}


def test_no_scheduler_at_the_address_is_a_clear_error():
    with pytest.raises(cluster.ClusterError, match="no Dask scheduler at 'tcp://127.0.0.1:1'.*"
                                                   "dask worker ADDRESS"):
        cluster.connect("tcp://127.0.0.1:1", timeout=2)


def test_a_worker_that_cannot_make_the_sandbox_stops_grading_before_it_starts(dask_cluster,
                                                                             tmp_path):
    """The sandbox is needed where the student code runs: on the workers. A cluster whose
    worker has no bubblewrap is refused, naming it; the module's workers pass."""
    cluster.check_workers(dask_cluster.client)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tcp",
                      host="127.0.0.1", dashboard_address=":0",
                      env={"PATH": str(tmp_path / "no-bwrap")}) as bare:
        with cluster.connect(bare.scheduler_address) as client:
            with pytest.raises(cluster.SandboxError,
                               match=r"1 of 1 Dask worker\(s\) cannot make the grading sandbox; "
                                     r"tcp://127\.0\.0\.1:\d+: bubblewrap .*apt-get install"):
                cluster.check_workers(client)
