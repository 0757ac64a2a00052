"""The course setting: which notebooks are released and graded (assignments/course.toml).

    notebooks = ["RNN_Captioning", "LSTM_Captioning", "CharRNN_Language_Model"]

    [optional.CharRNN_Language_Model]
    checks = ["char_*", "clip_grad_norm"]        # checks only optional notebooks need
    files = ["cs231n/classifiers/char_rnn.py"]   # files only optional notebooks need

A check or file claimed by optional notebooks is kept when at least one of them is listed; anything
no optional notebook claims is always kept. The course build applies the setting to its source
folder, and everything downstream (release, leak check, grading, Package_Checks, the demo) reads
that folder.
"""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .reference_outputs import keep_cases

FILE = Path("assignments") / "course.toml"


class CourseConfigError(ValueError):
    """assignments/course.toml is missing a key, names an unknown notebook, or is not TOML."""


@dataclass(frozen=True)
class CourseConfig:
    notebooks: tuple[str, ...]
    optional: dict[str, dict] = field(default_factory=dict)

    def _kept(self, key: str, matches) -> bool:
        owners = [name for name, part in self.optional.items()
                  if any(matches(pattern) for pattern in part.get(key, []))]
        return not owners or any(name in self.notebooks for name in owners)

    def keeps_check(self, name: str) -> bool:
        """Whether the course runs and grades the check `name`."""
        return self._kept("checks", lambda pattern: fnmatch.fnmatchcase(name, pattern))

    def left_out_files(self) -> list[str]:
        """Files (relative to the assignment folder) the course leaves out."""
        claimed = sorted({f for part in self.optional.values() for f in part.get("files", [])})
        return [f for f in claimed if not self._kept("files", lambda pattern: pattern == f)]


def load(root: Path) -> CourseConfig:
    """Read root/assignments/course.toml; without the file every notebook is released."""
    path = Path(root) / FILE
    if not path.is_file():
        notebooks = sorted(p.stem for p in (Path(root) / "assignments" / "source").glob("*/*.ipynb"))
        return CourseConfig(tuple(notebooks))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CourseConfigError(f"{path} is not valid TOML ({error}): fix the line it names")
    notebooks = data.get("notebooks")
    if not isinstance(notebooks, list) or not notebooks or \
            not all(isinstance(n, str) for n in notebooks):
        raise CourseConfigError(f"{path}: `notebooks` must be a non-empty list of notebook names "
                                f"(without .ipynb), e.g. notebooks = [\"RNN_Captioning\"]; "
                                f"got {notebooks!r}")
    optional = data.get("optional", {})
    for name, part in optional.items():
        unknown = set(part) - {"checks", "files"}
        if unknown:
            raise CourseConfigError(f"{path}: [optional.{name}] has unknown keys "
                                    f"{sorted(unknown)}; the keys are checks and files")
    return CourseConfig(tuple(notebooks), optional)


def apply(source: Path, config: CourseConfig) -> None:
    """Make an assignment source folder (notebooks, cs231n/, datasets/, reference outputs) follow
    the setting: remove the notebooks and files it leaves out and the cases of its left-out
    checks. Raises CourseConfigError for a listed notebook that is not there."""

    source = Path(source)
    present = {p.stem for p in source.glob("*.ipynb")}
    missing = [n for n in config.notebooks if n not in present]
    if missing:
        raise CourseConfigError(f"{FILE} lists {', '.join(missing)}, which is not in "
                                f"assignments/source/{source.name}/ (there: "
                                f"{', '.join(sorted(present))}); fix the name or add the notebook")
    for name in present - set(config.notebooks):
        (source / f"{name}.ipynb").unlink()
    for relative in config.left_out_files():
        (source / relative).unlink(missing_ok=True)
    keep_cases(source, config.keeps_check)
