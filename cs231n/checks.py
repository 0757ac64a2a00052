"""Checks of your code against the reference outputs and numerical gradients.

Each check is named after what it tests (``rnn_step_forward``, ``captioning_lstm_loss``, ...) and
prints one line per comparison, for example::

    PASS  rnn_step_forward: next_h vs reference output, error 2.2e-16 (threshold 1e-08)
    FAIL  rnn_step_backward: dWh vs numerical gradient, error 4.1e-01 (threshold 1e-07)

A check whose lines are not all PASS raises ``CheckFailed`` (an AssertionError) naming the function
to fix. In a notebook: ``check("rnn_step_forward")``; from a terminal, in the assignment folder:
``python -m cs231n.check rnn_step_forward`` (see ``python -m cs231n.check --help``).

The error is ``max|x - y| / max(1e-8, max|x| + max|y|)`` (``scaled_error``): the largest
difference relative to the size of the arrays.

The inputs of every check, and the reference solution's outputs on them, are stored in
``cs231n/reference_outputs.npz``. Your course's staff generate that file from their solution: do not
edit it. To reproduce a check by hand::

    inputs, expected = load_case("rnn_step_forward")
    next_h, _ = rnn_step_forward(*inputs.values())

File format: an ``.npz`` archive with ``meta`` (a JSON string: ``{"format": 1, "cases": [{"id",
"check", "label", "hidden", "options", "inputs", "expected"}, ...]}``, ``inputs`` and ``expected``
being ordered lists of array names) and one array per ``<id>/in/<name>`` and ``<id>/out/<name>``.
"""
from __future__ import annotations

import contextlib
import fnmatch
import importlib
import json
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

FORMAT = 1
PACKAGE_DIR = Path(__file__).resolve().parent
REFERENCE_FILE = PACKAGE_DIR / "reference_outputs.npz"

# Thresholds on scaled_error. Outputs are compared in float64, so a correct implementation is
# within rounding error (~1e-15) of the reference; numerical gradients (centered differences with
# h = 1e-5) are within about 2e-9 of the true gradient on these inputs. Real bugs give errors
# above 1e-3.
TOL_REFERENCE = 1e-8
TOL_NUMERICAL = 1e-7
# Inputs at least this large (in absolute value) make a case test numerical stability: scores
# around 1e3, saturated gates.
LARGE_VALUE = 100.0
# Points each check earns in the grader's re-run of the package (the Package_Checks notebook),
# on top of the points of its notebook test cell.
PACKAGE_CHECK_POINTS = 1


class CheckFailed(AssertionError):
    """At least one comparison of a check failed (the FAIL lines say which and by how much)."""


class ReferenceOutputsError(FileNotFoundError):
    """The reference outputs file is missing, unreadable or from another version of the kit."""


class _ContractError(Exception):
    """The code under test broke the interface (wrong return value, shape, keys) or raised."""


@dataclass
class Case:
    """One set of inputs of a check and the reference outputs on them."""
    check: str
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray] = field(default_factory=dict)
    label: str = ""
    hidden: bool = False
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One comparison's outcome, printed as one line. For a comparison with a numerical gradient,
    gradient holds (name, analytic, numerical) for ``gradient_detail``."""
    check: str
    passed: bool
    text: str
    label: str = ""
    gradient: tuple | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f" [{self.label}]" if self.label else ""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.check}{where}: {self.text}"


@dataclass(frozen=True)
class Check:
    """What a check calls and how it judges the result.

    compute(case) returns the named outputs of the code under test (compared with case.expected);
    extras(case, outputs) yields further comparisons (numerical gradients, inputs left unmodified).
    """
    name: str
    fix: str
    compute: Callable[[Case], dict]
    extras: Callable[[Case, dict], Iterator[tuple[bool, str]]] | None = None
    compare: Callable[[Case, str, object, np.ndarray], tuple[bool, str]] | None = None
    after: tuple[str, ...] = ()
    unmodified: Callable[[Case], Iterator[tuple[bool, str]]] | None = None


# --------------------------------------------------------------------------------------------
# Errors and comparisons
# --------------------------------------------------------------------------------------------

def scaled_error(x, y) -> float:
    """max|x - y| / max(1e-8, max|x| + max|y|): the largest difference relative to the size of the
    arrays. Unlike the notebooks' elementwise rel_error it does not blow up on entries close to zero
    (where rounding, or a numerical gradient's own error, is large next to the entry), so the checks
    use it; real bugs still give errors far above the thresholds."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    scale = max(1e-8, float(np.max(np.abs(x)) + np.max(np.abs(y))))
    return float(np.max(np.abs(x - y))) / scale


def _as_array(name: str, value, expected_shape) -> np.ndarray:
    if value is None:
        raise _ContractError(f"{name} is None, expected an array of shape {expected_shape}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _ContractError(f"{name} is a {type(value).__name__}, expected an array of shape "
                             f"{expected_shape}") from None
    if array.shape != tuple(expected_shape):
        raise _ContractError(f"{name} has shape {array.shape}, expected {tuple(expected_shape)}")
    return array


def _compare(name: str, got, expected, against: str, tol: float) -> tuple[bool, str]:
    """(passed, text) for one array compared with an expected one."""
    try:
        got = _as_array(name, got, np.shape(expected))
    except _ContractError as e:
        return False, str(e)
    err = scaled_error(got, expected)
    passed = bool(err <= tol)  # NaN fails
    return passed, f"{name} vs {against}, error {err:.1e} (threshold {tol:.0e})"


def _compare_numerical(name: str, got, numerical: np.ndarray) -> tuple[bool, str, tuple]:
    """(passed, text, (name, analytic, numerical)) for a gradient compared with a numerical one."""
    return (*_compare(name, got, numerical, "numerical gradient", TOL_NUMERICAL),
            (name, got, numerical))


def gradient_detail(line: Line, worst: int = 3) -> str:
    """What ``python -m cs231n.check --verbose`` shows under a line that compares a gradient with a
    numerical one: both gradients and the entries where they differ most ('' for other lines)."""
    if line.gradient is None:
        return ""
    name, analytic, numerical = line.gradient
    numerical = np.asarray(numerical, dtype=np.float64)
    show = lambda a: np.array2string(a, precision=4, threshold=24, edgeitems=2,  # noqa: E731
                                     max_line_width=96).replace("\n", "\n      ")
    out = [f"    numerical {name}, shape {numerical.shape}:", "      " + show(numerical)]
    try:
        analytic = np.asarray(analytic, dtype=np.float64)
    except (TypeError, ValueError):
        return "\n".join(out + [f"    analytic {name}: not an array"])
    out += [f"    analytic {name}, shape {analytic.shape}:", "      " + show(analytic)]
    if analytic.shape != numerical.shape or numerical.size == 0:
        return "\n".join(out)
    difference = np.abs(analytic - numerical)
    difference = np.where(np.isnan(difference), np.inf, difference)
    out.append(f"    largest differences (of {numerical.size} entries):")
    for flat in np.argsort(difference, axis=None, kind="stable")[::-1][:worst]:
        index = np.unravel_index(flat, numerical.shape)
        out.append(f"      {name}[{', '.join(str(int(i)) for i in index)}]: numerical "
                   f"{numerical[index]: .6e}, analytic {analytic[index]: .6e}, difference "
                   f"{difference[index]:.1e}")
    return "\n".join(out)


def _compare_reference(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    return _compare(name, got, expected, "reference output", TOL_REFERENCE)


def _location(exc: BaseException) -> str:
    """'cs231n/rnn_layers.py:61 in rnn_step_forward' for the innermost frame in the package (not
    this checking code), or '' when the error came from elsewhere."""
    own = {Path(__file__).resolve(), PACKAGE_DIR / "gradient_check.py"}
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if PACKAGE_DIR in path.parents and path not in own:
            relative = path.relative_to(PACKAGE_DIR.parent).as_posix()
            found = f"{relative}:{frame.lineno} in {frame.name}"
    return found


def _call(what: str, function, *args):
    """function(*args), with any exception turned into a _ContractError that says where it arose."""
    try:
        return function(*args)
    except Exception as e:  # noqa: BLE001 - any error of the code under test is a FAIL line
        message = str(e) or ("not implemented yet" if isinstance(e, NotImplementedError) else "")
        where = _location(e)
        raise _ContractError(f"{what} raised {type(e).__name__}" + (f" at {where}" if where else "")
                             + (f": {message}" if message else ""))


def _unpack(what: str, result, names: tuple[str, ...]) -> tuple:
    """Check that a function returned a tuple of len(names) values."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (f"{len(result)} values" if isinstance(result, (tuple, list))
               else f"a {type(result).__name__}")
        raise _ContractError(f"{what} returned {got}, expected ({', '.join(names)})")
    return tuple(result)


def _copies(arrays) -> list:
    return [np.array(a, copy=True) for a in arrays]


# --------------------------------------------------------------------------------------------
# Kinds of checks
# --------------------------------------------------------------------------------------------

def module_of(name: str) -> str:
    """The module of the package a check imports: cs231n.classifiers.rnn for the captioning
    model's checks, cs231n.classifiers.char_rnn for the language model's, cs231n.optim for
    clipping, cs231n.rnn_layers for the others."""
    if name.startswith("captioning_"):
        return "classifiers.rnn"
    if name.startswith("char_"):
        return "classifiers.char_rnn"
    return "optim" if name == "clip_grad_norm" else "rnn_layers"


def _import(module: str):
    """A module of the package (edits are picked up), or a _ContractError saying why it cannot be
    imported and where."""
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except Exception as e:  # noqa: BLE001 - a broken student file is a FAIL line, not a traceback
        where = _location(e)
        if isinstance(e, SyntaxError) and e.filename:
            where = f"{Path(e.filename).name}:{e.lineno}"
        raise _ContractError(f"cannot import cs231n.{module}: {type(e).__name__}"
                             + (f" at {where}" if where else "") + f": {e}") from None


def import_error(name: str) -> str | None:
    """Why the module a check tests cannot be imported, or None when it imports."""
    try:
        _import(module_of(name))
    except _ContractError as e:
        return str(e)
    return None


def _layer(name: str):
    """The current version of a function of cs231n/rnn_layers.py (edits are picked up)."""
    function = getattr(_import("rnn_layers"), name, None)
    if function is None:
        raise _ContractError(f"cs231n/rnn_layers.py has no function {name}: keep the function "
                             "of the release (with its name and arguments) and write its code")
    return function


def _forward_check(function: str, args: tuple, outputs: tuple, fix: str = "",
                   after: tuple = ()) -> Check:
    """A layer's forward function: outputs compared with the reference (the cache is ignored)."""
    def compute(case):
        result = _call(function, _layer(function), *_copies(case.inputs[a] for a in args))
        return dict(zip(outputs, _unpack(function, result, outputs + ("cache",))))
    return Check(function, fix or f"{function} in cs231n/rnn_layers.py", compute, after=after)


def _backward_check(forward: str, args: tuple, outputs: tuple, backward: str, upstream: tuple,
                    grads: tuple, wrt: tuple, fix: str = "", after: tuple = ()) -> Check:
    """A layer's backward function, called on the cache of its forward function: gradients compared
    with the reference and with numerical gradients of the forward function.

    upstream names one upstream gradient per output; grads names the returned gradients, the i-th
    being the gradient with respect to the input wrt[i]. Case option ``check_upstream``: also check
    that the upstream gradients are left unmodified.
    """
    def run_forward(inputs):
        result = _call(forward, _layer(forward), *[inputs[a] for a in args])
        return _unpack(forward, result, outputs + ("cache",))

    def compute(case):
        cache = run_forward(dict(zip(args, _copies(case.inputs[a] for a in args))))[-1]
        ups = _copies(case.inputs[u] for u in upstream)
        result = _call(backward, _layer(backward), *ups, cache)
        result = (result,) if len(grads) == 1 and not isinstance(result, (tuple, list)) else result
        return dict(zip(grads, _unpack(backward, result, grads)))

    def unmodified(case):
        ups = _copies(case.inputs[u] for u in upstream)
        cache = run_forward(dict(zip(args, _copies(case.inputs[a] for a in args))))[-1]
        _call(backward, _layer(backward), *ups, cache)
        for name, up in zip(upstream, ups):
            same = np.array_equal(up, case.inputs[name])
            yield same, (f"{name} left unmodified" if same else
                         f"{name} was modified in place: compute into a new array "
                         f"({name} = {name} + ..., not {name} += ...); a backward function "
                         f"must not change its upstream gradient")

    def extras(case, got):
        from .gradient_check import eval_numerical_gradient

        if case.options.get("check_upstream"):
            yield from unmodified(case)
        if not case.options.get("numerical", True):
            return
        inputs = dict(zip(args, _copies(case.inputs[a] for a in args)))
        ups = [case.inputs[u] for u in upstream]

        def weighted_sum(_):
            outs = run_forward(inputs)[:-1]
            return sum(float(np.sum(np.asarray(o, dtype=np.float64) * u))
                       for o, u in zip(outs, ups))

        for grad_name, arg in zip(grads, wrt):
            numerical = eval_numerical_gradient(weighted_sum, inputs[arg], verbose=False)
            yield _compare_numerical(grad_name, got[grad_name], numerical)

    return Check(backward, fix or f"{backward} in cs231n/rnn_layers.py", compute, extras,
                 after=after, unmodified=unmodified)


def _softmax_loss_check() -> Check:
    """temporal_softmax_loss: loss and dx compared with the reference; dx with the numerical
    gradient of the loss (case option ``numerical``: false skips it, e.g. for huge scores)."""
    name = "temporal_softmax_loss"

    def loss_and_grad(x, y, mask):
        return _unpack(name, _call(name, _layer(name), x, y, mask), ("loss", "dx"))

    def compute(case):
        loss, dx = loss_and_grad(*_copies(case.inputs[k] for k in ("x", "y", "mask")))
        return {"loss": loss, "dx": dx}

    def extras(case, got):
        from .gradient_check import eval_numerical_gradient
        if not case.options.get("numerical", True):
            return
        x, y, mask = _copies(case.inputs[k] for k in ("x", "y", "mask"))
        numerical = eval_numerical_gradient(lambda _: float(loss_and_grad(x, y, mask)[0]), x,
                                            verbose=False)
        yield _compare_numerical("dx", got["dx"], numerical)

    def compare(case, output, got, expected):
        passed, text = _compare_reference(case, output, got, expected)
        try:
            values = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            values = np.zeros(1)
        if not passed and not np.all(np.isfinite(values)):
            what = (f"is {float(values)}" if values.ndim == 0 else
                    f"has {int(np.sum(~np.isfinite(values)))} nan/inf entries")
            large = float(np.max(np.abs(case.inputs["x"]))) >= LARGE_VALUE
            text += (f"; {output} {what}{' for large scores' if large else ''}: compute "
                     f"log-softmax as x - max - log(sum(exp(x - max))), not log(probs)")
        return passed, text

    return Check(name, f"{name} in cs231n/rnn_layers.py", compute, extras, compare)


PARAM_NAMES = ("W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _build_model(case: Case, cell_type: str):
    """A float64 CaptioningRNN with the case's vocabulary, sizes and parameters."""
    module = _import("classifiers.rnn")
    word_to_idx = {w: i for i, w in enumerate(case.options["words"])}
    features = case.inputs["features"]
    what = "CaptioningRNN(...)"
    model = _call(what, module.CaptioningRNN, word_to_idx, features.shape[1],
                  case.options["wordvec_dim"], case.options["hidden_dim"], cell_type, np.float64)
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
        keys = sorted(params) if isinstance(params, dict) else params
        raise _ContractError(f"CaptioningRNN.params has keys {keys}, "
                             f"expected {sorted(PARAM_NAMES)}")
    for key in PARAM_NAMES:
        value = case.inputs[f"params/{key}"]
        if np.shape(params[key]) != value.shape:
            raise _ContractError(f"CaptioningRNN.params['{key}'] has shape "
                                 f"{np.shape(params[key])}, expected {value.shape} "
                                 f"(cell_type={cell_type!r})")
        params[key] = value.copy()
    return model


def _model_loss(model, case):
    result = _call("CaptioningRNN.loss", model.loss, case.inputs["features"].copy(),
                   case.inputs["captions"].copy())
    loss, grads = _unpack("CaptioningRNN.loss", result, ("loss", "grads"))
    if not isinstance(grads, dict):
        raise _ContractError(f"CaptioningRNN.loss returned grads as a {type(grads).__name__}, "
                             f"expected a dict with the keys of model.params")
    return loss, grads


def _model_loss_check(cell_type: str, after: tuple) -> Check:
    """CaptioningRNN.loss: the loss and every gradient compared with the reference."""
    def compute(case):
        loss, grads = _model_loss(_build_model(case, cell_type), case)
        return {"loss": loss, **{f"grads['{k}']": grads.get(k) for k in PARAM_NAMES}}

    return Check(f"captioning_{cell_type}_loss", "CaptioningRNN.loss in cs231n/classifiers/rnn.py",
                 compute, after=after)


def _model_gradient_check(cell_type: str, after: tuple) -> Check:
    """CaptioningRNN.loss: every gradient compared with the numerical gradient of the loss."""
    def extras(case, got):
        from .gradient_check import eval_numerical_gradient
        try:
            model = _build_model(case, cell_type)
            _, grads = _model_loss(model, case)
            for key in PARAM_NAMES:
                f = lambda _: float(_model_loss(model, case)[0])  # noqa: E731
                numerical = eval_numerical_gradient(f, model.params[key], verbose=False)
                yield _compare_numerical(f"grads['{key}']", grads.get(key), numerical)
        except _ContractError as e:
            yield False, str(e)

    return Check(f"captioning_{cell_type}_gradient",
                 "CaptioningRNN.loss in cs231n/classifiers/rnn.py", lambda case: {}, extras,
                 after=after)


def _compare_captions(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    """Sampled captions: each row must equal the reference's up to and including its first <END>
    (what follows <END> is never compared)."""
    words = case.options["words"]
    end = words.index("<END>")
    got = np.asarray(got) if got is not None else None
    if got is None or got.shape != expected.shape or not np.issubdtype(got.dtype, np.integer):
        described = "None" if got is None else f"{got.dtype} array of shape {got.shape}"
        return False, (f"captions is {described}, expected an integer array of shape "
                       f"{expected.shape} (N, max_length)")
    wrong = []
    for row, (g, e) in enumerate(zip(got, expected)):
        stop = int(np.argmax(e == end)) + 1 if (e == end).any() else len(e)
        if not np.array_equal(g[:stop], e[:stop]):
            wrong.append((row, stop))
    text = (f"captions vs reference output (up to <END>), {len(wrong)} of {len(expected)} rows "
            f"differ (threshold 0)")
    if wrong:
        def decode(row):
            return " ".join(words[int(i)] if 0 <= i < len(words) else f"<{i}?>" for i in row)
        row, stop = wrong[0]
        text += (f"; row {row}: got '{decode(got[row][:stop])}', "
                 f"expected '{decode(expected[row][:stop])}'")
    return not wrong, text


def _model_sample_check(cell_type: str, after: tuple) -> Check:
    """CaptioningRNN.sample: greedy captions compared with the reference up to <END>."""
    def compute(case):
        model = _build_model(case, cell_type)
        captions = _call("CaptioningRNN.sample", model.sample, case.inputs["features"].copy(),
                         case.options["max_length"])
        return {"captions": captions}

    return Check(f"captioning_{cell_type}_sample",
                 "CaptioningRNN.sample in cs231n/classifiers/rnn.py", compute,
                 compare=_compare_captions, after=after)


# --------------------------------------------------------------------------------------------
# The checks, in the order of the notebooks
# --------------------------------------------------------------------------------------------

_RNN_STEP = ("x", "prev_h", "Wx", "Wh", "b")
_SEQUENCE = ("x", "h0", "Wx", "Wh", "b")
_LSTM_STEP = ("x", "prev_h", "prev_c", "Wx", "Wh", "b")
_PROVIDED = "{} in cs231n/rnn_layers.py (provided: restore the original if you changed it)"
_RNN_LOSS_PARTS = ("word_embedding_forward", "word_embedding_backward", "rnn_forward",
                   "rnn_backward", "temporal_softmax_loss")
_LSTM_LOSS_PARTS = ("word_embedding_forward", "word_embedding_backward", "lstm_forward",
                    "lstm_backward", "temporal_softmax_loss")
_GRU_LOSS_PARTS = ("word_embedding_forward", "word_embedding_backward", "gru_forward",
                   "gru_backward", "temporal_softmax_loss")

CHECKS: dict[str, Check] = {c.name: c for c in (
    _forward_check("rnn_step_forward", _RNN_STEP, ("next_h",)),
    _backward_check("rnn_step_forward", _RNN_STEP, ("next_h",), "rnn_step_backward", ("dnext_h",),
                    ("dx", "dprev_h", "dWx", "dWh", "db"), _RNN_STEP, after=("rnn_step_forward",)),
    _forward_check("rnn_forward", _SEQUENCE, ("h",), after=("rnn_step_forward",)),
    _backward_check("rnn_forward", _SEQUENCE, ("h",), "rnn_backward", ("dh",),
                    ("dx", "dh0", "dWx", "dWh", "db"), _SEQUENCE,
                    after=("rnn_forward", "rnn_step_backward")),
    _forward_check("word_embedding_forward", ("x", "W"), ("out",)),
    _backward_check("word_embedding_forward", ("x", "W"), ("out",), "word_embedding_backward",
                    ("dout",), ("dW",), ("W",), after=("word_embedding_forward",)),
    _forward_check("temporal_affine_forward", ("x", "w", "b"), ("out",),
                   fix=_PROVIDED.format("temporal_affine_forward")),
    _backward_check("temporal_affine_forward", ("x", "w", "b"), ("out",),
                    "temporal_affine_backward", ("dout",), ("dx", "dw", "db"), ("x", "w", "b"),
                    fix=_PROVIDED.format("temporal_affine_backward")),
    _softmax_loss_check(),
    _model_loss_check("rnn", _RNN_LOSS_PARTS),
    _model_gradient_check("rnn", _RNN_LOSS_PARTS),
    _model_sample_check("rnn", ("rnn_step_forward",)),
    _forward_check("lstm_step_forward", _LSTM_STEP, ("next_h", "next_c")),
    _backward_check("lstm_step_forward", _LSTM_STEP, ("next_h", "next_c"), "lstm_step_backward",
                    ("dnext_h", "dnext_c"), ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
                    _LSTM_STEP, after=("lstm_step_forward",)),
    _forward_check("lstm_forward", _SEQUENCE, ("h",), after=("lstm_step_forward",)),
    _backward_check("lstm_forward", _SEQUENCE, ("h",), "lstm_backward", ("dh",),
                    ("dx", "dh0", "dWx", "dWh", "db"), _SEQUENCE,
                    after=("lstm_forward", "lstm_step_backward")),
    _model_loss_check("lstm", _LSTM_LOSS_PARTS),
    _model_gradient_check("lstm", _LSTM_LOSS_PARTS),
    _model_sample_check("lstm", ("lstm_step_forward",)),
    # Gradient_Flow.ipynb: the GRU (extra credit)
    _forward_check("gru_step_forward", _RNN_STEP, ("next_h",)),
    _backward_check("gru_step_forward", _RNN_STEP, ("next_h",), "gru_step_backward", ("dnext_h",),
                    ("dx", "dprev_h", "dWx", "dWh", "db"), _RNN_STEP, after=("gru_step_forward",)),
    _forward_check("gru_forward", _SEQUENCE, ("h",), after=("gru_step_forward",)),
    _backward_check("gru_forward", _SEQUENCE, ("h",), "gru_backward", ("dh",),
                    ("dx", "dh0", "dWx", "dWh", "db"), _SEQUENCE,
                    after=("gru_forward", "gru_step_backward")),
    _model_loss_check("gru", _GRU_LOSS_PARTS),
    _model_gradient_check("gru", _GRU_LOSS_PARTS),
    _model_sample_check("gru", ("gru_step_forward",)),
)}

# The character-level language model's checks (CharRNN_Language_Model.ipynb).
from .char_checks import char_checks  # noqa: E402  (it builds on the helpers above)

CHECKS.update((c.name, c) for c in char_checks())

# Checks worth extra credit: the gradebook counts their points on top of the maximum score.
EXTRA_CREDIT = frozenset(name for name in CHECKS if name.startswith(("gru_", "captioning_gru_")))


# --------------------------------------------------------------------------------------------
# The reference outputs file
# --------------------------------------------------------------------------------------------

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


_HOW_TO_REBUILD = ("In a student folder, restore cs231n/reference_outputs.npz from the assignment "
                   "you were given. In the kit's repository, create it with "
                   "`python -m kit reference-outputs`.")
_loaded: dict = {}


def load_cases(path: Path | str | None = None) -> list[Case]:
    """Every case stored in a reference outputs file (default: cs231n/reference_outputs.npz)."""
    path = Path(path) if path is not None else REFERENCE_FILE
    if not path.is_file():
        raise ReferenceOutputsError(f"No reference outputs at {path}. {_HOW_TO_REBUILD}")
    key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
    if key not in _loaded:
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(str(arrays["meta"]))
        except Exception as e:  # noqa: BLE001 - any corruption gets the same advice
            raise ReferenceOutputsError(f"{path} is not a readable reference outputs file ({e}). "
                                        f"{_HOW_TO_REBUILD}") from None
        if meta.get("format") != FORMAT:
            raise ReferenceOutputsError(f"{path} has format {meta.get('format')}, this checker "
                                        f"reads format {FORMAT}. {_HOW_TO_REBUILD}")
        _loaded.clear()
        _loaded[key] = [Case(check=m["check"], label=m["label"], hidden=m["hidden"],
                             options=m["options"],
                             inputs={n: arrays[f"{m['id']}/in/{n}"] for n in m["inputs"]},
                             expected={n: arrays[f"{m['id']}/out/{n}"] for n in m["expected"]})
                        for m in meta["cases"]]
    return _loaded[key]


def load_case(name: str, index: int = 0, path: Path | str | None = None):
    """(inputs, expected) of the index-th visible case of a check, as dicts of arrays: to reproduce
    a check by hand, call the function on inputs.values() and compare with expected."""
    cases = [c for c in load_cases(path) if c.check == _known(name) and not c.hidden]
    if not 0 <= index < len(cases):
        raise IndexError(f"{name} has {len(cases)} visible case(s); index {index} is out of range")
    case = cases[index]
    inputs = {k: v.copy() for k, v in case.inputs.items()}
    return inputs, {k: v.copy() for k, v in case.expected.items()}


# --------------------------------------------------------------------------------------------
# Running checks
# --------------------------------------------------------------------------------------------

def _known(name: str) -> str:
    if name not in CHECKS:
        raise ValueError(f"Unknown check {name!r}. The checks are: {', '.join(CHECKS)}.")
    return name


@contextlib.contextmanager
def _isolated():
    """Run code under test without touching the caller's global np.random state and without
    writing to stderr (warnings are silenced; a NaN or overflow shows up as a failed comparison)."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stderr(sys.stdout):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


def compare_output(case: Case, name: str, got, expected: np.ndarray) -> tuple[bool, str]:
    """Compare the output `name` computed on a case with its reference output, as the case's check
    does (scaled error within TOL_REFERENCE; sampled captions word for word up to <END>). Returns
    (passed, the text of its PASS/FAIL line)."""
    compare = CHECKS[case.check].compare or _compare_reference
    return compare(case, name, got, expected)


def _run_case(case: Case) -> Iterator[Line]:
    spec = CHECKS[case.check]

    def line(passed, text, gradient=None):
        return Line(spec.name, bool(passed), text, case.label, gradient)
    try:
        got = spec.compute(case)
    except _ContractError as e:
        yield line(False, str(e))
        return
    for name, expected in case.expected.items():
        yield line(*compare_output(case, name, got.get(name), expected))
    if spec.extras is not None:
        try:
            for comparison in spec.extras(case, got):
                yield line(*comparison)
        except _ContractError as e:
            yield line(False, str(e))


def run_cases(cases: list[Case]) -> list[Line]:
    """The lines of a list of cases, run with the package as it is now."""
    lines = []
    with _isolated():
        for case in cases:
            lines.extend(_run_case(case))
    return lines


def outputs(case: Case) -> dict[str, np.ndarray]:
    """The outputs the package as it is now computes on a case (with the reference package: the
    expected outputs stored in the reference file). Errors propagate."""
    with _isolated():
        got = CHECKS[_known(case.check)].compute(case)
    return {name: np.asarray(value) for name, value in got.items()}


def upstream_changes(case: Case) -> list[str]:
    """For a case with option ``check_upstream``: the FAIL texts of the upstream gradients its
    backward function modified in place (empty when none was, or the case does not ask)."""
    spec = CHECKS[_known(case.check)]
    if not case.options.get("check_upstream") or spec.unmodified is None:
        return []
    with _isolated():
        return [text for same, text in spec.unmodified(case) if not same]


def run(name: str, hidden: bool = False, path: Path | str | None = None) -> list[Line]:
    """The lines of one check: its visible cases, or its hidden ones when hidden is True."""
    cases = [c for c in load_cases(path) if c.check == _known(name) and c.hidden == hidden]
    if not cases and not hidden:
        raise ReferenceOutputsError(f"The reference outputs have no case for {name}. "
                                    f"{_HOW_TO_REBUILD}")
    return run_cases(cases)


def has_cases(name: str, path: Path | str | None = None) -> bool:
    """Whether the reference outputs hold visible cases of a check (a course that leaves a
    notebook out leaves its checks without cases)."""
    return any(c.check == _known(name) and not c.hidden for c in load_cases(path))


def failure_message(name: str, lines: list[Line]) -> str:
    """What to do about a failed check."""
    spec = CHECKS[name]
    failed = sum(not line.passed for line in lines)
    message = f"{name} failed ({failed} of {len(lines)} lines FAIL). Fix {spec.fix}."
    if len(spec.after) == 1:
        message += f" It builds on {spec.after[0]}: make sure its check passes first."
    elif spec.after:
        message += f" It builds on {', '.join(spec.after)}: make sure their checks pass first."
    return message


def check(name: str, hidden: bool = False) -> None:
    """Run a check, print one PASS/FAIL line per comparison, raise CheckFailed if any failed."""
    lines = run(name, hidden)
    for line in lines:
        print(line)
    if not all(line.passed for line in lines):
        raise CheckFailed(failure_message(name, lines))


def select(patterns: list[str]) -> list[str]:
    """Check names matching names or shell-style patterns (``lstm_*``), in notebook order."""
    chosen = set()
    for pattern in patterns:
        matches = fnmatch.filter(CHECKS, pattern)
        if not matches:
            raise ValueError(f"No check matches {pattern!r}. The checks are: {', '.join(CHECKS)}.")
        chosen.update(matches)
    return [name for name in CHECKS if name in chosen]
