"""Grade every submission of a folder, in parallel, into one nbgrader gradebook.

Each entry of SUBMISSIONS is one student, named by the entry (or by the part of its name that
--id-pattern takes): a folder or a .zip holding that student's copy of the release folder (with or
without one top-level folder). For each student the kit builds the nbgrader submission (the
student's cs231n/ and the answer cells of their notebooks, put into the release notebooks, plus the
hidden-check notebook), autogrades it with nbgrader in a process of its own with its own course
folder and gradebook, generates the feedback HTML, and merges the scores into the class gradebook
(one student at a time, so the gradebook stays consistent whatever --jobs is). Regrading a student
(--student) replaces their automatic scores and keeps what was graded by hand.

What cannot fool it: test cells and every other non-answer cell come from the release; checking
helpers and reference outputs are restored from the course; the hidden checks re-run each check
in a fresh process with only the student's cs231n/, and a notebook test that passes while the
re-run fails the same cases earns nothing (the status says so).

Limits: each cell has --cell-timeout seconds, each submission --submission-timeout seconds and
--memory-mb of address space per process, each cell --max-output bytes of output. A submission
that hits a limit keeps the points it earned before; the status column says which limit it hit;
the run goes on. So does it after a missing package, an invalid or renamed notebook, an
import-time crash, sys.exit or a dead kernel.

Output (under --out, default build/grading/): grades.csv (student, score, max_score, autograded,
autograded_max, one column per notebook, status) and scores.png (the class's score distribution);
feedback/<student>.zip (the student's feedback HTML, from <course>/feedback/<student>/rnn_captioning/);
autograded notebooks in <course>/autograded/.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import course, feedback, gradebook, report, submissions, worker
from .nbgrader_api import check, check_db_url, course_id, open_api, sqlite_url
from .worker import REPORT

GRADING = course.BUILD / "grading"
GRACE = 60            # seconds a worker gets beyond the submission's limit before it is killed


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission."""
    cell_timeout: int = 120
    submission_timeout: int = 1200
    memory_mb: int = 4096
    max_output_bytes: int = 1_000_000


@dataclass
class Setup:
    """Everything grading needs that is the same for every student."""
    course_dir: Path
    out_dir: Path
    db_url: str
    release_dir: Path          # nbgrader's student version: the notebooks answers are put into
    grading_source: Path       # the course source with stubbed student files and the hidden checks
    template_db: Path          # a gradebook holding the assignment only
    student_files: list[str]
    extra_notebooks: list[Path]
    datasets_dir: Path | None


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


def prepare(course_dir: Path = course.COURSE, out_dir: Path = GRADING, db_url: str | None = None,
            root: Path = course.ROOT, write_support=None, datasets_dir: Path | None = None,
            build: bool = True) -> Setup:
    """Build the course (as the release does; build=False keeps the course source the last
    release built), record the assignment in the gradebook, and write the grading source and the
    template gradebook."""
    from .release import prepare_course

    course_dir, out_dir = Path(course_dir).resolve(), Path(out_dir).resolve()
    db_url = db_url or sqlite_url(course_dir / "gradebook.db")
    build = build or not (course_dir / "source" / course.ASSIGNMENT).is_dir()
    release_dir = prepare_course(course_dir, db_url, root, write_support, build)
    source = course_dir / "source" / course.ASSIGNMENT

    template = out_dir / "template"
    if template.exists():
        shutil.rmtree(template)
    grading_source = template / "source" / course.ASSIGNMENT
    shutil.copytree(source, grading_source, ignore=course.IGNORE)
    from . import stubs
    stubs.stub_package(grading_source / stubs.PACKAGE)
    shutil.copy2(course_dir / "nbgrader_config.py", template / "nbgrader_config.py")
    check(open_api(template).generate_assignment(course.ASSIGNMENT, force=True, create=True),
          "generate_assignment (grading template)")
    extra = [grading_source / name for name in course.REFERENCE_ONLY if name.endswith(".ipynb")]
    return Setup(course_dir, out_dir, db_url, release_dir, grading_source,
                 template / "gradebook.db", course.student_files(source), extra, datasets_dir)


def check_jobs(jobs: int) -> None:
    """ValueError for a --jobs value that is not a number of workers."""
    if jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0: one more than the cores), got {jobs}")


def default_jobs() -> int:
    """Workers when --jobs is 0: one more than the cores. A worker leaves its core idle while it
    starts and stops kernels and writes its files; the extra worker keeps every core busy then
    (measured with bench/bench_grading.py: about 10% faster than one worker per core on 2 cores)."""
    return (os.cpu_count() or 1) + 1


def check_timeout(limits: Limits) -> int:
    """Seconds one re-run check of the hidden notebook may take (well inside a cell's limit)."""
    return max(2, min(60, limits.cell_timeout // 2))


def worker_env(setup: Setup, limits: Limits) -> dict:
    """The environment of a worker and of the kernels it starts: no PYTHONPATH (a kernel must find
    the student's cs231n/ and nothing else), one thread per library, the shared dataset."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSTARTUP", "CS231N_DATASETS")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MALLOC_ARENA_MAX="2", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               KIT_CHECK_TIMEOUT=str(check_timeout(limits)))
    if setup.datasets_dir is not None:
        env["CS231N_DATASETS"] = str(setup.datasets_dir)
    return env


_WORKERS = None


def _workers():
    """The multiprocessing context that starts grading workers: forked from a server process
    that imported the worker module (nbgrader and all) once."""
    global _WORKERS
    if _WORKERS is None:
        _WORKERS = multiprocessing.get_context("forkserver")
        _WORKERS.set_forkserver_preload(["kit.worker"])
    return _WORKERS


def _kill_tree(pid: int) -> None:
    """Kill a process and everything it started (kernels run in their own sessions)."""
    import psutil
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


def _student_course(setup: Setup, sub: submissions.Submission, work: Path) -> Path:
    """Write the student's own course folder (config, grading source, template gradebook, the
    nbgrader submission) under work; returns it. Intake notes go to sub.notes."""
    if work.exists():
        _rmtree(work)
    root = work / "course"
    shutil.copytree(setup.grading_source, root / "source" / course.ASSIGNMENT)
    shutil.copy2(setup.template_db, root / "gradebook.db")
    shutil.copy2(setup.grading_source.parent.parent / "nbgrader_config.py", root)
    submissions.assemble(sub, setup.release_dir, setup.extra_notebooks, setup.student_files,
                         root / "submitted" / sub.student / course.ASSIGNMENT, work)
    return root


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


def grade_one(setup: Setup, sub: submissions.Submission, limits: Limits, env: dict) -> Outcome:
    """Grade one student in their own course folder and process. Runs in a thread; touches
    nothing shared (collect() merges the result)."""
    started = time.time()
    work = setup.out_dir / "work" / sub.student
    try:
        root = _student_course(setup, sub, work)
    except Exception as error:  # noqa: BLE001 - one unreadable submission never stops the run
        sub.notes.append(f"could not read the submission ({type(error).__name__}: {error})")
        sub.gradable = False
    outcome = Outcome(sub.student, list(sub.notes))
    if sub.gradable:
        job = {"course": str(root), "student": sub.student, "assignment": course.ASSIGNMENT,
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


def _rmtree(path: Path) -> None:
    """Remove a folder, including the read-only files nbgrader writes."""
    from nbgrader.utils import rmtree
    rmtree(str(path))


def _replace_folder(src: Path, dest: Path) -> None:
    if dest.exists():
        _rmtree(dest)
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest)


def collect(setup: Setup, outcome: Outcome) -> None:
    """Merge a graded student into the class: gradebook scores, then the submitted, autograded and
    feedback folders of the course. Runs in the main thread only, one student at a time."""
    work = setup.out_dir / "work" / outcome.student / "course"
    worker_db = work / "gradebook.db"
    source_url = sqlite_url(worker_db) if worker_db.is_file() else None
    merged = gradebook.merge_submission(source_url, setup.db_url, course_id(setup.course_dir),
                                        course.ASSIGNMENT, outcome.student)
    if not merged and not outcome.notes:
        outcome.notes.append("not graded")
    for step in ("submitted", "autograded", "feedback"):
        _replace_folder(work / step / outcome.student / course.ASSIGNMENT,
                        setup.course_dir / step / outcome.student / course.ASSIGNMENT)
    feedback.pack(setup.course_dir, setup.out_dir, outcome.student)


def select(found: list[submissions.Submission], only: str | None,
           submissions_dir: Path) -> list[submissions.Submission]:
    """The submissions to grade: all of them, or the student `only` (SubmissionsError, listing
    the students, if there is no such student)."""
    if only is None:
        return found
    chosen = [s for s in found if s.student == only]
    if not chosen:
        raise submissions.SubmissionsError(
            f"no submission of student {only!r} in {submissions_dir}; the students are: "
            + ", ".join(s.student for s in found))
    return chosen


def grade_class(submissions_dir: Path, setup: Setup, limits: Limits = Limits(), jobs: int = 0,
                only: str | None = None, keep_work: bool = False, progress=print,
                id_pattern: str | None = None) -> list[Outcome]:
    """Grade every submission of submissions_dir (or only the student `only`) with `jobs` workers
    (0: one more than the cores); returns the outcomes in student order. Writes status.json,
    grades.csv and scores.png into setup.out_dir. id_pattern: see submissions.find_submissions."""
    found = select(submissions.find_submissions(submissions_dir, id_pattern), only,
                   submissions_dir)
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
                _rmtree(setup.out_dir / "work" / outcome.student)
            progress(f"  graded {outcome.student} in {outcome.seconds:.0f} s: {outcome.status}")
            outcomes.append(outcome)
    report.save_statuses(setup.out_dir, {o.student: o.status for o in outcomes})
    report.write_outputs(setup)
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
        subprocess.run([sys.executable, "-c", code], cwd=course.ROOT, env=env, check=False,
                       stdout=subprocess.DEVNULL)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument("submissions", type=Path,
                        help="folder with one entry (a folder or a .zip) per student")
    parser.add_argument("--jobs", "-j", type=int, default=0,
                        help="submissions graded at the same time (default 0: one more than the "
                             "cores)")
    parser.add_argument("--student", metavar="ID",
                        help="grade (or regrade) only this student; the others keep their scores")
    parser.add_argument("--id-pattern", metavar="REGEX",
                        help="take each student's id from the entry's name (without .zip) with "
                             "this regular expression: its group student_id, else its first "
                             "group, e.g. '^([^_]+)_' for a course site's 'ada_12345_hw.zip' "
                             "(default: the whole name)")
    parser.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout, metavar="S",
                        help="seconds one cell may run (default: %(default)s)")
    parser.add_argument("--submission-timeout", type=int, default=defaults.submission_timeout,
                        metavar="S", help="seconds one submission may take in all "
                                          "(default: %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, metavar="MB",
                        help="address-space cap of each grading process, 0 for none "
                             "(default: %(default)s)")
    parser.add_argument("--max-output", type=int, default=defaults.max_output_bytes,
                        metavar="BYTES", help="output kept per cell (default: %(default)s)")
    parser.add_argument("--db", metavar="URL",
                        help="class gradebook URL, e.g. postgresql://user@host/course "
                             "(default: sqlite:///<course>/gradebook.db)")
    parser.add_argument("--course", type=Path, default=course.COURSE,
                        help="the nbgrader course folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=GRADING,
                        help="where grades.csv and scores.png go (default: %(default)s)")
    parser.add_argument("--datasets", type=Path, metavar="DIR",
                        help="datasets folder for the grading kernels (default: $CS231N_DATASETS "
                             "or datasets/ of this repository)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep each student's grading folder under <out>/work/ (debugging)")


def limits_from(args: argparse.Namespace) -> Limits:
    for name in ("cell_timeout", "submission_timeout", "memory_mb", "max_output"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    return Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.max_output)


def default_datasets() -> Path:
    return Path(os.environ.get("CS231N_DATASETS") or course.ROOT / "datasets")


def run(args: argparse.Namespace) -> int:
    try:
        limits = limits_from(args)
        if args.db:
            check_db_url(args.db)
        check_jobs(args.jobs)
        found = select(submissions.find_submissions(args.submissions, args.id_pattern),
                       args.student, args.submissions)
    except (ValueError, submissions.SubmissionsError) as error:
        print(f"error: {error}")
        return 2
    print(f"Preparing the course in {args.course} ...")
    setup = prepare(args.course, args.out, args.db, datasets_dir=args.datasets or default_datasets())
    jobs = args.jobs or default_jobs()
    print(f"Grading {len(found)} submission(s) with {min(jobs, len(found))} parallel worker(s) ...")
    start = time.time()
    try:
        grade_class(args.submissions, setup, limits, args.jobs, args.student, args.keep_work,
                    id_pattern=args.id_pattern)
    except submissions.SubmissionsError as error:
        print(f"error: {error}")
        return 2
    print(f"Graded in {time.time() - start:.0f} s.\n")
    report.print_summary(setup)
    return 0
