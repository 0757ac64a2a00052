"""Generate the checks' reference outputs (cs231n/reference_outputs.npz) from the reference package:
every case of kit/author/check_cases.py, visible and hidden, run through this repository's
cs231n/, which must pass every check first. The file is generated, never edited and never
committed; the same code gives a byte-identical file.

    python -m kit reference-outputs                  # into this repository (to run checks here)
    python -m kit reference-outputs --dest build/x   # into build/x/cs231n/reference_outputs.npz
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..author.reference_outputs import write_reference_outputs
from ..paths import REFERENCE_OUTPUTS, ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dest", type=Path, default=ROOT, metavar="DIR",
                        help=f"assignment folder to write {REFERENCE_OUTPUTS.as_posix()} into "
                             f"(default: this repository, {ROOT})")


def run(args: argparse.Namespace) -> int:
    for path in write_reference_outputs(args.dest):
        print(f"Wrote {path}")
    return 0
