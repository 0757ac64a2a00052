"""What grading needs that is the same for every student (the template: the course built, the
grading source with stubbed student files, a gradebook holding the assignment only), and each
student's own nbgrader course folder made from it."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.utils import rmtree as _nbgrader_rmtree

from ..author.course import student_files
from ..author.stubs import stub_package
from ..nbgrader_api import check, open_api, sqlite_url
from ..paths import ASSIGNMENT, COURSE, GRADING, IGNORE, PACKAGE, REFERENCE_ONLY, ROOT
from ..release.build import prepare_course
from .answers import assemble
from .submissions import Submission


@dataclass
class Setup:
    """Everything grading needs that is the same for every student."""
    course_dir: Path
    out_dir: Path
    db_url: str
    release_dir: Path          # nbgrader's student version: the notebooks answers are put into
    grading_source: Path       # the course source with stubbed student files and the hidden checks
    template_db: Path          # a gradebook holding the assignment only
    student_files: list[str]
    extra_notebooks: list[Path]
    datasets_dir: Path | None


def prepare(course_dir: Path = COURSE, out_dir: Path = GRADING, db_url: str | None = None,
            root: Path = ROOT, write_support=None, datasets_dir: Path | None = None,
            build: bool = True) -> Setup:
    """Build the course (as the release does; build=False keeps the course source the last
    release built), record the assignment in the gradebook, and write the grading source and the
    template gradebook."""
    course_dir, out_dir = Path(course_dir).resolve(), Path(out_dir).resolve()
    db_url = db_url or sqlite_url(course_dir / "gradebook.db")
    build = build or not (course_dir / "source" / ASSIGNMENT).is_dir()
    release_dir = prepare_course(course_dir, db_url, root, write_support, build)
    source = course_dir / "source" / ASSIGNMENT

    template = out_dir / "template"
    if template.exists():
        shutil.rmtree(template)
    grading_source = template / "source" / ASSIGNMENT
    shutil.copytree(source, grading_source, ignore=IGNORE)
    stub_package(grading_source / PACKAGE)
    shutil.copy2(course_dir / "nbgrader_config.py", template / "nbgrader_config.py")
    check(open_api(template).generate_assignment(ASSIGNMENT, force=True, create=True),
          "generate_assignment (grading template)")
    extra = [grading_source / name for name in REFERENCE_ONLY if name.endswith(".ipynb")]
    return Setup(course_dir, out_dir, db_url, release_dir, grading_source,
                 template / "gradebook.db", student_files(source), extra, datasets_dir)


def student_course(setup: Setup, sub: Submission, work: Path) -> Path:
    """Write the student's own course folder (config, grading source, template gradebook, the
    nbgrader submission) under work; returns it. Intake notes go to sub.notes."""
    if work.exists():
        rmtree(work)
    root = work / "course"
    shutil.copytree(setup.grading_source, root / "source" / ASSIGNMENT)
    shutil.copy2(setup.template_db, root / "gradebook.db")
    shutil.copy2(setup.grading_source.parent.parent / "nbgrader_config.py", root)
    assemble(sub, setup.release_dir, setup.extra_notebooks, setup.student_files,
             root / "submitted" / sub.student / ASSIGNMENT, work)
    return root


def rmtree(path: Path) -> None:
    """Remove a folder, including the read-only files nbgrader writes."""
    _nbgrader_rmtree(str(path))
