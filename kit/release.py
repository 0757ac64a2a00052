"""Build the student release: build/release/rnn_captioning/ and build/release/rnn_captioning.zip.

Steps: assemble the nbgrader course in build/course/ from assignments/, cs231n/ and datasets/;
run `nbgrader generate_assignment` (which strips the solutions of the notebooks and records the
test cells in the gradebook); replace every solution region of the student files in cs231n/ by a
`# YOUR CODE HERE` stub (nbgrader copies .py files verbatim); keep only the visible cases of the
reference outputs; leave out the reference-only files; add a README for students and
requirements.txt; then check the folder and the zip for leaks (no line of any solution region, no
solution marker, no reference-only file, no hidden check case). A release that fails the check is
not written.
"""
from __future__ import annotations

import argparse
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import course, leaks, reference_outputs, stubs
from .nbgrader_api import DatabaseUrlError, NbgraderError, check, check_db_url, open_api

RELEASE = course.BUILD / "release"
STUDENT_README = "STUDENT_README.md"


class ReleaseError(RuntimeError):
    """A release that would leak a solution or miss a file students need."""


@dataclass(frozen=True)
class Release:
    folder: Path
    archive: Path
    student_files: list[str]
    notebooks: list[str]


def prepare_course(course_dir: Path = course.COURSE, db_url: str | None = None,
                   root: Path = course.ROOT, write_support=None, build: bool = True) -> Path:
    """Build the course (unless build is False: keep its source as it is) and run nbgrader
    generate_assignment, which records the assignment in the gradebook; return nbgrader's release
    folder (course_dir/release/rnn_captioning/), stubbed and without reference-only files."""
    if build:
        course.build_course(course_dir, root=root, write_support=write_support)
    api = open_api(course_dir, db_url)
    try:
        check(api.generate_assignment(course.ASSIGNMENT, force=True, create=True),
              "generate_assignment")
    except NbgraderError as error:
        if "there are submissions associated" in str(error):
            raise NbgraderError(
                f"{error}\n\nThe test cells of the assignment changed since submissions were "
                "graded into this gradebook. Grade the new version into a new gradebook (--db, or "
                f"move {Path(course_dir) / 'gradebook.db'} away), or restore the old sources."
            ) from None
        raise
    released = Path(course_dir) / "release" / course.ASSIGNMENT
    course.strip_student_version(released)
    return released


def release_problems(files: list[tuple[str, bytes]], secrets: set[str],
                     student_files: list[str], notebooks: list[str],
                     expressions: set[str] = frozenset()) -> list[leaks.Leak]:
    """Leaks and missing files of a release given as (path relative to the assignment, content);
    secrets are the secret lines, expressions the secret expressions (kit.leaks)."""
    problems = leaks.find_leaks(files, secrets, course.REFERENCE_ONLY, expressions)
    for path, data in files:
        if path == reference_outputs.RELATIVE_PATH.as_posix():
            hidden = reference_outputs.hidden_case_count(data)
            if hidden:
                problems.append(leaks.Leak(path, f"holds {hidden} hidden check case(s): the "
                                                 "release keeps only the visible ones"))
    present = {path for path, _ in files}
    for needed in student_files + [f"{name}.ipynb" for name in notebooks] + ["README.md"]:
        if needed not in present:
            problems.append(leaks.Leak(needed, "missing from the release"))
    return problems


def _zip_folder(folder: Path, archive: Path, top: str) -> None:
    """Zip the files of folder into archive, under the top-level folder `top`."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")


def _strip_top(files, top: str):
    prefix = top + "/"
    return [(path[len(prefix):] if path.startswith(prefix) else path, data) for path, data in files]


def build_release(course_dir: Path = course.COURSE, out_dir: Path = RELEASE,
                  db_url: str | None = None, root: Path = course.ROOT,
                  write_support=None) -> Release:
    """Build, check and write the student release folder and zip into out_dir."""
    root, out_dir = Path(root), Path(out_dir)
    released = prepare_course(course_dir, db_url, root, write_support)
    source = Path(course_dir) / "source" / course.ASSIGNMENT
    student_files = course.student_files(source)
    notebooks = course.notebook_names(source)

    out_dir.mkdir(parents=True, exist_ok=True)
    name = course.ASSIGNMENT
    tmp = out_dir / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(released, tmp, ignore=course.IGNORE)
    for dirpath, _, filenames in os.walk(tmp):   # nbgrader writes read-only files
        for filename in filenames:
            os.chmod(Path(dirpath) / filename, 0o644)
    shutil.copy2(root / "assignments" / STUDENT_README, tmp / "README.md")
    shutil.copy2(root / "requirements.txt", tmp / "requirements.txt")

    secrets = leaks.secret_lines(leaks.walk_folder(source))
    expressions = leaks.secret_expressions(leaks.walk_folder(source))
    problems = release_problems(list(leaks.walk_folder(tmp)), secrets, student_files, notebooks,
                                expressions)
    archive, tmp_archive = out_dir / f"{name}.zip", out_dir / f".{name}.zip.tmp"
    if not problems:
        _zip_folder(tmp, tmp_archive, name)
        zipped = _strip_top(list(leaks.walk_zip(tmp_archive)), name)
        problems = release_problems(zipped, secrets, student_files, notebooks, expressions)
    if problems:
        shutil.rmtree(tmp)
        tmp_archive.unlink(missing_ok=True)
        raise ReleaseError("the release was not written:\n" + "\n".join(f"  {p}" for p in problems))
    folder = out_dir / name
    if folder.exists():
        shutil.rmtree(folder)
    tmp.replace(folder)
    tmp_archive.replace(archive)
    return Release(folder, archive, student_files, notebooks)


def check_release(folder: Path, course_dir: Path = course.COURSE) -> list[leaks.Leak]:
    """Leak-check an existing release folder or zip against the built course's source; raises
    ReleaseError when either is missing."""
    source = Path(course_dir) / "source" / course.ASSIGNMENT
    if not source.is_dir():
        raise ReleaseError(f"no built course at {course_dir}: the leak check compares the release "
                           "with the course's source; build it first (make release), or pass "
                           "--course")
    if not (Path(folder).is_dir() or zipfile.is_zipfile(folder)):
        raise ReleaseError(f"{folder} is neither a folder nor a zip: pass the release folder "
                           f"({course.ASSIGNMENT}/) or its zip")
    secrets = leaks.secret_lines(leaks.walk_folder(source))
    expressions = leaks.secret_expressions(leaks.walk_folder(source))
    folder = Path(folder)
    if folder.suffix == ".zip":
        files = _strip_top(list(leaks.walk_zip(folder)), course.ASSIGNMENT)
    else:
        files = list(leaks.walk_folder(folder))
    return release_problems(files, secrets, course.student_files(source),
                            course.notebook_names(source), expressions)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=RELEASE,
                        help="folder that receives rnn_captioning/ and rnn_captioning.zip "
                             "(default: %(default)s)")
    parser.add_argument("--course", type=Path, default=course.COURSE,
                        help="where to build the nbgrader course (default: %(default)s)")
    parser.add_argument("--db", metavar="URL",
                        help="gradebook database URL, e.g. postgresql://user@host/course "
                             "(default: sqlite:///<course>/gradebook.db)")
    parser.add_argument("--check", type=Path, metavar="PATH",
                        help="only leak-check an existing release folder or zip and exit")


def run(args: argparse.Namespace) -> int:
    if args.check:
        try:
            problems = check_release(args.check, args.course)
        except ReleaseError as error:
            print(f"error: {error}")
            return 2
        for problem in problems:
            print(f"LEAK {problem}")
        print(f"{args.check}: {'leaks found' if problems else 'no leaks'}")
        return 1 if problems else 0
    try:
        if args.db:
            check_db_url(args.db)
        release = build_release(args.course, args.out, args.db)
    except (DatabaseUrlError, ReleaseError, stubs.MarkerError) as error:
        print(f"error: {error}")
        return 1
    print(f"Student release: {release.folder}/ and {release.archive}")
    print(f"  notebooks: {', '.join(release.notebooks)}")
    print(f"  student files (stubbed): {', '.join(release.student_files)}")
    print("  leak check: no solution line, no marker, no reference-only file, no hidden case")
    return 0
