"""Grade every submission of a folder, in parallel, into one nbgrader gradebook.

Each entry of SUBMISSIONS is one student, named by the entry (or by the part of its name that
--id-pattern takes): a folder or a .zip holding that student's copy of the release folder (with or
without one top-level folder). For each student the kit builds the nbgrader submission (the
student's cs231n/ and the answer cells of their notebooks, put into the release notebooks, plus the
hidden-check notebook), autogrades it with nbgrader in a process of its own with its own course
folder and gradebook, generates the feedback HTML, and merges the scores into the class gradebook
(one student at a time, so the gradebook stays consistent whatever --jobs is). Regrading a student
(--student) replaces their automatic scores and keeps what was graded by hand.

Stopped and run again (Ctrl-C, a crash, a power loss), it goes on where it stopped: a student
already merged whose submission is unchanged (the same content hash, recorded with the scores in
one transaction) is not graded again; --regrade grades everyone again (after a change to the
course's tests, say). A progress bar with the rate and the time left is shown on stderr when it is
a terminal; --verbose prints a line per student as well.

On a Dask cluster (--scheduler ADDRESS, or $DASK_SCHEDULER_ADDRESS): each student is graded as a
task on the cluster's workers (which have the kit installed; no shared file system is needed) and
merged here; a worker lost mid-task costs a retry elsewhere, not a student.

What cannot fool it: test cells and every other non-answer cell come from the release; checking
helpers and reference outputs are restored from the course; the hidden checks re-run each check
in a fresh process with only the student's cs231n/, and a notebook test that passes while the
re-run fails the same cases earns nothing (the status says so).

Limits: each cell has --cell-timeout seconds, each submission --submission-timeout seconds and
--memory-mb of address space per process, each cell --max-output bytes of output. A submission
that hits a limit keeps the points it earned before; the status column says which limit it hit;
the run goes on. So does it after a missing package, an invalid or renamed notebook, an
import-time crash, sys.exit or a dead kernel.

Sandbox: the notebooks' kernels (and every process they start) run in a bubblewrap sandbox
(kit.grade.sandbox). A submission's code sees the system and the Python environment read-only, the
datasets read-only, a private copy of its own grading folder and a private /tmp (both size-capped),
and its own processes in /proc. It does not see the course folder, the reference solution, the
hidden cases' expected outputs (the notebooks' hidden test cells compute the outputs; the hidden
checks compare them, outside the student's code), other students, the gradebooks, the grader's
files or home; it has no network, a minimal environment (no database URL), capped processes and
file sizes, and nothing it starts outlives its kernel. nbgrader, the gradebooks and the feedback
stay outside. Without bubblewrap (`apt-get install bubblewrap`) or user namespaces, grading stops
before it starts, unless --no-sandbox says to run the code with your own rights.

Output (under --out, default build/grading/): grades.csv (student, score, max_score, autograded,
autograded_max, extra_credit, one column per notebook, status) and scores.png (the class's score distribution);
feedback/<student>.zip (the student's feedback HTML, from <course>/feedback/<student>/rnn_captioning/);
autograded notebooks in <course>/autograded/.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .. import options
from ..grade import cluster
from ..grade.limits import Limits, check_jobs, default_jobs
from ..grade.pool import local, select, to_grade
from ..grade.sandbox import SandboxError, check_available
from ..grade.submissions import SubmissionsError, find_submissions
from ..grade.template import prepare
from ..nbgrader_api import check_db_url
from ..paths import GRADING, default_datasets
from ..report.outputs import grade_and_report
from ..report.table import print_summary

INTERRUPTED = 130     # the exit status of a run stopped by Ctrl-C (128 + SIGINT)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument("submissions", type=Path,
                        help="folder with one entry (a folder or a .zip) per student")
    options.add_jobs(parser)
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
    options.add_db(parser)
    options.add_course(parser)
    options.add_out(parser, GRADING, "where grades.csv and scores.png go (default: %(default)s)")
    parser.add_argument("--datasets", type=Path, metavar="DIR",
                        help="datasets folder for the grading kernels (default: $CS231N_DATASETS "
                             "or datasets/ of this repository)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the submissions' code with your own rights, outside the sandbox "
                             "(it could read the reference solution and the other students' work "
                             "and change the gradebook): only for code you trust, or where "
                             "bubblewrap cannot run")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep each student's grading folder under <out>/work/ (debugging)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every student again, even those already graded whose "
                             "submission is unchanged")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print a line per student graded (time taken, status)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get(cluster.ENV_ADDRESS),
                        help="grade on the Dask cluster of this scheduler, e.g. "
                             "tcp://head:8786 (default: $DASK_SCHEDULER_ADDRESS; without "
                             "either, on this machine with --jobs workers)")


def limits_from(args: argparse.Namespace) -> Limits:
    for name in ("cell_timeout", "submission_timeout", "memory_mb", "max_output"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    return Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.max_output,
                  sandbox=not getattr(args, "no_sandbox", False))


@options.reports(ValueError, SubmissionsError, SandboxError)
def run(args: argparse.Namespace) -> int:
    limits = limits_from(args)
    if not limits.sandbox:
        print("warning: --no-sandbox: the submissions' code runs with your rights")
    elif not args.scheduler:
        check_available()
    if args.db:
        check_db_url(args.db)
    check_jobs(args.jobs)
    found = select(find_submissions(args.submissions, args.id_pattern), args.student,
                   args.submissions)
    client = cluster.connect(args.scheduler) if args.scheduler else None
    try:
        if client is not None:
            try:
                cluster.wait_for_workers(client, say=print)
            except KeyboardInterrupt:
                print("\nStopped before any Dask worker joined: nobody was graded.",
                      file=sys.stderr)
                return INTERRUPTED
            if limits.sandbox:
                cluster.check_workers(client)   # where the student code runs
        print(f"Preparing the course in {args.course} ...")
        setup = prepare(args.course, args.out, args.db,
                        datasets_dir=args.datasets or default_datasets())
        todo, _ = to_grade(found, setup, args.regrade or args.student is not None)
        if len(todo) < len(found):
            print(f"{len(found) - len(todo)} student(s) already graded with the same "
                  "submission: kept (--regrade grades them again)")
        if client is None:
            jobs = args.jobs or default_jobs()
            print(f"Grading {len(todo)} submission(s) with {min(jobs, len(todo))} parallel "
                  "worker(s) ...")
            runner = local(args.jobs)
        else:
            threads = sum(client.nthreads().values())
            print(f"Grading {len(todo)} submission(s) on the Dask cluster at {args.scheduler} "
                  f"({len(client.nthreads())} worker(s), {threads} thread(s) now) ...")
            runner = cluster.dask_runner(client)
        start = time.time()
        try:
            grade_and_report(args.submissions, setup, limits, args.jobs, args.student,
                             args.keep_work, progress=print if args.verbose else None,
                             id_pattern=args.id_pattern, regrade=args.regrade, bar=True,
                             runner=runner)
        except KeyboardInterrupt:
            left, _ = to_grade(found, setup)
            print(f"\nStopped: {len(found) - len(left)} of {len(found)} student(s) graded. Run "
                  f"the command again (without --regrade) to grade the {len(left)} left.",
                  file=sys.stderr)
            return INTERRUPTED
    finally:
        if client is not None:
            client.close()
    print(f"Graded in {time.time() - start:.0f} s.\n")
    print_summary(setup)
    return 0
