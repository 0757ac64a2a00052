"""The reference outputs file: the inputs of every case of every check and the reference solution's
outputs on them.

File format: an ``.npz`` archive with ``meta`` (a JSON string: ``{"format": 1, "cases": [{"id",
"check", "label", "hidden", "options", "inputs", "expected"}, ...]}``, ``inputs`` and ``expected``
being ordered lists of array names) and one array per ``<id>/in/<name>`` and ``<id>/out/<name>``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = 1
PACKAGE_DIR = Path(__file__).resolve().parent.parent
REFERENCE_FILE = PACKAGE_DIR / "reference_outputs.npz"


class ReferenceOutputsError(FileNotFoundError):
    """The reference outputs file is missing, unreadable or from another version of the kit."""


@dataclass
class Case:
    """One set of inputs of a check and the reference outputs on them."""
    check: str
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray] = field(default_factory=dict)
    label: str = ""
    hidden: bool = False
    options: dict = field(default_factory=dict)


def pack_cases(cases: list[Case]) -> dict[str, np.ndarray]:
    """The arrays of the reference outputs file for a list of cases (see the module docstring)."""
    arrays, meta = {}, []
    for number, case in enumerate(cases):
        case_id = f"c{number:03d}"
        meta.append({"id": case_id, "check": case.check, "label": case.label, "hidden": case.hidden,
                     "options": case.options, "inputs": list(case.inputs),
                     "expected": list(case.expected)})
        for role, named in (("in", case.inputs), ("out", case.expected)):
            for name, value in named.items():
                arrays[f"{case_id}/{role}/{name}"] = np.asarray(value)
    arrays["meta"] = np.array(json.dumps({"format": FORMAT, "cases": meta}, sort_keys=True))
    return arrays


# Option of a hidden case whose expected outputs were left out of the file (at grading, in the
# notebooks' kernels): the names of those outputs. The grader compares them elsewhere.
WITHHELD = "withheld"


def withhold_hidden_outputs(cases: list[Case]) -> list[Case]:
    """The cases with the hidden ones' expected outputs left out (their names kept in the option
    WITHHELD): the reference outputs that code under grading may see."""
    return [Case(c.check, c.inputs, {}, c.label, True, {**c.options, WITHHELD: list(c.expected)})
            if c.hidden and c.expected else c for c in cases]


HOW_TO_REBUILD = ("In a student folder, restore cs231n/reference_outputs.npz from the assignment "
                  "you were given. In the kit's repository, create it with "
                   "`python -m kit reference-outputs`.")


_loaded: dict = {}


def load_cases(path: Path | str | None = None) -> list[Case]:
    """Every case stored in a reference outputs file (default: cs231n/reference_outputs.npz)."""
    path = Path(path) if path is not None else REFERENCE_FILE
    if not path.is_file():
        raise ReferenceOutputsError(f"No reference outputs at {path}. {HOW_TO_REBUILD}")
    key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
    if key not in _loaded:
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(str(arrays["meta"]))
        except Exception as e:  # noqa: BLE001 - any corruption gets the same advice
            raise ReferenceOutputsError(f"{path} is not a readable reference outputs file ({e}). "
                                        f"{HOW_TO_REBUILD}") from None
        if meta.get("format") != FORMAT:
            raise ReferenceOutputsError(f"{path} has format {meta.get('format')}, this checker "
                                        f"reads format {FORMAT}. {HOW_TO_REBUILD}")
        _loaded.clear()
        _loaded[key] = [Case(check=m["check"], label=m["label"], hidden=m["hidden"],
                             options=m["options"],
                             inputs={n: arrays[f"{m['id']}/in/{n}"] for n in m["inputs"]},
                             expected={n: arrays[f"{m['id']}/out/{n}"] for n in m["expected"]})
                        for m in meta["cases"]]
    return _loaded[key]

