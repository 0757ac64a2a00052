"""The head's part of grading a large class: what the machine that runs `kit grade` does one
student at a time, and whether it grows with the class.

However many machines grade, the head does this for each student, in one thread: before grading,
it writes the student's course folder and (on Dask) packs the submission to send; after, it
unpacks the graded folder that comes back (on Dask) and merges the student into the class: the
course's folders, the feedback zip, the status and the gradebook transaction. A cluster of C
cores whose students take S seconds of CPU each finishes one every S / C seconds: the head keeps
up while its time per student stays below that.

The grading itself is replayed: the demo's reference is graded once (as `kit grade` does) and
its graded folder, packed as a Dask worker returns it, stands for every student's, renamed for
each one (not timed). Then a class of --students copies of the reference is "graded" by a runner
that does the head's work of the Dask runner for each student; grade_and_report merges them as
it merges any class, and writes grades.csv, the plots and the checks report at the end. The
script prints the head's time per student by stage, for the first and the last hundred students,
the time of the start (finding the submissions and hashing them) and of the end (the reports),
and what it means for a cluster.

    python bench/bench_head.py [--students 600] [--out build/bench_head]
"""
import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kit.demo import samples  # noqa: E402
from kit.demo.pipeline import build_dataset  # noqa: E402
from kit.grade import cluster  # noqa: E402
from kit.grade.limits import Limits  # noqa: E402
from kit.grade.pool import Outcome, prepare_student, read_report  # noqa: E402
from kit.grade.template import prepare, rmtree  # noqa: E402
from kit.paths import BUILD, default_datasets  # noqa: E402
from kit.release.build import build_release  # noqa: E402
from kit.grade.pool import grade_class  # noqa: E402
from kit.report.outputs import grade_and_report, write_outputs  # noqa: E402

GRADED = "reference"
STEPS = ("submitted", "autograded", "feedback")
HEAD = ("course and pack", "unpack", "merge")     # the head's stages per student


def rename(work: Path, old: str, new: str) -> None:
    """Make a graded work folder of student `old` one of student `new` (folders, gradebook)."""
    for step in STEPS:
        folder = work / "course" / step / old
        if folder.exists():
            folder.rename(folder.with_name(new))
    with sqlite3.connect(work / "course" / "gradebook.db") as db:
        db.execute("UPDATE student SET id = ? WHERE id = ?", (new, old))
        db.execute("UPDATE submitted_assignment SET student_id = ? WHERE student_id = ?",
                   (new, old))
    db.close()


def replay(graded: bytes, stages: dict):
    """A runner that does the Dask runner's head work for each student (course folder, packed
    submission; unpacked result, report) with `graded` as every worker's result. stages[name]
    gets each student's seconds per stage of HEAD ('merge': the time the caller took before
    asking for the next student) and of 'replay' (the renames); stages['started'] the time the
    first student was asked for."""
    def run(setup, subs, limits, env):
        stages["started"].append(time.perf_counter())
        for sub in subs:
            start = time.perf_counter()
            _, root = prepare_student(setup, sub)
            cluster.pack(root, ["submitted"])
            stages["course and pack"].append(time.perf_counter() - start)
            work = setup.out_dir / "work" / sub.student
            rmtree(work)
            start = time.perf_counter()
            cluster.unpack(graded, work)
            stages["unpack"].append(time.perf_counter() - start)
            start = time.perf_counter()
            rename(work, GRADED, sub.student)          # what a worker would have sent
            stages["replay"].append(time.perf_counter() - start)
            outcome = Outcome(sub.student)
            read_report(work, outcome)
            handed = time.perf_counter()
            yield outcome
            stages["merge"].append(time.perf_counter() - handed)
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=600, help="class size (default 600)")
    parser.add_argument("--out", type=Path, default=BUILD / "bench_head",
                        help="working folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error(f"--students must be at least 1, got {args.students}")
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    print("Grading the reference once ...", flush=True)
    released = build_release(out / "course", out / "release")
    samples.make_samples(released.folder, out / "one", bugs=())
    shutil.rmtree(out / "one" / "untouched")
    setup = prepare(out / "course", out / "grading_one", build=False,
                    datasets_dir=default_datasets())
    build_dataset(setup.datasets_dir)
    [outcome] = grade_and_report(out / "one", setup, Limits(), keep_work=True, progress=None)
    if outcome.status != "ok":
        print(f"the reference was not graded: {outcome.status}")
        return 1
    graded = cluster.pack(setup.out_dir / "work" / GRADED, cluster.RESULTS)

    class_dir = out / "class"
    class_dir.mkdir()
    for number in range(args.students):
        shutil.copytree(out / "one" / GRADED, class_dir / f"s{number:04d}")
    course = out / "class_course"
    shutil.copytree(out / "course", course,
                    ignore=shutil.ignore_patterns("gradebook.db", *STEPS))
    setup = prepare(course, out / "class_grading", build=False, datasets_dir=setup.datasets_dir)
    print(f"Merging a class of {args.students} (the reference's graded folder, "
          f"{len(graded) / 1e6:.1f} MB packed, for each) ...", flush=True)
    stages = {name: [] for name in (*HEAD, "replay", "started")}
    begin = time.perf_counter()
    outcomes = grade_class(class_dir, setup, Limits(sandbox=False), progress=None,
                           runner=replay(graded, stages))
    ended = time.perf_counter()
    write_outputs(setup)
    reports = time.perf_counter() - ended
    assert len(outcomes) == args.students and all(o.status == "ok" for o in outcomes)

    per_student = [sum(times) for times in zip(*(stages[name] for name in HEAD))]
    first, last = slice(0, 100), slice(-100, None)
    print(f"\n{args.students} students, head time per student (median of the first 100 / of "
          "the last 100):")
    for name in HEAD:
        print(f"  {name:16s} {statistics.median(stages[name][first]):6.3f} s / "
              f"{statistics.median(stages[name][last]):6.3f} s")
    head = statistics.median(per_student[last])
    print(f"  {'in all':16s} {statistics.median(per_student[first]):6.3f} s / {head:6.3f} s")
    print(f"  once per run: {stages['started'][0] - begin:.1f} s before the first student "
          f"(finding and hashing the submissions), {reports:.1f} s after the last "
          "(grades.csv, the plots, the checks report)")
    renames = sum(stages["replay"])
    print(f"  the whole run {ended - begin + reports - renames:.0f} s without the replay's "
          f"renames ({renames:.0f} s)")
    print(f"  so the head keeps up with a cluster that finishes a student every {head:.2f} s "
          f"({3600 / head:.0f} students per hour): {25 / head:.0f} cores at 25 s of CPU per "
          "student")
    folders = sum(f.stat().st_size for f in course.rglob("*") if f.is_file())
    zips = sum(f.stat().st_size for f in (setup.out_dir / "feedback").glob("*.zip"))
    print(f"  disk on the head: {folders / 1e6:.0f} MB of course folders, {zips / 1e6:.0f} MB of "
          "feedback zips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
