"""Time each assignment notebook, run top to bottom in a fresh kernel with the reference solution,
against its budget: 90 s normally (120 s for Gradient_Flow.ipynb), 30 s with NBGRADER_EXECUTION
set (as while grading, when the training runs and experiments are shortened). Every notebook of
assignments/source/rnn_captioning/ is timed. Prints one line per run with the ratio time / budget (<= 1 is within
budget) and exits with 1 if a run has an error or a test cell that does not earn its points.

The course is built from the sources into --out; the built-in dataset is the one in
datasets/builtin_captioning/ (built first if missing).

    python bench/bench_notebooks.py [--out build/bench/notebooks] [--repeats 1]
"""
import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbgrader.utils import determine_grade, is_grade  # noqa: E402

from cs231n.coco_utils import default_data_dir  # noqa: E402
from kit.course import build_course, run_notebook  # noqa: E402

SOURCE = ROOT / "assignments" / "source" / "rnn_captioning"
BUDGETS = {False: 90.0, True: 30.0}   # grading -> seconds
OWN_BUDGETS = {("Gradient_Flow.ipynb", False): 120.0}


def notebook_problems(path: Path, grading: bool) -> tuple[float, list[str]]:
    """Seconds to run the notebook in a fresh kernel, and its problems (errors, lost points)."""
    nb, seconds = run_notebook(path, grading)
    problems = []
    for index, cell in enumerate(nb.cells):
        if any(o.output_type == "error" for o in cell.get("outputs", [])):
            problems.append(f"cell {index} raised an error")
        if is_grade(cell) and cell.cell_type == "code":
            score, points = determine_grade(cell)
            if score != points:
                problems.append(f"cell {index} scored {score} of {points}")
    return seconds, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "notebooks",
                        help="where to build the course (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each notebook and mode; the median is reported (default 1)")
    args = parser.parse_args(argv)

    source = build_course(args.out)
    link = source / "datasets" / "builtin_captioning"
    if not link.exists():
        link.symlink_to(default_data_dir(), target_is_directory=True)

    failed = False
    for name in sorted(path.name for path in SOURCE.glob("*.ipynb")):
        for grading in (False, True):
            times = []
            for _ in range(args.repeats):
                seconds, problems = notebook_problems(source / name, grading)
                times.append(seconds)
                for problem in problems:
                    print(f"  {name}: {problem}")
                failed |= bool(problems)
            median = statistics.median(times)
            budget = OWN_BUDGETS.get((name, grading), BUDGETS[grading])
            mode = "NBGRADER_EXECUTION" if grading else "normal"
            print(f"{name:24s} {mode:18s} {median:6.1f} s  budget {budget:4.0f} s  "
                  f"ratio {median / budget:.2f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
