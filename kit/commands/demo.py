"""The whole instructor pipeline on sample submissions, in a few minutes.

Builds the built-in dataset, the student release (build/release/), sample submissions
(build/demo/submissions/: the reference solution, the untouched release, and copies of the
reference with one realistic bug each), grades them in parallel, in the grading sandbox
(bubblewrap: `apt-get install bubblewrap`), into a demo course
(build/demo/course/, its own gradebook, started afresh), prints the grade table, checks that every
sample got the score it should (full autograded marks for the reference, none for the untouched
release, partial credit for each bug) and says where the feedback and the plot are.

The samples are the kit's own code, not a student's: where no sandbox can be made (bubblewrap
missing, user namespaces disabled), the demo says so on its first line, with what to install, and
grades them with your rights. `kit grade` still refuses to grade without a sandbox.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import options
from ..demo import pipeline
from ..grade.limits import check_jobs
from ..grade.sandbox import SandboxError, check_available
from ..paths import DEMO, RELEASE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_jobs(parser)
    options.add_out(parser, DEMO, "folder of the demo's submissions, course and grading output "
                                  "(default: %(default)s)")
    parser.add_argument("--release", type=Path, default=RELEASE,
                        help="folder the student release is built in (default: %(default)s)")


@options.reports(ValueError, SandboxError)
def run(args: argparse.Namespace) -> int:
    check_jobs(args.jobs)
    sandbox = True
    try:
        check_available()
    except SandboxError as error:
        print(NO_SANDBOX.format(reason=error.reason), flush=True)
        sandbox = False
    return pipeline.run(args.out, args.jobs, sandbox=sandbox, release_dir=args.release)


NO_SANDBOX = """\
NO SANDBOX: the demo grades its own sample submissions with your rights, outside the sandbox.
  Grading runs student code in a bubblewrap sandbox, and none can be made here: {reason}.
  The samples are the kit's own code, so the demo goes on; `kit grade` refuses to grade students
  without a sandbox. Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`, or
  `make system-deps` as root) and allow unprivileged user namespaces (see the README's
  Troubleshooting), then run `make demo` again.
"""
