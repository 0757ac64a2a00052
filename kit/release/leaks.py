"""Leak check of a student release: no solution line, no solution marker, no reference-only file.

The *secret lines* are the lines of every solution region of the course source: the
``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions of the reference package and of the notebooks,
whole solution cells without markers, and ``### BEGIN HIDDEN TESTS`` regions. A line counts as
secret only if it says something: lines shorter than MIN_SECRET characters (``else:``, ``break``)
and lines that also appear outside every solution region of the source (so students see them
anyway) are left out. The release leaks if any file in it (a folder or a zip) contains a secret
line, holds a marker line, or is a reference-only file.
"""
from __future__ import annotations

import fnmatch
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from ..author import stubs

MIN_SECRET = 10
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (stubs.BEGIN, stubs.END, HIDDEN_BEGIN, HIDDEN_END)


@dataclass(frozen=True)
class Leak:
    """One problem found in a release: the file (relative path) and what is wrong with it."""
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def _regions(lines: list[str], begin: str, end: str) -> tuple[list[str], list[str]]:
    """Split lines into (inside regions, outside regions) for one pair of markers."""
    inside, outside, depth = [], [], False
    for line in lines:
        stripped = line.strip()
        if stripped == begin:
            depth = True
        elif stripped == end:
            depth = False
        elif depth:
            inside.append(line)
        else:
            outside.append(line)
    return inside, outside


def _split_source(lines: list[str], whole_cell_secret: bool = False) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of one source text."""
    if whole_cell_secret and not any(line.strip() == stubs.BEGIN for line in lines):
        return lines, []
    secret, public = _regions(lines, stubs.BEGIN, stubs.END)
    hidden, public = _regions(public, HIDDEN_BEGIN, HIDDEN_END)
    return secret + hidden, public


def _notebook_texts(data: bytes) -> Iterator[tuple[str, bool]]:
    """(text, is a solution cell) for each cell source and text output of a notebook file."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        yield data.decode("utf-8", errors="replace"), False
        return
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        yield source, bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
        for output in cell.get("outputs", []):
            for value in [output.get("text", "")] + list(output.get("data", {}).values()):
                if isinstance(value, (str, list)):
                    yield "".join(value) if isinstance(value, list) else value, False


def file_texts(path: str, data: bytes) -> Iterator[tuple[str, bool]]:
    """The texts of one file as (text, is a notebook solution cell: secret as a whole unless it
    has solution markers)."""
    if path.endswith(".ipynb"):
        yield from _notebook_texts(data)
    else:
        yield data.decode("utf-8", errors="replace"), False


def walk_folder(folder: Path) -> Iterator[tuple[str, bytes]]:
    """(relative posix path, content) of every file under a folder."""
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def walk_zip(archive: Path) -> Iterator[tuple[str, bytes]]:
    """(member path, content) of every file in a zip."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                yield info.filename, zf.read(info)


def secret_lines(source_files: Iterable[tuple[str, bytes]]) -> set[str]:
    """The secret lines (stripped) of a course source, given as (path, content) pairs."""
    secret, public = [], []
    for path, data in source_files:
        for text, whole_cell in file_texts(path, data):
            inside, outside = _split_source(text.splitlines(), whole_cell)
            secret.extend(inside)
            public.extend(outside)
    public_text = "\n".join(line.strip() for line in public)
    candidates = {line.strip() for line in secret}
    return {line for line in candidates
            if len(line) >= MIN_SECRET and line not in MARKERS and line not in public_text}


def find_leaks(release_files: Iterable[tuple[str, bytes]], secrets: set[str],
               reference_only: Iterable[str] = ()) -> list[Leak]:
    """Every problem of a release given as (path, content) pairs: reference-only files (paths or
    glob patterns relative to the assignment folder, matched at any depth), marker lines and
    secret lines."""
    patterns = list(reference_only)
    leaks = []
    for path, data in release_files:
        name = PurePosixPath(path)
        if any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(name.name, p)
               or path.endswith("/" + p) for p in patterns):
            leaks.append(Leak(path, "reference-only file"))
            continue
        for text, _ in file_texts(path, data):
            lines = [line.strip() for line in text.splitlines()]
            for marker in MARKERS:
                if marker in lines:
                    leaks.append(Leak(path, f"holds the marker line '{marker}'"))
            for secret in sorted(s for s in secrets if s in text):
                leaks.append(Leak(path, f"holds the solution line '{secret}'"))
    return leaks
