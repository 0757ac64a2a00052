"""Run the notebooks' checks from a terminal, in the assignment folder:

    python -m cs231n.check                      # every check
    python -m cs231n.check lstm_step_backward   # one check
    python -m cs231n.check 'rnn_*' temporal_softmax_loss
    python -m cs231n.check --list               # the checks' names
    python -m cs231n.check rnn_step_backward --verbose   # show the gradients compared

Each check prints the same PASS/FAIL lines as its notebook cell. The exit status is 0 when every
check passed, 1 when one failed, 2 on a usage error (unknown name, missing reference outputs).
"""
from __future__ import annotations

import argparse
import sys

from . import checks, points


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.check", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="name",
                        help="checks to run: names or shell patterns like 'lstm_*' (default: all)")
    parser.add_argument("--list", action="store_true",
                        help="list the checks and the function each one tests")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only FAIL lines and the summary")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="under each comparison with a numerical gradient, print the "
                             "numerical and your analytic gradient and the entries where they "
                             "differ most")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        for name, spec in checks.CHECKS.items():
            print(f"{name:26s} {spec.fix}")
        return 0
    try:
        names = checks.select(args.names or ["*"])
        if not args.names:   # every check of this course: those with cases
            names = [name for name in names if checks.has_cases(name)]
        results = {name: _run(name) for name in names}
    except (ValueError, checks.ReferenceOutputsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    worth = points.check_points()
    failed = []
    for name, lines in results.items():
        for line in lines:
            if not (args.quiet and line.passed):
                print(line)
                if args.verbose and line.gradient is not None:
                    print(checks.gradient_detail(line))
        if not all(line.passed for line in lines):
            failed.append(name)
            print(f"  -> {checks.failure_message(name, lines)}{_costs(worth.get(name, 0))}")
    extra = [name for name in names if name in checks.EXTRA_CREDIT]
    if extra:
        print(f"\nExtra credit: {len([n for n in extra if n not in failed])} of {len(extra)} "
              f"checks passed (optional: they add to the score, never to the maximum)")
    passed = len(names) - len(failed)
    summary = f"\n{passed} of {len(names)} checks passed"
    print(summary + (f"; failed: {', '.join(failed)}" if failed else ""))
    if worth:
        earned = sum(worth.get(name, 0) for name in names if name not in failed)
        print(f"Autograded points: {earned} of {sum(worth.get(name, 0) for name in names)} "
              f"(the points of the passing checks; hidden cases at grading change only sizes "
              f"and values; written answers are graded by hand)")
    return 1 if set(failed) - checks.EXTRA_CREDIT else 0


def _run(name: str) -> list[checks.Line]:
    """A check's lines; one FAIL line when the module it tests cannot be imported."""
    error = checks.import_error(name)
    return [checks.Line(name, False, error)] if error else checks.run(name)


def _costs(points: int) -> str:
    return f" This check is worth {points} point(s) at grading." if points else ""


if __name__ == "__main__":
    raise SystemExit(main())
