"""Assemble the nbgrader course folder (build/course/) from the one source of truth:
the source notebooks in assignments/, the reference package cs231n/ and the dataset scripts."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "rnn_captioning"
BUILD = ROOT / "build"
COURSE = BUILD / "course"

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def build_course(course_dir: Path = COURSE) -> Path:
    """Write the nbgrader course into course_dir (replacing its source/ folder) and return the
    assignment's source folder, course_dir/source/rnn_captioning/."""
    source = course_dir / "source" / ASSIGNMENT
    if source.exists():
        shutil.rmtree(source)
    source.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "assignments" / "source" / ASSIGNMENT, source, ignore=_IGNORE)
    shutil.copy2(ROOT / "assignments" / "nbgrader_config.py", course_dir / "nbgrader_config.py")
    shutil.copytree(ROOT / "cs231n", source / "cs231n", ignore=_IGNORE)
    datasets = source / "datasets"
    datasets.mkdir()
    for script in sorted((ROOT / "datasets").glob("*.py")) + sorted((ROOT / "datasets").glob("*.sh")):
        shutil.copy2(script, datasets / script.name)
    from .reference_outputs import write_reference_outputs
    write_reference_outputs(source)
    return source
