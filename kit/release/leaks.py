"""Leak check of a student release: no solution line, no solution marker, no reference-only file.

The *secret lines* are the lines of every solution region of the course source: the
``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions of the reference package and of the notebooks,
whole solution cells without markers, and ``### BEGIN HIDDEN TESTS`` regions. A line counts as
secret only if it says something: lines shorter than MIN_SECRET characters (``else:``, ``break``)
and lines that also appear outside every solution region of the source (so students see them
anyway) are left out.

The *secret expressions* are the formulas inside the secret lines that are Python code
(``dnext_h * (1 - next_h * next_h)``, ``da.dot(Wx.T)``): every sub-expression that computes
something and is at least MIN_EXPRESSION characters long once normalised, unless the public part
of the source has it too. Normalised means: without spaces, with ``a.dot(b)`` and
``np.dot(a, b)`` written ``a@b`` and ``x**2`` written ``x*x``, so a formula copied into a
docstring with other spacing or another spelling of the product is still found.

The release leaks if any file in it (a folder or a zip) contains a secret line or a secret
expression, holds a marker line, or is a reference-only file.
"""
from __future__ import annotations

import ast
import fnmatch
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from ..author import stubs

MIN_SECRET = 10
MIN_EXPRESSION = 12
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


def _secret_and_public(source_files: Iterable[tuple[str, bytes]]) -> tuple[list, list]:
    """The lines inside the solution regions of a course source and the lines outside them."""
    secret, public = [], []
    for path, data in source_files:
        for text, whole_cell in file_texts(path, data):
            inside, outside = _split_source(text.splitlines(), whole_cell)
            secret.extend(inside)
            public.extend(outside)
    return secret, public


def secret_lines(source_files: Iterable[tuple[str, bytes]]) -> set[str]:
    """The secret lines (stripped) of a course source, given as (path, content) pairs."""
    secret, public = _secret_and_public(source_files)
    public_text = "\n".join(line.strip() for line in public)
    candidates = {line.strip() for line in secret}
    return {line for line in candidates
            if len(line) >= MIN_SECRET and line not in MARKERS and line not in public_text}


_SIMPLE_OPERAND = r"[\w.]+(?:\[[^\[\]()]*\])*"
_METHOD_DOT = re.compile(r"\.dot\((" + _SIMPLE_OPERAND + r")\)")
_FUNCTION_DOT = re.compile(r"(?<![\w.])(?:np\.|numpy\.)?dot\((" + _SIMPLE_OPERAND + r"),("
                           + _SIMPLE_OPERAND + r")\)")


_SQUARE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\*\*2(?![\d.])")


def normalise(text: str) -> str:
    """Text without whitespace, with ``a.dot(b)`` and ``np.dot(a, b)`` written ``a@b`` (b being a
    name, an attribute or a subscript: the spelling of a matrix product in the course's code) and
    ``x**2`` written ``x*x``."""
    text = re.sub(r"\s+", "", text)
    text = _SQUARE.sub(r"\1*\1", text)
    previous = None
    while previous != text:
        previous = text
        text = _FUNCTION_DOT.sub(r"\1@\2", _METHOD_DOT.sub(r"@\1", text))
    return text


class _DotToMatmul(ast.NodeTransformer):
    """Rewrite ``a.dot(b)`` and ``np.dot(a, b)`` as ``a @ b``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "dot" and not node.keywords:
            if len(node.args) == 1 and not (isinstance(func.value, ast.Name)
                                            and func.value.id in ("np", "numpy")):
                return ast.BinOp(func.value, ast.MatMult(), node.args[0])
            if len(node.args) == 2 and isinstance(func.value, ast.Name) \
                    and func.value.id in ("np", "numpy"):
                return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        return node


_OPERATORS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp)
_FORMULA_NODES = _OPERATORS + (ast.Call, ast.Subscript)


def _is_formula(node: ast.AST) -> bool:
    """An operator, or a call or subscript with an operator inside (not ``np.zeros_like(h)``)."""
    return isinstance(node, _FORMULA_NODES) and any(
        isinstance(inner, _OPERATORS) for inner in ast.walk(node))


def _parse_line(line: str) -> ast.AST | None:
    """The syntax tree of one stripped line of code (a block opener gets a ``pass`` body), or None
    when the line is not Python."""
    for text in (line, line + " pass"):
        try:
            return ast.parse(text)
        except SyntaxError:
            continue
    return None


def line_expressions(line: str) -> set[str]:
    """The normalised formulas of one line of code: every sub-expression that computes something
    with an operator (see _is_formula), at least MIN_EXPRESSION characters long."""
    tree = _parse_line(line.strip())
    if tree is None:
        return set()
    tree = _DotToMatmul().visit(tree)
    found = set()
    for node in ast.walk(tree):
        if _is_formula(node):
            text = normalise(ast.unparse(node))
            if len(text) >= MIN_EXPRESSION:
                found.add(text)
    return found


def secret_expressions(source_files: Iterable[tuple[str, bytes]]) -> set[str]:
    """The secret expressions (normalised) of a course source, given as (path, content) pairs."""
    secret, public = _secret_and_public(source_files)
    public_text = normalise("\n".join(public))
    candidates = set().union(*(line_expressions(line) for line in secret))
    return {expression for expression in candidates if expression not in public_text}


def find_leaks(release_files: Iterable[tuple[str, bytes]], secrets: set[str],
               reference_only: Iterable[str] = (), expressions: set[str] = frozenset()
               ) -> list[Leak]:
    """Every problem of a release given as (path, content) pairs: reference-only files (paths or
    glob patterns relative to the assignment folder, matched at any depth), marker lines, secret
    lines and secret expressions (normalised, see ``normalise``; an expression is reported only
    where it is not part of a secret line or a longer expression already reported)."""
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
            found = sorted(s for s in secrets if s in text)
            for secret in found:
                leaks.append(Leak(path, f"holds the solution line '{secret}'"))
            for secret in found:
                text = text.replace(secret, "")
            normalised = normalise(text)
            present = [e for e in expressions if e in normalised]
            for expression in sorted(e for e in present
                                     if not any(e != other and e in other for other in present)):
                leaks.append(Leak(path, f"holds the solution expression '{expression}'"))
    return leaks
