"""Grade the same submissions with serial `nbgrader autograde` and with the kit's parallel grading.

The submissions are the demo's samples (the reference, the untouched release, one copy of the
reference per sample bug; --copies repeats them). The kit grades them as `python -m kit grade`
does: intake, autograde with the kit's limits, the cross-check, feedback HTML, the merge into the
class gradebook, grades.csv and the plot, with --jobs workers (default: the kit's, one more than the cores). The baseline
is one `nbgrader autograde rnn_captioning` command over the very same nbgrader submissions (the
kit's intake output, hidden-check notebook included) in a course of its own: nbgrader grades them
one after the other; `nbgrader generate_feedback` then writes their feedback (timed apart). Both
use the same environment (one BLAS thread per process, the same dataset). The script prints the
wall times, the CPU times, the ratio kit / serial autograde (lower is better; the target is <= 0.6
on 2 cores for 4 or more submissions) and the ratio to serial autograde + feedback (the same
output as the kit), and checks that every test cell got the same score both ways. Other programs
running on the machine slow the kit's parallel workers more than one serial process: the script
warns when the load average was high.

The kit grades in its sandbox (kit.grade.sandbox), as `kit grade` does; each round also grades
the same submissions with --no-sandbox, and the script prints the ratio sandboxed / unsandboxed
wall time (the sandbox's cost; target <= 1.05).

The kit and the serial run alternate for --rounds rounds and the medians are shown, which keeps
the result steadier when other programs use the machine for part of the run.

    python bench/bench_grading.py [--jobs 0] [--copies 1] [--rounds 3] [--out build/bench]

With --scheduler it measures Dask instead: the same class graded by the local pool with --jobs
workers (default 2 here), then on a Dask LocalCluster on this machine (TCP on 127.0.0.1, with the
settings the README recommends: kit.grade.cluster.SETTINGS) with one worker of --jobs threads
and with two workers sharing them, so that each run grades as many students at a time. Each layout is first made ready to grade (the local pool starts the server
that forks its workers; the Dask workers start theirs, cluster.warm_up), which is timed apart:
a course's cluster does it once, not once per class. It prints the wall time and throughput of
each, and Dask's overhead per student: the extra wall time per student over the local pool of
the same round (rounds alternate the order of the layouts), median over the rounds, and its
share of the time one student takes to grade. Where the time goes: the share of the cores left
idle, the CPU time of the head (for Dask: its scheduler, client and the LocalCluster's nannies
too) and of Dask's worker processes (without the kit workers they start, whose CPU per student
is shown apart), and Dask's own CPU per student: the Dask workers' and the head's beyond the
local pool's head, the share of the cores Dask takes from grading, which the machine's noise
does not blur as it blurs the wall times.

    python bench/bench_grading.py --scheduler [--jobs 2] [--copies 1] [--rounds 1]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing import forkserver
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dask  # noqa: E402
import psutil  # noqa: E402
from distributed import LocalCluster  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from kit.demo import samples  # noqa: E402
from kit.demo.pipeline import build_dataset  # noqa: E402
from kit.grade import cluster  # noqa: E402
from kit.grade.limits import Limits, default_jobs, worker_env  # noqa: E402
from kit.grade.pool import local, warm_up  # noqa: E402
from kit.grade.template import Setup, prepare  # noqa: E402
from kit.nbgrader_api import check, course_id, open_api, sqlite_url, tools_on_path  # noqa: E402
from kit.paths import ASSIGNMENT, BUILD, default_datasets  # noqa: E402
from kit.release.build import build_release  # noqa: E402
from kit.report.outputs import grade_and_report  # noqa: E402


def cell_scores(db_url: str, cid: str, extra: bool = True) -> dict:
    """{(student, notebook, cell): (autograded score, extra credit)} of every grade of the
    assignment; the autograded score only with extra=False (nbgrader cannot autograde extra
    credit: the kit's extra-credit cells are worth 0 nbgrader points, kit.grade.extra_credit)."""
    with Gradebook(db_url, cid) as gb:
        return {(sub.student.id, nb.name, grade.name):
                (grade.auto_score, grade.extra_credit) if extra else grade.auto_score
                for sub in gb.assignment_submissions(ASSIGNMENT)
                for nb in sub.notebooks for grade in nb.grades}


def make_submissions(release_folder: Path, dest: Path, copies: int) -> list[str]:
    described = samples.make_samples(release_folder, dest)
    for copy in range(2, copies + 1):
        for student in list(described):
            shutil.copytree(dest / student, dest / f"{student}_{copy}")
    return sorted(p.name for p in dest.iterdir())


def serial_course(setup: Setup, kit_course: Path, folder: Path, students: list[str]) -> Path:
    """A course for plain nbgrader with the kit's grading source and the kit's intake output."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(setup.grading_source, folder / "source" / ASSIGNMENT)
    shutil.copy2(kit_course / "nbgrader_config.py", folder / "nbgrader_config.py")
    check(open_api(folder).generate_assignment(ASSIGNMENT), "generate_assignment")
    for student in students:
        shutil.copytree(kit_course / "submitted" / student, folder / "submitted" / student)
    return folder


def run_serial(course_dir: Path, step: str, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one serial nbgrader command on the whole class."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", step, ASSIGNMENT, "--force",
                    "--log-level=ERROR"], cwd=course_dir, env={**env, "PATH": os.environ["PATH"]},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=0, help="kit workers (default 0: the kit's default, one more than the cores)")
    parser.add_argument("--copies", type=int, default=1,
                        help="how many copies of each of the 6 samples to grade (default 1)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="kit and serial runs, alternated; the medians are shown (default 3)")
    parser.add_argument("--out", type=Path, default=BUILD / "bench",
                        help="working folder (default: %(default)s)")
    parser.add_argument("--scheduler", action="store_true",
                        help="compare the local pool with Dask LocalClusters of 1 and 2 workers")
    args = parser.parse_args(argv)
    if args.scheduler:
        return dask_main(args)
    out = args.out.resolve()
    cores = os.cpu_count() or 1
    jobs = args.jobs or default_jobs()

    print("Preparing the release, the submissions and the courses ...", flush=True)
    kit_course = out / "kit_course"
    if out.exists():
        shutil.rmtree(out)
    released = build_release(kit_course, out / "release")
    students = make_submissions(released.folder, out / "submissions", args.copies)
    datasets = default_datasets()
    setup = prepare(kit_course, out / "kit_grading", build=False, datasets_dir=datasets)
    limits = Limits()
    env = worker_env(setup, limits)
    build_dataset(datasets)      # built once, before either timing

    tools_on_path()
    cid = course_id(kit_course)
    serial = None
    rounds, loads, same, same_sandbox = [], [], True, True
    for number in range(1, args.rounds + 1):
        loads.append(os.getloadavg()[0])
        forkserver._forkserver._stop()   # each round starts the worker server, as `kit grade` does
        start = time.perf_counter()
        outcomes = grade_and_report(out / "submissions", setup, limits, jobs,
                                   progress=None, regrade=True)
        kit = (time.perf_counter() - start, sum(o.cpu_seconds for o in outcomes))
        sandboxed_scores = cell_scores(setup.db_url, cid)
        forkserver._forkserver._stop()
        start = time.perf_counter()
        grade_and_report(out / "submissions", setup, replace(limits, sandbox=False), jobs,
                         progress=lambda _: None, regrade=True)
        unsandboxed = time.perf_counter() - start
        same_sandbox = same_sandbox and sandboxed_scores == cell_scores(setup.db_url, cid)
        if serial is None:     # nbgrader gets the submissions the kit's intake wrote
            serial = serial_course(setup, kit_course, out / "serial_course", students)
        autograde = run_serial(serial, "autograde", env)
        feedback = run_serial(serial, "generate_feedback", env)
        loads.append(os.getloadavg()[0])
        scores = cell_scores(setup.db_url, cid, extra=False)
        same = same and bool(scores) and scores == cell_scores(sqlite_url(serial / "gradebook.db"),
                                                               cid, extra=False)
        rounds.append((kit, autograde, feedback, unsandboxed))
        print(f"  round {number}: kit {kit[0]:6.1f} s (unsandboxed {unsandboxed:6.1f} s), serial "
              f"autograde {autograde[0]:6.1f} s, serial feedback {feedback[0]:5.1f} s: ratio "
              f"{kit[0] / autograde[0]:.2f}", flush=True)

    def median(values):
        return statistics.median(values)

    kit_s, kit_cpu = median([r[0][0] for r in rounds]), median([r[0][1] for r in rounds])
    auto_s, auto_cpu = median([r[1][0] for r in rounds]), median([r[1][1] for r in rounds])
    feed_s, feed_cpu = median([r[2][0] for r in rounds]), median([r[2][1] for r in rounds])
    print(f"\n{len(students)} submissions, {cores} cores, kit with {jobs} workers, "
          f"median of {len(rounds)} round(s)")
    print(f"  nbgrader autograde, serial:                  {auto_s:7.1f} s   CPU {auto_cpu:6.1f} s")
    print(f"  nbgrader generate_feedback, serial:          {feed_s:7.1f} s   CPU {feed_cpu:6.1f} s")
    print(f"  kit grade, parallel (incl. feedback, merge): {kit_s:7.1f} s   CPU {kit_cpu:6.1f} s "
          "(workers and kernels)")
    print(f"  ratio kit / serial autograde: "
          f"{median([r[0][0] / r[1][0] for r in rounds]):.2f} (target <= 0.6)")
    print(f"  ratio kit / serial autograde + feedback: "
          f"{median([r[0][0] / (r[1][0] + r[2][0]) for r in rounds]):.2f}")
    print(f"  kit grade without the sandbox (--no-sandbox):  {median([r[3] for r in rounds]):7.1f} s")
    print(f"  ratio sandboxed / unsandboxed kit grade: "
          f"{median([r[0][0] / r[3] for r in rounds]):.3f} (target <= 1.05)")
    print(f"  scores sandboxed and unsandboxed identical in every round: "
          f"{'yes' if same_sandbox else 'NO'}")
    print(f"  autograded scores of all cells, kit and serial nbgrader, identical in every round: "
          f"{'yes' if same else 'NO'}")
    if max(loads) > 1.5 * cores:
        print(f"  warning: the machine was busy (load average up to {max(loads):.1f} on {cores} "
              "cores): other programs slow parallel workers more than one serial process")
    return 0 if same and same_sandbox else 1


def prepared_class(out: Path, copies: int):
    """The release, the submissions and the grading setup of the benchmark's class."""
    if out.exists():
        shutil.rmtree(out)
    released = build_release(out / "kit_course", out / "release")
    students = make_submissions(released.folder, out / "submissions", copies)
    setup = prepare(out / "kit_course", out / "kit_grading", build=False,
                    datasets_dir=default_datasets())
    build_dataset(setup.datasets_dir)
    return setup, students


def own_cpu() -> float:
    """CPU seconds of this process (not of the processes it started)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def process_cpu() -> tuple[int, float]:
    """(pid, CPU seconds) of this process."""
    return os.getpid(), own_cpu()


def dask_cpu(client) -> float:
    """CPU seconds so far of the cluster's worker and nanny processes other than this one (a
    LocalCluster's nannies run in the process that made it, whose CPU is the head's)."""
    found = dict([*client.run(process_cpu).values(),
                  *client.run(process_cpu, nanny=True).values()])
    found.pop(os.getpid(), None)
    return sum(found.values())


def idle_share(before, after) -> float:
    """The share of the machine's CPU time that was idle between two psutil.cpu_times()."""
    spent = {field: getattr(after, field) - getattr(before, field) for field in after._fields}
    total = sum(value for field, value in spent.items() if field not in ("guest", "guest_nice"))
    return (spent["idle"] + spent.get("iowait", 0.0)) / total if total else 0.0


@contextmanager
def grading_on(workers, jobs: int, limits: Limits, setup: Setup):
    """The runner of a layout (workers None: the local pool of `jobs` workers; else a Dask
    LocalCluster of (workers, threads each)) made ready to grade; yields (runner, seconds it took
    to get ready, a function giving the CPU seconds of Dask's processes so far)."""
    if workers is None:
        forkserver._forkserver._stop()      # each run starts the worker server, as `kit grade` does
        start = time.perf_counter()
        warm_up(worker_env(setup, limits))
        yield local(jobs), time.perf_counter() - start, lambda: 0.0
        return
    with dask.config.set(cluster.SETTINGS), \
            LocalCluster(n_workers=workers[0], threads_per_worker=workers[1], processes=True,
                         protocol="tcp", host="127.0.0.1", dashboard_address=":0",
                         silence_logs=40) as local_cluster, \
            cluster.connect(local_cluster.scheduler_address) as client:
        start = time.perf_counter()
        cluster.warm_up(client, limits, setup.datasets_dir is not None)
        yield cluster.dask_runner(client), time.perf_counter() - start, lambda: dask_cpu(client)


def dask_main(args) -> int:
    """The local pool against Dask LocalClusters of one and two workers, as many students graded
    at a time in each."""
    jobs = args.jobs or 2
    out = args.out.resolve()
    print("Preparing the release and the submissions ...", flush=True)
    setup, students = prepared_class(out, args.copies)
    limits, cid, n = Limits(), course_id(setup.course_dir), len(students)
    layouts = [("local pool", None), ("Dask, 1 worker", (1, jobs))]
    if jobs % 2 == 0:
        layouts.append(("Dask, 2 workers", (2, jobs // 2)))
    runs: dict[str, list[dict]] = {name: [] for name, _ in layouts}
    per_student, reference, same = [], None, True
    for number in range(1, args.rounds + 1):
        # every other round in the opposite order, so that a machine slowing down or speeding
        # up during a round favours no layout
        for name, workers in (layouts if number % 2 else layouts[::-1]):
            with grading_on(workers, jobs, limits, setup) as (runner, ready, dask_so_far):
                machine, own = psutil.cpu_times(), own_cpu()
                dask_before, start = dask_so_far(), time.perf_counter()
                outcomes = grade_and_report(out / "submissions", setup, limits, progress=None,
                                            regrade=True, runner=runner)
                run = {"wall": time.perf_counter() - start, "ready": ready,
                       "dask": dask_so_far() - dask_before, "head": own_cpu() - own,
                       "idle": idle_share(machine, psutil.cpu_times()),
                       "cpu": sum(o.cpu_seconds for o in outcomes) / len(outcomes)}
            if workers is None:
                per_student += [o.seconds for o in outcomes]
            runs[name].append(run)
            scores = cell_scores(setup.db_url, cid)
            reference = reference or scores
            same = same and bool(scores) and scores == reference
            print(f"  round {number}: {name:16s} {run['wall']:6.1f} s (ready in "
                  f"{run['ready']:4.1f} s)", flush=True)

    student_s = statistics.median(per_student)
    print(f"\n{n} submissions, {os.cpu_count()} cores, {jobs} graded at a time, median of "
          f"{args.rounds} round(s); one student takes {student_s:.1f} s of wall time in the pool. "
          "Times from the moment each layout is ready to grade (its start-up apart)")

    def median(name, key):
        return statistics.median(run[key] for run in runs[name])

    for name, _ in layouts:
        wall = median(name, "wall")
        line = (f"  {name:16s} {wall:7.1f} s   {3600 * n / wall:6.1f} students/hour   CPU "
                f"{median(name, 'cpu'):5.1f} s per student; cores idle "
                f"{100 * median(name, 'idle'):4.1f}%, CPU of the head "
                f"{median(name, 'head'):5.1f} s and of Dask's other processes "
                f"{median(name, 'dask'):5.1f} s; start-up {median(name, 'ready'):4.1f} s")
        if name != "local pool":     # each round's Dask run against that round's local pool
            pairs = list(zip(runs[name], runs["local pool"]))
            extra = statistics.median((run["wall"] - pool["wall"]) * jobs / n
                                      for run, pool in pairs)
            extra_cpu = statistics.median((run["dask"] + run["head"] - pool["head"]) / n
                                          for run, pool in pairs)
            share = 100 * extra_cpu / median(name, "cpu")
            line += (f"\n      overhead {extra:+.2f} s of wall time per student "
                     f"({100 * extra / student_s:+.1f}% of a student's grading time); Dask's "
                     f"own CPU {extra_cpu:+.2f} s per student ({share:+.1f}% of a student's CPU)")
        print(line)
    print(f"  scores of all graded cells identical in every run: {'yes' if same else 'NO'}")
    if max(os.getloadavg()) > 1.5 * (os.cpu_count() or 1):
        print("  warning: the machine was busy: other programs make the wall times uneven; the "
              "CPU times per student (the kit worker's and its kernels') are steadier")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
