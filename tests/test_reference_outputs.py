"""The reference outputs file: generated from the reference package, reproducible byte for byte,
complete (every check, the hidden cases the assignment promises), and refused when the reference
fails its own checks or when the package imported is not the reference."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n import checks
from cs231n.checking import comparisons
from kit.author import check_cases, reference_outputs
from kit.author.course import build_course
from kit.commands import reference_outputs as reference_outputs_command

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ("from pathlib import Path; import sys; from kit.author.reference_outputs import "
            "write_reference_outputs; write_reference_outputs(Path(sys.argv[1]))")
BACKWARD_CHECKS = [name for name in checks.CHECKS if name.endswith("_backward")
                   and not name.startswith("temporal_affine")]


def generate_in_fresh_process(dest: Path, cwd: Path = ROOT, pythonpath: str | None = None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, "-c", GENERATE, str(dest)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def generated_for_real():
    """The generator itself is under test here: no cached file (tests/conftest.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(reference_outputs.CACHE_ENV, raising=False)
        yield


def test_a_cached_file_is_the_file_the_code_generates(tmp_path, monkeypatch, generated):
    """KIT_REFERENCE_CACHE: the first build keeps the file, the second copies it, byte for byte."""
    monkeypatch.setenv(reference_outputs.CACHE_ENV, str(tmp_path / "cache"))
    (first,) = reference_outputs.write_reference_outputs(tmp_path / "a")
    (kept,) = (tmp_path / "cache").iterdir()
    assert first.read_bytes() == kept.read_bytes() == generated.read_bytes()
    kept.write_bytes(b"kept")               # the next build copies the kept file
    (second,) = reference_outputs.write_reference_outputs(tmp_path / "b")
    assert second.read_bytes() == b"kept"


@pytest.fixture(scope="module")
def generated(generated_for_real, tmp_path_factory) -> Path:
    (path,) = reference_outputs.write_reference_outputs(tmp_path_factory.mktemp("generated"))
    return path


@pytest.fixture(scope="module")
def cases(generated):
    return checks.load_cases(generated)


def test_generation_is_byte_for_byte_reproducible(tmp_path, generated):
    result = generate_in_fresh_process(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cs231n" / "reference_outputs.npz").read_bytes() == generated.read_bytes()


@pytest.mark.slow
def test_the_built_course_holds_a_fresh_generation(tmp_path, generated):
    source = build_course(tmp_path / "course")
    stored = source / "cs231n" / "reference_outputs.npz"
    assert stored.read_bytes() == generated.read_bytes()


def test_the_file_holds_every_case_with_its_inputs_and_reference_outputs(cases):
    defined = check_cases.all_cases()
    assert [(c.check, c.label, c.hidden) for c in cases] == [(c.check, c.label, c.hidden)
                                                           for c in defined]
    for stored, case in zip(cases, defined):
        assert list(stored.inputs) == list(case.inputs)
        for name, value in case.inputs.items():
            assert np.array_equal(stored.inputs[name], value)
            assert stored.inputs[name].dtype == value.dtype
        assert stored.expected == {} or set(stored.expected) == set(checks.outputs(stored))
        for name, value in checks.outputs(stored).items():   # the reference, recomputed now
            assert np.array_equal(stored.expected[name], value), (stored.check, name)


def test_every_check_has_visible_cases_and_the_promised_hidden_ones(cases):
    for name in checks.CHECKS:
        assert any(c.check == name and not c.hidden for c in cases), name
        if not name.startswith("temporal_affine"):
            assert any(c.check == name and c.hidden for c in cases), name

    def hidden(name):
        return [c for c in cases if c.check == name and c.hidden]

    for name in ("rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward"):
        assert any(c.inputs["x"].shape[1] == 1 for c in hidden(name)), f"{name}: no T=1 case"
    assert any(c.inputs["captions"].shape[1] == 2 for c in hidden("captioning_rnn_loss"))
    for name in BACKWARD_CHECKS:
        assert any(c.options.get("check_upstream") for c in hidden(name)), name
    assert any(len(np.unique(c.inputs["x"])) == 1 and c.inputs["x"].size > 1
               for c in hidden("word_embedding_backward")), "no repeated-word case"
    softmax = hidden("temporal_softmax_loss")
    assert any((~c.inputs["mask"]).all(axis=1).any() and c.inputs["mask"].any() for c in softmax)
    assert any(np.abs(c.inputs["x"]).max() > 500 for c in softmax), "no large-score case"
    assert any((c.inputs["captions"][:, 1:] == 0).all(axis=1).any()
               for c in hidden("captioning_lstm_loss")), "no caption with only <NULL> targets"
    for cell in ("rnn", "lstm"):
        samples = hidden(f"captioning_{cell}_sample")
        assert any(c.options["max_length"] == 1 for c in samples)
        end = check_cases.WORDS.index("<END>")
        stops = [{int(np.argmax(row == end)) if (row == end).any() else len(row)
                  for row in c.expected["captions"]} for c in samples]
        assert any(len(s) > 1 for s in stops), f"{cell}: no captions ending at different steps"


def test_generation_refuses_a_reference_that_fails_its_own_checks(tmp_path, monkeypatch):
    monkeypatch.setattr(comparisons, "TOL_NUMERICAL", 0.0)
    with pytest.raises(RuntimeError, match="fails its own checks"):
        reference_outputs.write_reference_outputs(tmp_path)
    assert not (tmp_path / "cs231n" / "reference_outputs.npz").exists()


def test_generation_refuses_a_package_that_is_not_the_reference(tmp_path):
    shutil.copytree(ROOT / "cs231n", tmp_path / "other" / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    result = generate_in_fresh_process(tmp_path / "out", cwd=tmp_path / "other",
                                       pythonpath=f"{tmp_path / 'other'}{os.pathsep}{ROOT}")
    assert result.returncode != 0
    assert "must come from the reference package" in result.stderr


def test_the_command_writes_into_the_folder_given(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    reference_outputs_command.add_arguments(parser)
    assert reference_outputs_command.run(parser.parse_args(["--dest", str(tmp_path)])) == 0
    path = tmp_path / "cs231n" / "reference_outputs.npz"
    assert capsys.readouterr().out == f"Wrote {path}\n"
    assert checks.load_cases(path)
