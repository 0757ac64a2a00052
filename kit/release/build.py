"""Build, check and write the student release folder and zip from the course (what
``python -m kit release`` does; its --help tells the steps), and leak-check an existing release."""
from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..author import course, reference_outputs
from ..nbgrader_api import NbgraderError, check, open_api
from ..paths import ASSIGNMENT, COURSE, IGNORE, REFERENCE_ONLY, REFERENCE_OUTPUTS, RELEASE, ROOT
from . import leaks

STUDENT_README = "STUDENT_README.md"
STUDENT_REQUIREMENTS = "student-requirements.txt"   # the release's requirements.txt


class ReleaseError(RuntimeError):
    """A release that would leak a solution or miss a file students need."""


@dataclass(frozen=True)
class Release:
    folder: Path
    archive: Path
    student_files: list[str]
    notebooks: list[str]


def prepare_course(course_dir: Path = COURSE, db_url: str | None = None,
                   root: Path = ROOT, write_support=None, build: bool = True) -> Path:
    """Build the course (unless build is False: keep its source as it is) and run nbgrader
    generate_assignment, which records the assignment in the gradebook; return nbgrader's release
    folder (course_dir/release/rnn_captioning/), stubbed and without reference-only files."""
    if build:
        course.build_course(course_dir, root=root, write_support=write_support)
    api = open_api(course_dir, db_url)
    try:
        check(api.generate_assignment(ASSIGNMENT, force=True, create=True),
              "generate_assignment")
    except NbgraderError as error:
        if "there are submissions associated" in str(error):
            raise NbgraderError(
                f"{error}\n\nThe test cells of the assignment changed since submissions were "
                "graded into this gradebook. Grade the new version into a new gradebook (--db, or "
                f"move {Path(course_dir) / 'gradebook.db'} away), or restore the old sources."
            ) from None
        raise
    released = Path(course_dir) / "release" / ASSIGNMENT
    course.strip_student_version(released)
    return released


def release_problems(files: list[tuple[str, bytes]], secrets: set[str],
                     student_files: list[str], notebooks: list[str],
                     expressions: set[str] = frozenset()) -> list[leaks.Leak]:
    """Leaks and missing files of a release given as (path relative to the assignment, content);
    secrets are the secret lines, expressions the secret expressions (kit.leaks)."""
    problems = leaks.find_leaks(files, secrets, REFERENCE_ONLY, expressions)
    for path, data in files:
        if path == REFERENCE_OUTPUTS.as_posix():
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


def build_release(course_dir: Path = COURSE, out_dir: Path = RELEASE,
                  db_url: str | None = None, root: Path = ROOT,
                  write_support=None) -> Release:
    """Build, check and write the student release folder and zip into out_dir."""
    root, out_dir = Path(root), Path(out_dir)
    released = prepare_course(course_dir, db_url, root, write_support)
    source = Path(course_dir) / "source" / ASSIGNMENT
    student_files = course.student_files(source)
    notebooks = course.notebook_names(source)

    out_dir.mkdir(parents=True, exist_ok=True)
    name = ASSIGNMENT
    tmp = out_dir / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(released, tmp, ignore=IGNORE)
    for dirpath, _, filenames in os.walk(tmp):   # nbgrader writes read-only files
        for filename in filenames:
            os.chmod(Path(dirpath) / filename, 0o644)
    shutil.copy2(root / "assignments" / STUDENT_README, tmp / "README.md")
    shutil.copy2(root / "assignments" / STUDENT_REQUIREMENTS, tmp / "requirements.txt")

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


def check_release(folder: Path, course_dir: Path = COURSE) -> list[leaks.Leak]:
    """Leak-check an existing release folder or zip against the built course's source; raises
    ReleaseError when either is missing."""
    source = Path(course_dir) / "source" / ASSIGNMENT
    if not source.is_dir():
        raise ReleaseError(f"no built course at {course_dir}: the leak check compares the release "
                           "with the course's source; build it first (make release), or pass "
                           "--course")
    if not (Path(folder).is_dir() or zipfile.is_zipfile(folder)):
        raise ReleaseError(f"{folder} is neither a folder nor a zip: pass the release folder "
                           f"({ASSIGNMENT}/) or its zip")
    secrets = leaks.secret_lines(leaks.walk_folder(source))
    expressions = leaks.secret_expressions(leaks.walk_folder(source))
    folder = Path(folder)
    if folder.suffix == ".zip":
        files = _strip_top(list(leaks.walk_zip(folder)), ASSIGNMENT)
    else:
        files = list(leaks.walk_folder(folder))
    return release_problems(files, secrets, course.student_files(source),
                            course.notebook_names(source), expressions)
