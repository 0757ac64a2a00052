"""Time the build of the built-in captioning dataset and check its size and determinism.

Targets: the build takes at most 30 s on a 2-core machine, the folder holds less than 100 MB, and
two builds with the same seed are byte-identical. The script builds the dataset --builds times into
a temporary folder and prints the median wall time with its ratio to the target (lower is better),
the size, and whether every build gave the same bytes. With --evaluate it also trains the
one-minute LSTM recipe of `python -m kit data --evaluate` and prints its caption scores and CPU time.

    python bench/bench_dataset.py [--builds 2] [--evaluate]
"""
import argparse
import filecmp
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILD_TARGET_S = 30.0
SIZE_TARGET_MB = 100.0


def load_builder():
    spec = importlib.util.spec_from_file_location("builtin_captioning",
                                                  ROOT / "datasets" / "builtin_captioning.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_bytes(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=2, help="number of builds to time (at least 2)")
    parser.add_argument("--evaluate", action="store_true",
                        help="also train the one-minute LSTM recipe and print its caption scores")
    args = parser.parse_args()
    builder = load_builder()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{builder.NUM_IMAGES['train']} + {builder.NUM_IMAGES['val']} images")

    with tempfile.TemporaryDirectory() as tmp:
        times, folders = [], []
        for i in range(max(args.builds, 2)):
            folder = Path(tmp) / f"build{i}" / "builtin_captioning"
            start = time.perf_counter()
            builder.build(folder)
            times.append(time.perf_counter() - start)
            folders.append(folder)
            print(f"build {i + 1}: {times[-1]:.1f} s")
        size_mb = sum(p.stat().st_size for p in folders[0].iterdir()) / 2**20
        identical = all(same_bytes(folders[0], f) for f in folders[1:])
        median = statistics.median(times)
        print(f"build time  {median:6.1f} s   target {BUILD_TARGET_S:.0f} s   ratio {median / BUILD_TARGET_S:.2f}")
        print(f"size        {size_mb:6.1f} MB  target {SIZE_TARGET_MB:.0f} MB  ratio {size_mb / SIZE_TARGET_MB:.2f}")
        print(f"byte-identical builds: {'yes' if identical else 'NO'}")
        if args.evaluate:
            from kit.author.data import print_teaching_report
            print_teaching_report(folders[0])
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
