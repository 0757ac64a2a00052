"""Generate the reference outputs of the assignment's checks from the reference package.

Runs every case of kit/author/check_cases.py (visible and hidden) through the reference solution in this
repository's cs231n/ and writes ASSIGNMENT_DIR/cs231n/reference_outputs.npz, which the checks of
the notebooks and of `python -m cs231n.check` compare with. The file is generated, never edited and
never committed; the same code gives a byte-identical file.

Before writing, the reference solution must pass every check on every case (otherwise a threshold
or a case is wrong), and each case must test what it claims (e.g. that sampled captions end early).

    python -m kit reference-outputs                  # into this repository (to run checks here)
    python -m kit reference-outputs --dest build/x   # into build/x/cs231n/reference_outputs.npz

With the environment variable KIT_REFERENCE_CACHE set to a folder, a generated file is also kept
there under the digest of the code that generated it (the imported cs231n package and this
package's modules), and copied from there when that code has not changed: the kit's test suite
builds many courses from the same reference.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

import cs231n
from cs231n import checks

from .. import atomic
from ..paths import PACKAGE, REFERENCE_OUTPUTS, ROOT
from . import check_cases

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
CACHE_ENV = "KIT_REFERENCE_CACHE"


def _reference_checks():
    """cs231n.checks, making sure the cs231n package imported is this repository's reference."""
    where = Path(cs231n.__file__).resolve().parent
    if where != ROOT / PACKAGE:
        raise RuntimeError(f"The reference outputs must come from the reference package "
                           f"{ROOT / PACKAGE}, but `import cs231n` gives {where}. Run from the "
                           f"repository root (python -m kit reference-outputs).")
    return checks


def _check_robust_sampling(checks, case) -> None:
    """Greedy captions must not hinge on a near-tie between two words: tiny changes of the
    parameters must leave them unchanged (up to <END>), or another correct implementation could
    round differently and fail."""
    rng = np.random.RandomState(0)
    for _ in range(3):
        nudged = checks.Case(case.check, {k: v * (1 + 1e-9 * rng.randn(*v.shape))
                                          if k.startswith("params/") else v
                                          for k, v in case.inputs.items()},
                             case.expected, case.label, case.hidden, case.options)
        failed = [line for line in checks.run_cases([nudged]) if not line.passed]
        if failed:
            raise RuntimeError(f"{case.check} [{case.label}]: the reference captions change when "
                               f"the parameters move by 1e-9 ({failed[0].text}); pick another seed")


def reference_cases() -> list:
    """Every case of kit.author.check_cases with its expected outputs filled in from the reference."""
    checks = _reference_checks()
    cases = check_cases.all_cases()
    for case in cases:
        case.expected = checks.outputs(case)
        for requirement in check_cases.requirements(case):
            problem = requirement(case, case.expected)
            if problem:
                raise RuntimeError(f"{case.check} [{case.label}]: {problem}")
    failed = [line for line in checks.run_cases(cases) if not line.passed]
    if failed:
        raise RuntimeError("The reference solution fails its own checks:\n"
                           + "\n".join(str(line) for line in failed))
    for case in cases:
        if case.check.endswith("_sample"):
            _check_robust_sampling(checks, case)
    return cases


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz that np.load reads, byte-identical for identical arrays: members sorted by name,
    stored uncompressed with a fixed date. Written to a temporary name, then renamed."""
    with atomic.replacing(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            array = np.asarray(arrays[name])
            if not array.flags.c_contiguous:
                array = array.copy(order="C")
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def write_reference_outputs(assignment_dir: Path) -> list[Path]:
    """Write every generated support file the checks need into an assignment folder (the folder
    holding cs231n/); return their paths."""
    path = Path(assignment_dir) / REFERENCE_OUTPUTS
    cached = _cached_path()
    if cached is not None and cached.is_file():
        with atomic.replacing(path) as tmp:
            shutil.copyfile(cached, tmp)
        return [path]
    checks = _reference_checks()
    write_npz(path, checks.pack_cases(reference_cases()))
    if cached is not None:
        with atomic.replacing(cached) as tmp:
            shutil.copyfile(path, tmp)
    return [path]


def _cached_path() -> Path | None:
    """Where KIT_REFERENCE_CACHE keeps the file the code imported now generates (None unset)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    digest = hashlib.sha256(np.__version__.encode())
    for package in (Path(cs231n.__file__).resolve().parent, Path(__file__).resolve().parent):
        for source in sorted(package.rglob("*.py")):
            digest.update(source.relative_to(package).as_posix().encode() + source.read_bytes())
    return Path(folder) / f"reference_outputs-{digest.hexdigest()[:20]}.npz"


def keep_visible_cases(assignment_dir: Path) -> None:
    """Drop the hidden cases from an assignment folder's reference outputs (the student version:
    the hidden cases come back with the course's file, which grading restores)."""
    checks = _reference_checks()
    path = Path(assignment_dir) / REFERENCE_OUTPUTS
    if path.is_file():
        write_npz(path, checks.pack_cases([c for c in checks.load_cases(path) if not c.hidden]))


def keep_cases(assignment_dir: Path, keep) -> None:
    """Keep only the cases of the checks for which keep(check name) is true (the course setting
    of kit.author.course_config: a notebook left out takes its checks with it)."""
    checks = _reference_checks()
    path = Path(assignment_dir) / REFERENCE_OUTPUTS
    if path.is_file():
        cases = checks.load_cases(path)
        kept = [c for c in cases if keep(c.check)]
        if len(kept) != len(cases):
            write_npz(path, checks.pack_cases(kept))


def write_withheld(source: Path, dest: Path) -> None:
    """Write to dest the reference outputs file `source` without its hidden cases' expected
    outputs (what the notebooks' kernels see at grading)."""
    checks = _reference_checks()
    write_npz(Path(dest), checks.pack_cases(checks.withhold_hidden_outputs(
        checks.load_cases(source))))


def hidden_case_count(data: bytes) -> int:
    """How many hidden cases a reference outputs file (its bytes) holds."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return sum(case["hidden"] for case in json.loads(str(npz["meta"]))["cases"])
