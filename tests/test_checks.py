"""The checks of cs231n/checks.py and the terminal checker `python -m cs231n.check`.

- The reference solution passes every check, visible and hidden; an independent solution written
  against the classic interface (tests/classic_solution/) passes them too; the student stubs pass
  none (except the provided layers).
- One realistic bug fails exactly the checks that depend on it, with a message that points at the
  function (the bug is added to a copy of the package, the terminal checker runs on the copy).
- Failures are clear (PASS/FAIL lines, CheckFailed naming the function), nothing goes to stderr,
  the caller's random state is untouched, and bad input gets a message saying what to do.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n import checks
from cs231n.checking import cases
from kit.author import stubs
from kit.author.reference_outputs import write_reference_outputs

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = Path(__file__).resolve().parent / "classic_solution"
LSTM_CHECKS = {name for name in checks.CHECKS if "lstm" in name} | {
    # the language model's checks run LSTM cases too
    "char_rnn_loss", "char_rnn_gradient", "char_rnn_tbptt", "char_rnn_sample"}

# A realistic bug each, appended to a copy of cs231n/rnn_layers.py. Each keeps the correct function
# under another name and redefines the public one, so the package's other code calls the buggy one.
GATES_IN_WRONG_ORDER = '''
_correct_lstm_step_forward = lstm_step_forward


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """Reads the blocks of a in the order i, f, g, o (instead of i, f, o, g)."""
    H = prev_h.shape[1]
    order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
    return _correct_lstm_step_forward(x, prev_h, prev_c, Wx[:, order], Wh[:, order], b[order])
'''
LOSS_AVERAGED_OVER_TOKENS = '''
_correct_temporal_softmax_loss = temporal_softmax_loss


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Divides by the number of unmasked words instead of the batch size N."""
    loss, dx = _correct_temporal_softmax_loss(x, y, mask, verbose)
    scale = x.shape[0] / max(int(mask.sum()), 1)
    return loss * scale, dx * scale
'''
UPSTREAM_MODIFIED = '''
_correct_rnn_backward = rnn_backward


def rnn_backward(dh, cache):
    """Correct gradients, but scribbles on its upstream gradient."""
    grads = _correct_rnn_backward(dh, cache)
    dh *= 0.5
    return grads
'''


@pytest.fixture(scope="module")
def reference_file(tmp_path_factory) -> Path:
    """Reference outputs generated from the repository's reference package."""
    folder = tmp_path_factory.mktemp("reference")
    (path,) = write_reference_outputs(folder)
    return path


def package_copy(folder: Path, reference_file: Path) -> Path:
    """A copy of the package with its reference outputs, in folder/cs231n/."""
    shutil.copytree(ROOT / "cs231n", folder / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz"))
    shutil.copy2(reference_file, folder / "cs231n" / "reference_outputs.npz")
    return folder


def append_bug(folder: Path, bug: str) -> None:
    layers = folder / "cs231n" / "rnn_layers.py"
    layers.write_text(layers.read_text() + "\n" + bug)


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run python with args in folder, so that `import cs231n` loads folder's copy."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)


def checker(folder: Path, *names: str) -> subprocess.CompletedProcess:
    return run_in(folder, "-m", "cs231n.check", *names)


def failed_checks(output: str) -> set[str]:
    return set(re.findall(r"^FAIL  (\w+)", output, flags=re.MULTILINE))


ALL_CASES = """
from cs231n import checks
for name in set(checks.CHECKS) - checks.EXTRA_CREDIT:   # the classic course had no GRU
    for hidden in (False, True):
        for line in checks.run(name, hidden=hidden):
            print(line)
"""


# --- the reference, an independent solution, the stubs -------------------------------------------

def test_reference_passes_every_check_visible_and_hidden(reference_file):
    for name in checks.CHECKS:
        for hidden in (False, True):
            lines = checks.run(name, hidden=hidden, path=reference_file)
            assert lines or hidden, f"{name} has no visible case"
            assert all(line.passed for line in lines), "\n".join(map(str, lines))


@pytest.mark.slow
def test_an_independent_classic_solution_passes_every_check(tmp_path, reference_file):
    folder = package_copy(tmp_path, reference_file)
    shutil.copy2(CLASSIC / "rnn_layers.py", folder / "cs231n" / "rnn_layers.py")
    shutil.copy2(CLASSIC / "rnn.py", folder / "cs231n" / "classifiers" / "rnn.py")
    result = run_in(folder, "-c", ALL_CASES)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "PASS" in result.stdout and "FAIL" not in result.stdout, result.stdout


def test_student_stubs_fail_every_check_but_the_provided_layers(tmp_path, reference_file):
    folder = package_copy(tmp_path, reference_file)
    stubs.stub_package(folder / "cs231n")
    result = checker(folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert failed_checks(result.stdout) == set(checks.CHECKS) - checks.PROVIDED
    assert "raised NotImplementedError at cs231n/rnn_layers.py:" in result.stdout
    assert "raised NotImplementedError at cs231n/classifiers/rnn.py:" in result.stdout


# --- one bug fails exactly the checks that depend on it ----------------------------------------

@pytest.mark.slow
def test_lstm_gates_in_wrong_order_fail_exactly_the_lstm_checks(tmp_path, reference_file):
    folder = package_copy(tmp_path, reference_file)
    append_bug(folder, GATES_IN_WRONG_ORDER)
    result = checker(folder)
    assert result.returncode == 1 and result.stderr == ""
    assert failed_checks(result.stdout) == LSTM_CHECKS, result.stdout
    assert "-> lstm_step_forward failed" in result.stdout
    assert "Fix lstm_step_forward in cs231n/rnn_layers.py." in result.stdout


@pytest.mark.slow
def test_loss_averaged_over_tokens_fails_exactly_the_loss_checks(tmp_path, reference_file):
    folder = package_copy(tmp_path, reference_file)
    append_bug(folder, LOSS_AVERAGED_OVER_TOKENS)
    result = checker(folder)
    assert result.returncode == 1 and result.stderr == ""
    # The gradient checks still pass: the buggy loss and its gradient agree with each other.
    assert failed_checks(result.stdout) == {"temporal_softmax_loss", "captioning_rnn_loss",
                                            "captioning_lstm_loss", "captioning_gru_loss",
                                            "char_rnn_loss",
                                            "char_rnn_tbptt"}, result.stdout
    assert "FAIL  temporal_softmax_loss: loss vs reference output" in result.stdout
    assert "Fix temporal_softmax_loss in cs231n/rnn_layers.py." in result.stdout
    assert ("It builds on word_embedding_forward, word_embedding_backward, rnn_forward"
            in result.stdout)


def test_modifying_the_upstream_gradient_fails_visibly_saying_what_to_change(tmp_path,
                                                                            reference_file):
    folder = package_copy(tmp_path, reference_file)
    append_bug(folder, UPSTREAM_MODIFIED)
    local = checker(folder, "rnn_backward")
    assert local.returncode == 1, local.stdout
    assert "dh was modified in place: compute into a new array" in local.stdout
    result = run_in(folder, "-c", "from cs231n import checks\n"
                    "for line in checks.run('rnn_backward', hidden=True): print(line)")
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failing and all("dh was modified in place" in line for line in failing), result.stdout


# --- what a failing check looks like in a notebook ---------------------------------------------

@pytest.fixture
def use_reference(monkeypatch, reference_file):
    monkeypatch.setattr(cases, "REFERENCE_FILE", reference_file)


def test_a_failing_check_prints_fail_lines_and_raises_naming_the_function(
        monkeypatch, capsys, use_reference):
    import cs231n.rnn_layers as layers
    monkeypatch.setattr(layers, "rnn_step_forward",
                        lambda x, prev_h, Wx, Wh, b: (np.tanh(x @ Wx + b), None))  # forgot prev_h
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check("rnn_step_forward")
    out = capsys.readouterr()
    assert out.err == ""
    assert re.search(r"^FAIL  rnn_step_forward: next_h vs reference output, error \S+ "
                     r"\(threshold 1e-08\)$", out.out, flags=re.MULTILINE), out.out
    assert "Fix rnn_step_forward in cs231n/rnn_layers.py" in str(failure.value)
    assert isinstance(failure.value, AssertionError)


def test_a_passing_check_prints_pass_lines_and_returns_none(capsys, use_reference):
    assert checks.check("word_embedding_forward") is None  # a number would be partial credit
    out = capsys.readouterr()
    assert out.out.startswith("PASS  word_embedding_forward: out vs reference output, error ")
    assert out.err == ""


def test_checks_keep_the_callers_random_state_and_silence_warnings(monkeypatch, capsys,
                                                                    use_reference):
    import cs231n.rnn_layers as layers
    correct = layers.rnn_step_forward

    def noisy(*args):
        warnings.warn("a warning from student code")
        print("debug output", file=sys.stderr)
        np.random.randn(5)
        return correct(*args)

    monkeypatch.setattr(layers, "rnn_step_forward", noisy)
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checks.check("rnn_step_forward")
    assert np.array_equal(np.random.get_state()[1], state)
    out = capsys.readouterr()
    assert out.err == "" and "debug output" in out.out


def test_wrong_shapes_nan_and_wrong_return_values_are_clear_fails(monkeypatch, use_reference):
    import cs231n.rnn_layers as layers
    correct = layers.rnn_step_forward
    cases = {
        "transposed": lambda *a: (correct(*a)[0].T, None),
        "nan": lambda *a: (correct(*a)[0] * np.nan, None),
        "no cache": lambda *a: correct(*a)[0],
    }
    texts = {}
    for label, wrong in cases.items():
        monkeypatch.setattr(layers, "rnn_step_forward", wrong)
        (line, *_) = checks.run("rnn_step_forward")
        assert not line.passed
        texts[label] = line.text
    assert texts["transposed"] == "next_h has shape (4, 3), expected (3, 4)"
    assert "error nan" in texts["nan"]
    assert texts["no cache"] == "rnn_step_forward returned a ndarray, expected (next_h, cache)"


def test_sample_compares_only_up_to_end(use_reference, monkeypatch):
    import cs231n.classifiers.rnn as rnn
    correct = rnn.CaptioningRNN.sample

    def sample_then_garbage(self, features, max_length=30):
        captions = correct(self, features, max_length)
        for row in captions:   # overwrite everything after the first <END>
            ends = np.flatnonzero(row == self._end)
            if ends.size:
                row[ends[0] + 1:] = 5
        return captions

    def wrong_first_word(self, features, max_length=30):
        captions = correct(self, features, max_length)
        captions[:, 0] = self._start
        return captions

    monkeypatch.setattr(rnn.CaptioningRNN, "sample", sample_then_garbage)
    assert all(line.passed for line in checks.run("captioning_rnn_sample", hidden=True))
    monkeypatch.setattr(rnn.CaptioningRNN, "sample", wrong_first_word)
    (line, *_) = checks.run("captioning_rnn_sample")
    assert not line.passed and "3 of 3 rows differ" in line.text and "got '<START>" in line.text


# --- bad input ------------------------------------------------------------------------------------

def test_missing_or_corrupt_reference_file_says_how_to_get_it(tmp_path):
    with pytest.raises(checks.ReferenceOutputsError, match="python -m kit reference-outputs"):
        checks.load_cases(tmp_path / "missing.npz")
    corrupt = tmp_path / "reference_outputs.npz"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(checks.ReferenceOutputsError, match="not a readable reference outputs file"):
        checks.load_cases(corrupt)


def test_unknown_check_names_list_the_checks(use_reference):
    with pytest.raises(ValueError, match="Unknown check 'rnn_step'.*rnn_step_forward"):
        checks.run("rnn_step")
    with pytest.raises(ValueError, match="No check matches 'transformer_\\*'"):
        checks.select(["transformer_*"])
    assert checks.select(["lstm_*forward", "rnn_forward"]) == [
        "rnn_forward", "lstm_step_forward", "lstm_forward"]


def test_load_case_gives_inputs_and_expected_outputs(use_reference):
    import cs231n.rnn_layers as layers
    inputs, expected = checks.load_case("rnn_step_forward")
    assert list(inputs) == ["x", "prev_h", "Wx", "Wh", "b"]
    next_h, _ = layers.rnn_step_forward(*inputs.values())
    assert np.array_equal(next_h, expected["next_h"])


# --- the terminal checker ------------------------------------------------------------------------

def test_terminal_checker_prints_the_notebook_lines(tmp_path, reference_file, capsys,
                                                    use_reference):
    folder = package_copy(tmp_path, reference_file)
    result = checker(folder, "rnn_step_backward", "word_embedding_*")
    assert result.returncode == 0 and result.stderr == ""
    for name in ("rnn_step_backward", "word_embedding_forward", "word_embedding_backward"):
        checks.check(name)
    notebook_lines = capsys.readouterr().out.splitlines()
    printed = result.stdout.splitlines()
    assert printed[:-2] == notebook_lines
    assert printed[-1] == "3 of 3 checks passed"


def test_terminal_checker_usage_errors(tmp_path, reference_file):
    folder = package_copy(tmp_path, reference_file)
    unknown = checker(folder, "transformer_forward")
    assert unknown.returncode == 2 and "No check matches 'transformer_forward'" in unknown.stderr
    listed = checker(folder, "--list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(checks.CHECKS)
    (folder / "cs231n" / "reference_outputs.npz").unlink()
    missing = checker(folder)
    assert missing.returncode == 2 and "python -m kit reference-outputs" in missing.stderr
