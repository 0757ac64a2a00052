"""Pack your work for handing in. Run it from a terminal in the assignment folder:

    python -m cs231n.submit                 # writes rnn_captioning_submission.zip in the folder
    python -m cs231n.submit --out hw.zip    # somewhere else
    python -m cs231n.submit --no-checks     # without running the checks

The zip holds what is graded: your notebooks and the .py files of cs231n/, in one folder named
after the assignment, rnn_captioning/, whatever your folder is called (the datasets, caches and reference outputs are left out). Before
writing it, the command tells you what looks unfinished: functions that still raise
NotImplementedError, a file with a syntax error, a notebook that is not valid or still has an
answer cell saying "YOUR ANSWER HERE". Then it runs every check (python -m cs231n.check --quiet)
on the package as it is. The zip is written in any case: every part that works earns its points.
Exit status: 0 when the zip is written, 2 when it cannot be (not an assignment folder, for example).
"""
from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

PACKAGE = "cs231n"
UNANSWERED = "YOUR ANSWER HERE"   # nbgrader's placeholder in written-answer cells
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
ASSIGNMENT = "rnn_captioning"
ZIP_NAME = f"{ASSIGNMENT}_submission.zip"   # the name the students' README gives
MAX_FILE_BYTES = 20 * 2**20       # the grader leaves out any larger file of a submission


def submission_files(folder: Path) -> list[Path]:
    """What the grader reads, relative to the assignment folder: the notebooks at its top level
    and every .py file of the package."""
    notebooks = sorted(p.relative_to(folder) for p in folder.glob("*.ipynb"))
    modules = sorted(p.relative_to(folder) for p in (folder / PACKAGE).rglob("*.py")
                     if not SKIPPED_PARTS & set(p.parts))
    return notebooks + modules


def unfinished_functions(path: Path, relative: Path) -> list[str]:
    """What is left to do in one module: a line per function that still raises
    NotImplementedError, or the syntax error that keeps the module from being read."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
    except SyntaxError as error:
        return [f"{relative}, line {error.lineno}: syntax error ({error.msg}): the whole module "
                "fails to import, so every check that uses it fails"]
    todo = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in node.body:
                if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.unparse(
                        statement.exc or ast.Constant(None)):
                    todo.append(f"{relative}: {node.name} still raises NotImplementedError")
                    break
    return todo


def notebook_problems(path: Path, relative: Path) -> list[str]:
    """A line if the notebook cannot be read, or for its answer cells still to be written."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds of errors
        return [f"{relative} is not a valid notebook ({str(error).splitlines()[0][:80]}): it would "
                "be graded as the original notebook; restore it from the assignment zip"]
    open_answers = [cell for cell in nb.cells
                    if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
                    and cell.cell_type == "markdown" and UNANSWERED in cell.source]
    if open_answers:
        return [f"{relative}: {len(open_answers)} written answer(s) still say {UNANSWERED!r}"]
    return []


def unfinished(folder: Path, files: list[Path]) -> list[str]:
    """Every line of what looks unfinished in the submission's files."""
    todo = []
    for relative in files:
        path = folder / relative
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            todo.append(f"{relative} is {size / 2**20:.0f} MB, over the grader's "
                        f"{MAX_FILE_BYTES // 2**20} MB limit per file, and would be left out: "
                        "clear its outputs (Edit > Clear All Outputs) and save it")
        if relative.suffix == ".py":
            todo += unfinished_functions(path, relative)
        else:
            todo += notebook_problems(path, relative)
    return todo


def write_zip(folder: Path, files: list[Path], out: Path) -> None:
    """Zip the files under one top-level folder named after the assignment. The zip is
    written to a temporary file first, so an existing one is replaced only by a complete one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for relative in files:
                zf.write(folder / relative, (Path(ASSIGNMENT) / relative).as_posix())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def run_checks(folder: Path) -> int:
    """Run every check on the package in a process of its own (so a crash or sys.exit in the
    package cannot stop this command); returns the checks' exit status."""
    print("\nRunning the checks (python -m cs231n.check --quiet) ...", flush=True)
    return subprocess.run([sys.executable, "-m", f"{PACKAGE}.check", "--quiet"], cwd=folder).returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}.submit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=Path.cwd(),
                        help="the assignment folder (default: the current folder)")
    parser.add_argument("--out", type=Path,
                        help=f"the zip to write (default: <folder>/{ZIP_NAME})")
    parser.add_argument("--no-checks", action="store_true", help="do not run the checks")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    folder = args.folder.resolve()
    if not (folder / PACKAGE).is_dir():
        print(f"error: {folder} has no {PACKAGE}/ folder. Run this command in the assignment "
              f"folder (the one with the notebooks and {PACKAGE}/), or pass it with --folder.",
              file=sys.stderr)
        return 2
    files = submission_files(folder)
    if not any(f.suffix == ".ipynb" for f in files):
        print(f"warning: no notebook in {folder}: the zip holds only your package", file=sys.stderr)

    todo = unfinished(folder, files)
    if todo:
        print("Looks unfinished (each part earns its points only when it works):")
        print("\n".join(f"  - {line}" for line in todo))
    else:
        print("Nothing looks unfinished: no stub left, every notebook readable, every answer written.")

    out = (args.out or folder / ZIP_NAME).resolve()
    try:
        write_zip(folder, files, out)
    except OSError as error:
        print(f"error: could not write {out}: {error}. Pass another path with --out.", file=sys.stderr)
        return 2
    notebooks = sum(f.suffix == ".ipynb" for f in files)
    print(f"\nWrote {out}: {notebooks} notebook(s) and {len(files) - notebooks} module(s) of "
          f"{PACKAGE}/. Hand in this file.")
    if not args.no_checks:
        run_checks(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
