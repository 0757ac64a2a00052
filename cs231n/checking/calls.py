"""Calling the code under test: any error it raises, or a wrong return value, becomes a
ContractError whose message says what was wrong and where (file and line in the package)."""
from __future__ import annotations

import importlib
import traceback
from pathlib import Path

import numpy as np

from .cases import PACKAGE_DIR

CHECKING_DIR = Path(__file__).resolve().parent
# Frames of the checking code itself are never named as where an error arose.
_OWN_FILES = {PACKAGE_DIR / "checks.py", PACKAGE_DIR / "gradient_check.py"}


class ContractError(Exception):
    """The code under test broke the interface (wrong return value, shape, keys) or raised."""


def location(exc: BaseException) -> str:
    """'cs231n/rnn_layers.py:61 in rnn_step_forward' for the innermost frame in the package (not
    this checking code), or '' when the error came from elsewhere."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if (PACKAGE_DIR in path.parents and path not in _OWN_FILES
                and CHECKING_DIR not in path.parents):
            relative = path.relative_to(PACKAGE_DIR.parent).as_posix()
            found = f"{relative}:{frame.lineno} in {frame.name}"
    return found


def call(what: str, function, *args):
    """function(*args), with any exception turned into a ContractError that says where it arose."""
    try:
        return function(*args)
    except Exception as e:  # noqa: BLE001 - any error of the code under test is a FAIL line
        message = str(e) or ("not implemented yet" if isinstance(e, NotImplementedError) else "")
        where = location(e)
        raise ContractError(f"{what} raised {type(e).__name__}" + (f" at {where}" if where else "")
                            + (f": {message}" if message else ""))


def unpack(what: str, result, names: tuple[str, ...]) -> tuple:
    """Check that a function returned a tuple of len(names) values."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (f"{len(result)} values" if isinstance(result, (tuple, list))
               else f"a {type(result).__name__}")
        raise ContractError(f"{what} returned {got}, expected ({', '.join(names)})")
    return tuple(result)


def copies(arrays) -> list:
    return [np.array(a, copy=True) for a in arrays]


def module_of(name: str) -> str:
    """The module of the package a check imports: cs231n.classifiers.rnn for the captioning
    model's checks, cs231n.classifiers.char_rnn for the language model's, cs231n.optim for
    clipping, cs231n.rnn_layers for the others."""
    if name.startswith("captioning_"):
        return "classifiers.rnn"
    if name.startswith("char_"):
        return "classifiers.char_rnn"
    return "optim" if name == "clip_grad_norm" else "rnn_layers"


def import_module(module: str):
    """A module of the package (edits are picked up), or a ContractError saying why it cannot be
    imported and where."""
    try:
        return importlib.import_module(f"{PACKAGE_DIR.name}.{module}")
    except Exception as e:  # noqa: BLE001 - a broken student file is a FAIL line, not a traceback
        where = location(e)
        if isinstance(e, SyntaxError) and e.filename:
            where = f"{Path(e.filename).name}:{e.lineno}"
        raise ContractError(f"cannot import cs231n.{module}: {type(e).__name__}"
                            + (f" at {where}" if where else "") + f": {e}") from None


def import_error(name: str) -> str | None:
    """Why the module a check tests cannot be imported, or None when it imports."""
    try:
        import_module(module_of(name))
    except ContractError as e:
        return str(e)
    return None


def layer(name: str):
    """The current version of a function of cs231n/rnn_layers.py (edits are picked up)."""
    function = getattr(import_module("rnn_layers"), name, None)
    if function is None:
        raise ContractError(f"cs231n/rnn_layers.py has no function {name}: keep the function "
                            "of the release (with its name and arguments) and write its code")
    return function

