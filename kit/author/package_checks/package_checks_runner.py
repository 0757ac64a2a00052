"""Compute the student's outputs on the package checks' cases, in a process of its own.

Run as ``python -c <this file's text> IN.npz OUT_DIR`` in a folder holding only a copy of the
student's cs231n/ (no reference outputs). IN.npz holds the cases' inputs, never their expected
outputs, in the format of ``cs231n.checks.pack_cases``. For each check, OUT_DIR/<check>.npz gets
its results in the same format: one case per input case, labelled with the input case's index,
the computed outputs as its expected outputs, and what stopped it (if anything) as
``options["error"]``. A file appears whole once its check is done, so a crash or a hang costs only
the checks not done yet.
"""
import os
import sys
from pathlib import Path

import numpy as np

import cs231n
from cs231n import checks

ERROR_CHARS = 300


def result(index: int, case: checks.Case) -> checks.Case:
    """The result case of one input case: its outputs, or the error its code raised."""
    try:
        got = checks.outputs(case)
        changed = checks.upstream_changes(case)
    except BaseException as e:  # noqa: BLE001 - SystemExit too: one case never stops the others
        plain = type(e).__name__ == "_ContractError"
        error = (str(e) if plain else f"{type(e).__name__}: {e}")[:ERROR_CHARS]
        return checks.Case(case.check, {}, label=str(index), options={"error": error})
    if changed:   # an upstream gradient modified in place fails the case, as in the notebooks
        return checks.Case(case.check, {}, label=str(index),
                           options={"error": changed[0][:ERROR_CHARS]})
    arrays = {key: value for key, value in got.items() if value.dtype != object}
    return checks.Case(case.check, {}, arrays, label=str(index))


def main(argv: list[str]) -> None:
    if Path(cs231n.__file__).resolve().parent != (Path.cwd() / "cs231n").resolve():
        sys.exit("cs231n/ is not the submission's package")
    cases = checks.load_cases(argv[1])
    out = Path(argv[2])
    for name in dict.fromkeys(case.check for case in cases):
        results = [result(i, case) for i, case in enumerate(cases) if case.check == name]
        tmp = out / f".{name}.tmp.npz"
        np.savez(tmp, **checks.pack_cases(results))
        os.replace(tmp, out / f"{name}.npz")


if __name__ == "__main__":
    main(sys.argv)
