"""The whole instructor pipeline on sample submissions, in a few minutes.

Builds the built-in dataset, the student release (build/release/), sample submissions
(build/demo/submissions/: the reference solution, the untouched release, and copies of the
reference with one realistic bug each), grades them in parallel, in the grading sandbox
(bubblewrap: `apt-get install bubblewrap`; the demo stops at once without it), into a demo course
(build/demo/course/, its own gradebook, started afresh), prints the grade table, checks that every
sample got the score it should (full autograded marks for the reference, none for the untouched
release, partial credit for each bug) and says where the feedback and the plot are.
"""
from __future__ import annotations

import argparse

from .. import options
from ..demo import pipeline
from ..grade.limits import check_jobs
from ..grade.sandbox import SandboxError, check_available
from ..paths import DEMO


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_jobs(parser)
    options.add_out(parser, DEMO, "folder of the demo's submissions, course and grading output "
                                  "(default: %(default)s)")


@options.reports(ValueError, SandboxError)
def run(args: argparse.Namespace) -> int:
    check_jobs(args.jobs)
    check_available()
    return pipeline.run(args.out, args.jobs)
