"""Rewrite the grade table (grades.csv) and the score plot (scores.png) from the class gradebook and
the status of each student's last grading, and print the table: for example after a TA entered
manual scores.
"""
from __future__ import annotations

import argparse

from .. import options
from ..nbgrader_api import DatabaseUrlError
from ..report.outputs import write_outputs
from ..report.table import print_summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_graded_class(parser)


@options.reports(DatabaseUrlError)
def run(args: argparse.Namespace) -> int:
    setup = options.graded_class(args)
    setup.out_dir.mkdir(parents=True, exist_ok=True)
    write_outputs(setup)
    print_summary(setup)
    return 0
