"""The notebooks with the real COCO data at full size (400135 training captions, 1004 words):
files in the real format with random content (tests/fullsize_coco.py). Both notebooks run to the
end with every point, normally and as while grading; their run times are reported (the budgets,
90 s and 30 s, are watched by `python bench/bench_notebooks.py --fullsize`)."""
from __future__ import annotations

from pathlib import Path

import h5py
import pytest
from nbgrader.utils import determine_grade, is_grade

from cs231n.coco_utils import load_coco_data
from kit.author.facts import BUDGETS
from kit.paths import ASSIGNMENT
from kit.release import build as release
from tests.notebook_support import run_notebook
from tests.fullsize_coco import SIZES, VOCAB_SIZE, write_fullsize_coco
from tests.test_notebooks import errors, report

# The notebooks that read the COCO captioning data (the others read their own data).
COCO_NOTEBOOKS = ["RNN_Captioning.ipynb", "LSTM_Captioning.ipynb"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def fullsize_coco(tmp_path_factory):
    """Full-size real-format coco_captioning/ files, written once for the session."""
    return write_fullsize_coco(tmp_path_factory.mktemp("fullsize") / "coco_captioning")


@pytest.fixture(scope="module")
def course_with_fullsize_coco(tmp_path_factory, fullsize_coco):
    """The course source folder (reference package) reading the full-size files."""
    course_dir = tmp_path_factory.mktemp("course_fullsize")
    release.prepare_course(course_dir)
    source = course_dir / "source" / ASSIGNMENT
    (source / "datasets" / "coco_captioning").symlink_to(fullsize_coco, target_is_directory=True)
    return source


def test_the_files_have_the_real_sizes_and_dtypes(fullsize_coco, capsys):
    with h5py.File(fullsize_coco / "train2014_vgg16_fc7.h5") as f:
        assert f["features"].shape == (82783, 4096) and f["features"].dtype == "float32"
    data = load_coco_data(fullsize_coco)
    assert "Loading COCO captioning data" in capsys.readouterr().out
    for split, (num_captions, num_images) in SIZES.items():
        assert data[f"{split}_captions"].shape == (num_captions, 17)
        assert data[f"{split}_captions"].dtype == "int32"
        assert data[f"{split}_features"].shape == (num_images, 512)
        assert data[f"{split}_features"].dtype == "float32"
        assert len(data[f"{split}_urls"]) == num_images
    assert len(data["idx_to_word"]) == VOCAB_SIZE


@pytest.mark.parametrize("grading", [False, True], ids=["interactive", "grading"])
@pytest.mark.parametrize("name", COCO_NOTEBOOKS)
def test_notebook_runs_on_fullsize_coco(request, course_with_fullsize_coco, name, grading):
    nb, seconds = run_notebook(course_with_fullsize_coco / name, grading=grading)
    budget = BUDGETS[Path(name).stem][grading]
    report(request, f"{name} on full-size COCO files, {'grading' if grading else 'interactive'}: "
                    f"{seconds:.1f} s (budget {budget} s)")
    outputs = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert "Loading COCO captioning data" in outputs
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert errors(cell) == [], (cell.source[:80], errors(cell))
        if is_grade(cell):
            score, points = determine_grade(cell)
            assert score is None or score == points, cell.source[:80]
    assert f"Validation images: {300 if grading else 1000}" in outputs
