"""Student stubs of the reference package.

nbgrader strips solutions from notebooks only; the ``.py`` files of the package are the kit's job.
Every region of a reference file between a line ``### BEGIN SOLUTION`` and a line
``### END SOLUTION`` becomes, at the indentation of the BEGIN line::

    # YOUR CODE HERE
    raise NotImplementedError()

The files that hold at least one region are the *student files*: the files students edit and hand in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import atomic

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


class MarkerError(ValueError):
    """Solution markers that do not pair up."""


@dataclass(frozen=True)
class SolutionRegion:
    """One solution region: 1-based line numbers of its BEGIN and END marker lines, the BEGIN line's
    indentation, and the lines strictly between the markers."""
    begin: int
    end: int
    indent: str
    lines: tuple[str, ...]


def _marker(line: str) -> str | None:
    stripped = line.strip()
    return stripped if stripped in (BEGIN, END) else None


def solution_regions(text: str, name: str = "<text>") -> list[SolutionRegion]:
    """The solution regions of a source text, in order. A marker counts only when it is alone on its
    line (so prose that mentions the markers is left alone). Raises MarkerError, naming the file and
    line, when the markers do not pair up."""
    regions, start = [], None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        marker = _marker(line)
        if marker == BEGIN:
            if start is not None:
                raise MarkerError(f"{name}:{number}: '{BEGIN}' inside the region opened at line "
                                  f"{start}; close it with '{END}' first")
            start = number
        elif marker == END:
            if start is None:
                raise MarkerError(f"{name}:{number}: '{END}' without a matching '{BEGIN}' above it")
            indent = re.match(r"\s*", lines[start - 1]).group(0)
            regions.append(SolutionRegion(start, number, indent, tuple(lines[start:number - 1])))
            start = None
    if start is not None:
        raise MarkerError(f"{name}:{start}: '{BEGIN}' is never closed; add '{END}' after the solution")
    return regions


def stub_source(text: str, name: str = "<text>") -> str:
    """The student version of a source text: each solution region, markers included, replaced by the
    stub at the region's indentation. Text without regions comes back unchanged."""
    regions = solution_regions(text, name)
    if not regions:
        return text
    lines = text.splitlines(keepends=True)
    out, previous_end = [], 0
    for region in regions:
        out.extend(lines[previous_end:region.begin - 1])
        out.extend(f"{region.indent}{stub}\n" for stub in STUB)
        previous_end = region.end
    out.extend(lines[previous_end:])
    return "".join(out)


def has_solution(path: Path) -> bool:
    """Whether a file holds at least one solution marker line."""
    return any(_marker(line) for line in Path(path).read_text(encoding="utf-8").splitlines())


def student_files(package_dir: Path) -> list[Path]:
    """The student files of a package: its .py files that hold solution regions, as paths relative to
    the package's parent folder (for example ``cs231n/rnn_layers.py``), sorted."""
    package_dir = Path(package_dir)
    found = [path for path in package_dir.rglob("*.py")
             if "__pycache__" not in path.parts and has_solution(path)]
    return sorted(path.relative_to(package_dir.parent) for path in found)


def stub_file(path: Path) -> bool:
    """Replace a file by its student version, in place (written to a temporary name, then renamed).
    Returns whether the file had solution regions."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    stubbed = stub_source(text, str(path))
    if stubbed == text:
        return False
    atomic.write_text(path, stubbed)
    return True


def stub_package(package_dir: Path) -> list[Path]:
    """Stub every student file of a package in place; returns the student files (as student_files)."""
    files = student_files(package_dir)
    for relative in files:
        stub_file(Path(package_dir).parent / relative)
    return files
