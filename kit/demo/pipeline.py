"""The whole instructor pipeline on sample submissions (what ``python -m kit demo`` runs): dataset,
release, samples, parallel grading into a demo course, the grade table, and a check that every
sample got the score it should."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from ..grade import extra_credit
from ..grade.limits import Limits, default_jobs
from ..grade.status import load_statuses
from ..grade.template import prepare
from ..nbgrader_api import course_id
from ..paths import DEMO, RELEASE, ROOT, default_datasets
from ..release.build import build_release
from ..report.outputs import grade_and_report
from ..report.table import print_summary, table
from . import samples


def build_dataset(datasets_dir: Path) -> None:
    """Build the built-in dataset into datasets_dir with `python -m kit data` (once: a complete
    dataset is kept)."""
    env = {**os.environ, "CS231N_DATASETS": str(datasets_dir)}
    subprocess.run([sys.executable, "-m", "kit", "data"], cwd=ROOT, env=env, check=True)


def expected(student: str, autograded: float, maximum: float, extra: float = 0.0) -> str | None:
    """What is wrong with a sample's autograded score (extra credit, of which the course offers
    `extra` points, included), or None when it is as it should be."""
    best = maximum + extra
    if student == "reference":
        return None if autograded == best else (
            f"expected full marks ({maximum:g}" + (f" + {extra:g} extra credit)" if extra else ")"))
    if student == "untouched":
        return None if autograded == 0 else "expected 0 autograded points"
    return None if 0 < autograded < best else f"expected partial credit (0 < score < {best:g})"


def row_problem(row: dict[str, str], extra: float = 0.0) -> str | None:
    """expected() of a row of grades.csv (its autograded points and extra credit), the course
    offering `extra` points of extra credit."""
    return expected(row["student"], float(row["autograded"]) + float(row["extra_credit"]),
                    float(row["autograded_max"]), extra)


def extra_credit_offered(source: Path) -> float:
    """The extra credit the test cells of an assignment folder's notebooks offer in all."""
    return sum(sum(extra_credit.cells_worth(nbformat.read(path, as_version=4)).values())
               for path in sorted(Path(source).glob("*.ipynb")))


def run(out: Path = DEMO, jobs: int = 0, sandbox: bool = True, release_dir: Path = RELEASE) -> int:
    """The whole demo into the folder out with `jobs` workers (0: one more than the cores), the
    samples' code in the grading sandbox unless `sandbox` is False, the release into release_dir;
    0 when every sample got the score it should, else 1."""
    start = time.time()
    datasets = default_datasets()
    print("[1/4] Built-in dataset ...", flush=True)
    build_dataset(datasets)

    demo = Path(out).resolve()
    course_dir = demo / "course"
    (course_dir / "gradebook.db").unlink(missing_ok=True)
    print(f"[2/4] Student release in {release_dir}/ ...", flush=True)
    released = build_release(course_dir, release_dir)
    print(f"      {released.folder} and {released.archive}: leak check passed")

    print(f"[3/4] Sample submissions in {demo / 'submissions'}/ ...", flush=True)
    described = samples.make_samples(released.folder, demo / "submissions",
                                     zipped=(samples.BUGS[0].name,))
    for student, what in described.items():
        print(f"      {student:26s} {what}")

    setup = prepare(course_dir, demo / "grading", build=False, datasets_dir=datasets)
    workers = jobs or default_jobs()
    print(f"[4/4] Grading {len(described)} submissions with {min(workers, len(described))} "
          "parallel workers ...", flush=True)
    grade_and_report(demo / "submissions", setup, Limits(sandbox=sandbox), jobs)

    header, rows = table(setup.db_url, course_id(course_dir), load_statuses(setup.out_dir))
    print()
    print_summary(setup)
    wrong = []
    extra = extra_credit_offered(setup.grading_source)
    for row in rows:
        record = dict(zip(header, row))
        problem = row_problem(record, extra)
        if problem:
            wrong.append(f"{record['student']}: {record['autograded']} autograded points and "
                         f"{record['extra_credit']} of extra credit, {problem}")
    print(f"\nDemo finished in {time.time() - start:.0f} s.")
    if wrong or len(rows) != len(described):
        print("UNEXPECTED SCORES:\n  " + "\n  ".join(wrong or ["a sample was not graded"]))
        return 1
    print("Every sample got the score it should: full autograded marks for the reference, "
          "none for the untouched release, partial credit for each bug.")
    return 0
