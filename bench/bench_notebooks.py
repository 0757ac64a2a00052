"""Time each assignment notebook, run top to bottom in a fresh kernel with the reference solution,
against its budget (kit.author.facts.BUDGETS: as a student runs it, and with NBGRADER_EXECUTION
set, as while grading, when the training runs and experiments are shortened). Only the notebooks the course releases
(assignments/course.toml) are timed. Prints one line per run with the ratio time / budget (<= 1 is within
budget) and exits with 1 if a run has an error or a test cell that does not earn its points.

The course is built from the sources into --out; the built-in dataset is the one in
datasets/builtin_captioning/ (built first if missing). With --coco DIR the notebooks read the
coco_captioning folder DIR instead (the real data), and with --fullsize they read files of the
real format and full size with random content (400135 training captions, 1004 words), written
into --out/coco_captioning/ (about 300 MB, 20 s) when missing.

With --save DIR the executed notebooks (the last run of each mode) are written into DIR, as
NAME.ipynb and NAME.grading.ipynb, with their outputs: the figures a notebook prints (the language
model's bits per character and its units' correlations, say) are read there.

    python bench/bench_notebooks.py [--out build/bench/notebooks] [--repeats 1] [--only NAME]
                                    [--coco DIR | --fullsize] [--save DIR]
"""
import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from nbgrader.utils import determine_grade, is_grade  # noqa: E402

from cs231n.coco_utils import default_data_dir  # noqa: E402
from kit import atomic  # noqa: E402
from kit.author.course import build_course  # noqa: E402
from kit.author.facts import BUDGETS  # noqa: E402
from tests.notebook_support import run_notebook  # noqa: E402

NOTEBOOKS = ("RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "CharRNN_Language_Model.ipynb",
             "Gradient_Flow.ipynb")


def notebook_problems(path: Path, grading: bool, save: Path | None = None
                      ) -> tuple[float, list[str]]:
    """Seconds to run the notebook in a fresh kernel, and its problems (errors, lost points);
    the executed notebook is written into the folder save unless it is None."""
    nb, seconds = run_notebook(path, grading)
    if save is not None:
        target = save / (path.stem + (".grading" if grading else "") + path.suffix)
        with atomic.replacing(target) as tmp:
            nbformat.write(nb, str(tmp))
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
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--coco", type=Path, metavar="DIR",
                      help="a coco_captioning folder (the real data) for the notebooks to read")
    data.add_argument("--fullsize", action="store_true",
                      help="read full-size files in the real COCO format with random content "
                           "(written into OUT/coco_captioning/ when missing)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="time only this notebook (e.g. CharRNN_Language_Model.ipynb); "
                             "may be repeated")
    parser.add_argument("--save", type=Path, metavar="DIR",
                        help="write the executed notebooks, with their outputs, into DIR")
    args = parser.parse_args(argv)

    coco = args.coco
    if args.fullsize:
        from tests.fullsize_coco import write_fullsize_coco
        coco = args.out / "coco_captioning"
        if not (coco / "coco2014_vocab.json").is_file():
            write_fullsize_coco(coco)
    source = build_course(args.out / "course" if coco else args.out)
    links = {"builtin_captioning": default_data_dir()}
    if coco:
        links = {"coco_captioning": coco.resolve()}
    for name, target in links.items():
        link = source / "datasets" / name
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)

    failed = False
    for name in args.only or NOTEBOOKS:
        if not (source / name).is_file():
            print(f"{name:24s} not in this course (assignments/course.toml)")
            continue
        for grading in (False, True):
            times = []
            for _ in range(args.repeats):
                seconds, problems = notebook_problems(source / name, grading, args.save)
                times.append(seconds)
                for problem in problems:
                    print(f"  {name}: {problem}")
                failed |= bool(problems)
            median, budget = statistics.median(times), BUDGETS[Path(name).stem][grading]
            mode = "NBGRADER_EXECUTION" if grading else "normal"
            print(f"{name:24s} {mode:18s} {median:6.1f} s  budget {budget:4.0f} s  "
                  f"ratio {median / budget:.2f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
