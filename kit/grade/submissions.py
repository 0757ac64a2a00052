"""Turning a folder of student submissions into nbgrader's submitted/<student>/<assignment>/ folders.

Every entry of the submissions folder is one student, named by the entry: a folder or a .zip that
holds the student's copy of the release folder, with or without one top-level folder. What is
taken from a submission:

- the student's package: the student files and any new module of theirs under cs231n/, as they
  are; nothing else (the course's files are restored from the course source, and a file that
  could shadow a module the grader imports, such as a top-level numpy/ or a cs231n/checks/
  package, is ignored);
- from each notebook, the answer cells (nbgrader solution cells, matched by their grade id; in a
  notebook without that metadata, by their question: kit.grade.written_answers). Every
  other cell comes from the release, so edited, deleted or added cells change nothing. A notebook
  that is missing, renamed or not valid JSON is graded as the release notebook with the student's
  package (and the status says so);
- the kit's hidden-check notebook is added.

This module finds the submissions and reads their packages; kit/grade/answers.py builds the
notebooks and the whole nbgrader submission.

Each step that does not go as expected adds a short note, shown in the grade table's status column.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


from cs231n import submit

from ..paths import PACKAGE

MAX_FILE_BYTES = submit.MAX_FILE_BYTES      # the students' hand-in command warns about it
MAX_SUBMISSION_BYTES = 200 * 2**20
JUNK = {"__MACOSX", ".DS_Store", "__pycache__", ".ipynb_checkpoints", "Thumbs.db"}
SKIPPED_DIRS = {"builtin_captioning", "coco_captioning", ".git"}
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass
class Submission:
    """One student's entry of the submissions folder and what intake noticed about it
    (gradable is False when nothing in it can be graded)."""
    student: str
    entry: Path
    notes: list[str] = field(default_factory=list)
    gradable: bool = True


class SubmissionsError(ValueError):
    """A submissions folder that cannot be graded at all."""


def student_id(entry: Path, id_pattern: re.Pattern | None = None) -> str | None:
    """The nbgrader student id of an entry: its name (a file without its extension), or the part
    of it that id_pattern captures (its group ``student_id``, else its first group, else the whole
    match; None if it does not match), with characters other than letters, digits and ``_ . @ -``
    replaced by ``_``."""
    name = entry.name if entry.is_dir() else Path(entry.name).stem
    if id_pattern is not None:
        match = id_pattern.search(name)
        if match is None:
            return None
        groups = match.groupdict()
        name = groups["student_id"] if "student_id" in groups else (
            match.group(1) if id_pattern.groups else match.group(0))
    return _SAFE_ID.sub("_", name).strip("._") or "_"


def compile_id_pattern(pattern: str | None) -> re.Pattern | None:
    """The --id-pattern regular expression, compiled; SubmissionsError if it is not one."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as error:
        raise SubmissionsError(f"--id-pattern {pattern!r} is not a regular expression ({error})") from None


def find_submissions(directory: Path, id_pattern: str | None = None) -> list[Submission]:
    """The submissions of a folder, sorted by student id. Hidden entries (.name) are ignored; any
    other entry is a student, even one the kit cannot read (its notes say why). With id_pattern,
    the student id is the part of each entry's name the pattern captures (for example the name
    in a course site's download, ``^([a-z]+)_`` for ``ada_12345_67890_hw.zip``); an entry it does
    not match stops everything before anything is graded."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SubmissionsError(f"{directory} is not a folder: expected a folder with one entry "
                               "(a folder or a .zip) per student")
    pattern = compile_id_pattern(id_pattern)
    found: dict[str, Submission] = {}
    unmatched = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or entry.name in JUNK:
            continue
        student = student_id(entry, pattern)
        if student is None:
            unmatched.append(entry.name)
            continue
        sub = Submission(student, entry)
        if sub.student in found:
            raise SubmissionsError(f"{found[sub.student].entry.name} and {entry.name} both give the "
                                   f"student id {sub.student!r}: rename one of them")
        if not (entry.is_dir() or entry.name.lower().endswith(".zip")):
            sub.notes.append(f"{entry.name} is neither a folder nor a .zip: nothing to grade")
            sub.gradable = False
        found[sub.student] = sub
    if unmatched:
        raise SubmissionsError(f"--id-pattern {id_pattern!r} does not match "
                               f"{len(unmatched)} entr{'y' if len(unmatched) == 1 else 'ies'} of "
                               f"{directory}: {', '.join(unmatched[:5])}"
                               + (" ..." if len(unmatched) > 5 else "")
                               + "; fix the pattern or rename the entries")
    if not found:
        raise SubmissionsError(f"{directory} holds no submissions: expected one folder or .zip "
                               "per student")
    return [found[key] for key in sorted(found)]


def content_hash(entry: Path) -> str:
    """The SHA-256 of a submission entry: of a file's bytes, or of a folder's file names and
    contents (what intake ignores left out). A regrade is needed only when it changes."""
    entry = Path(entry)
    digest = hashlib.sha256()
    files = [entry] if not entry.is_dir() else sorted(
        p for p in entry.rglob("*")
        if p.is_file() and not p.is_symlink() and not is_junk(p.relative_to(entry)))
    for path in files:
        digest.update(path.relative_to(entry).as_posix().encode() + b"\0")
        with open(path, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def is_junk(path: PurePosixPath | Path) -> bool:
    return any(part in JUNK or part in SKIPPED_DIRS for part in path.parts)


def extract_zip(archive: Path, dest: Path, notes: list[str]) -> bool:
    """Extract a submission zip safely: no path outside dest, no links, at most
    MAX_SUBMISSION_BYTES in total and MAX_FILE_BYTES per file. False if it cannot be read."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        notes.append(f"{archive.name} is not a readable zip ({error}): nothing to grade")
        return False
    total, skipped = 0, []
    with zf:
        for info in zf.infolist():
            member = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or is_junk(member):
                continue
            is_link = stat.S_ISLNK(info.external_attr >> 16)
            if member.is_absolute() or ".." in member.parts or is_link:
                skipped.append(info.filename)
                continue
            if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_SUBMISSION_BYTES:
                skipped.append(f"{info.filename} (too large)")
                continue
            total += info.file_size
            target = dest.joinpath(*member.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                skipped.append(f"{info.filename} ({error})")
    if skipped:
        notes.append(f"skipped {len(skipped)} zip member(s): {', '.join(skipped[:3])}"
                     + (" ..." if len(skipped) > 3 else ""))
    return True


def find_root(folder: Path) -> Path:
    """The folder that holds the student's copy of the release: folder itself, or the single
    folder inside it (a zip of the release folder), at most three levels down."""
    current = Path(folder)
    for _ in range(3):
        entries = [e for e in current.iterdir() if not is_junk(PurePosixPath(e.name))]
        has_notebooks = any(e.suffix == ".ipynb" for e in entries)
        if has_notebooks or (current / "cs231n").is_dir():
            return current
        if len(entries) == 1 and entries[0].is_dir():
            current = entries[0]
            continue
        break
    return current


def _module(relative: PurePosixPath) -> str:
    """The dotted module name of a .py file relative to the assignment folder."""
    parts = relative.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def copy_package(root: Path, dest: Path, course_package: Path, student_files: list[str],
                 notes: list[str]) -> None:
    """Copy the student's package: the student files and any new .py module of theirs under
    cs231n/ (nothing else: no top-level module could then hide numpy, no compiled file or
    package could hide a course module such as cs231n/checks.py). The course's own files are
    not copied: grading restores them."""
    course_files = {PurePosixPath(p.relative_to(course_package.parent).as_posix())
                    for p in course_package.rglob("*.py")}
    course_modules = {_module(p) for p in course_files if p.name != "__init__.py"}
    hidden = []
    for path in sorted((root / PACKAGE).rglob("*.py")) if (root / PACKAGE).is_dir() else []:
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if is_junk(relative) or path.is_symlink() or not path.is_file():
            continue
        if relative.as_posix() not in student_files:
            if relative in course_files:
                continue
            name = _module(relative).split(".")
            if any(".".join(name[:k]) in course_modules for k in range(1, len(name) + 1)):
                hidden.append(relative.as_posix())
                continue
        if path.stat().st_size > MAX_FILE_BYTES:
            notes.append(f"skipped {relative} (too large)")
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    if hidden:
        notes.append(f"ignored {', '.join(hidden[:3])}: would hide a course module")
