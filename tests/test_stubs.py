"""The student stubs of the reference package: regions replaced, everything else kept."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import stubs

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = '''"""Mentions ``### BEGIN SOLUTION`` in prose, which is not a marker."""
import numpy as np


def f(x):
    """Doubles x."""
    ### BEGIN SOLUTION
    y = 2 * x
    ### END SOLUTION
    return y


class Model:
    def g(self, x):
        if x:
            ### BEGIN SOLUTION
            return x + 1
            ### END SOLUTION
        return 0
'''


def test_stub_replaces_each_region_at_its_indentation():
    out = stubs.stub_source(SAMPLE)
    assert "y = 2 * x" not in out and "return x + 1" not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()\n    return y\n" in out
    assert "            # YOUR CODE HERE\n            raise NotImplementedError()\n        return 0" in out
    assert out.startswith('"""Mentions ``### BEGIN SOLUTION`` in prose')
    ast.parse(out)


def test_stub_leaves_text_without_regions_unchanged():
    text = "def f():\n    return 1\n"
    assert stubs.stub_source(text) == text


def test_regions_report_lines_and_content():
    regions = stubs.solution_regions(SAMPLE)
    assert [(r.begin, r.end, r.indent) for r in regions] == [(7, 9, "    "), (16, 18, " " * 12)]
    assert regions[0].lines == ("    y = 2 * x",)


@pytest.mark.parametrize("text, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
])
def test_unpaired_markers_name_file_and_line(text, message):
    with pytest.raises(stubs.MarkerError, match=rf"layers\.py:\d+: .*{message}"):
        stubs.stub_source(text, "layers.py")


def test_student_files_of_the_reference_package():
    files = stubs.student_files(ROOT / "cs231n")
    assert Path("cs231n/rnn_layers.py") in files
    assert Path("cs231n/classifiers/rnn.py") in files
    for relative in files:
        assert stubs.has_solution(ROOT / relative)
    assert Path("cs231n/optim.py") in files   # clip_grad_norm


def test_stubbed_reference_package_imports_and_raises(tmp_path):
    shutil.copytree(ROOT / "cs231n", tmp_path / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    stubbed = stubs.stub_package(tmp_path / "cs231n")
    assert stubbed == stubs.student_files(ROOT / "cs231n")
    assert stubs.student_files(tmp_path / "cs231n") == []
    for relative in stubbed:
        reference = (ROOT / relative).read_text()
        student = (tmp_path / relative).read_text()
        for region in stubs.solution_regions(reference):
            body = [line for line in region.lines if line.strip()]
            assert not any(line in student.splitlines() for line in body if len(line.strip()) > 12)
        ast.parse(student)
    code = ("import numpy as np\nfrom cs231n.rnn_layers import rnn_step_forward\n"
            "try:\n    rnn_step_forward(np.zeros((1, 2)), np.zeros((1, 3)), np.zeros((2, 3)),"
            " np.zeros((3, 3)), np.zeros(3))\nexcept NotImplementedError:\n    print('stub')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "stub"
