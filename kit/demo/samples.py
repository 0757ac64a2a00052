"""Sample submissions made from the release: the reference solution, the untouched release, and
copies of the reference with one realistic bug each (a small textual change of the reference
package). The demo and the grading benchmark grade them.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from cs231n import submit

from ..author.course import student_files
from ..paths import ROOT


@dataclass(frozen=True)
class Bug:
    """One realistic mistake: replace `old` by `new` in a student file of the reference. `first`
    is the check where the mistake is: the first one it fails (the others build on it)."""
    name: str
    file: str
    old: str
    new: str
    what: str
    first: str


BUGS = (
    Bug("bug_lstm_gate_order", "cs231n/rnn_layers.py",
        "i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]",
        "f, i, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]",
        "LSTM input and forget gates taken in the wrong order",
        "lstm_step_forward"),
    Bug("bug_loss_per_token", "cs231n/rnn_layers.py",
        "loss = -np.sum(mask_flat * log_probs[rows, y_flat]) / N",
        "loss = -np.sum(mask_flat * log_probs[rows, y_flat]) / max(mask_flat.sum(), 1)",
        "loss averaged over the tokens instead of the batch",
        "temporal_softmax_loss"),
    Bug("bug_embedding_overwrite", "cs231n/rnn_layers.py",
        "np.add.at(dW, x.ravel(), dout.reshape(-1, W_shape[1]))",
        "dW[x.ravel()] += dout.reshape(-1, W_shape[1])",
        "word embedding gradient without accumulation of repeated words",
        "word_embedding_backward"),
    Bug("bug_rnn_no_carry", "cs231n/rnn_layers.py",
        "da[:, t] = (dh[:, t] + dprev_h) * (1 - h[:, t] * h[:, t])",
        "da[:, t] = dh[:, t] * (1 - h[:, t] * h[:, t])",
        "backpropagation through time without the gradient from the next step",
        "rnn_backward"),
    Bug("bug_tbptt_reset_state", "cs231n/classifiers/char_rnn.py",
        "h0 = zero_h if h0 is None else h0\n        c0 = zero_c if c0 is None else c0",
        "h0, c0 = zero_h, zero_c   # every chunk starts afresh",
        "truncated BPTT that resets the state every chunk instead of carrying it",
        "char_rnn_loss"),
)
# The checks each bug loses (and no other): tests/test_char_rnn.py runs them.
LOST_CHECKS = {"bug_tbptt_reset_state": {"char_rnn_loss", "char_rnn_tbptt"}}


class SampleError(RuntimeError):
    """The reference package no longer holds the text a sample bug changes."""


def apply_bug(folder: Path, bug: Bug) -> None:
    """Introduce a bug into a submission folder that holds the reference solution."""
    path = Path(folder) / bug.file
    text = path.read_text(encoding="utf-8")
    if text.count(bug.old) != 1:
        raise SampleError(f"{bug.name}: expected the line {bug.old!r} once in {path}; update "
                          "kit/demo/samples.py to the reference package")
    path.write_text(text.replace(bug.old, bug.new), encoding="utf-8")


def reference_submission(release_folder: Path, dest: Path, root: Path = ROOT) -> Path:
    """The release with the reference solution's student files: what a perfect student hands in."""
    shutil.copytree(release_folder, dest)
    for relative in student_files(Path(root)):
        shutil.copy2(Path(root) / relative, dest / relative)
    return dest


def zip_submission(folder: Path, archive: Path) -> Path:
    """Zip a submission folder the way students do, with the students' own command
    (``python -m cs231n.submit``: the notebooks and the package under one top-level folder),
    then remove the folder."""
    submit.write_zip(Path(folder), submit.submission_files(Path(folder)), Path(archive))
    shutil.rmtree(folder)
    return archive


def make_samples(release_folder: Path, dest: Path, bugs=BUGS, zipped: tuple[str, ...] = (),
                 root: Path = ROOT) -> dict[str, str]:
    """Write the sample submissions into dest (emptied first); returns {student: description}.
    Students named in `zipped` are handed in as .zip files."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    described = {"reference": "the reference solution",
                 "untouched": "the release as students get it"}
    # A bug in a file the course leaves out (assignments/course.toml) has nothing to change.
    bugs = [bug for bug in bugs if (Path(release_folder) / bug.file).is_file()]
    reference_submission(release_folder, dest / "reference", root)
    shutil.copytree(release_folder, dest / "untouched")
    for bug in bugs:
        folder = reference_submission(release_folder, dest / bug.name, root)
        apply_bug(folder, bug)
        described[bug.name] = bug.what
    for name in zipped:
        zip_submission(dest / name, dest / f"{name}.zip")
    return described
