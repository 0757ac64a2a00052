"""Grading a class: every kind of submission earns what its working parts deserve, never stops the
run, and shows in the status column; parallel grading equals serial grading; a PostgreSQL
gradebook holds the same scores as the SQLite one; regrading one student gives the same result.

One class of the small course (tests/grading_support.py) is graded once for the whole module.
"""
import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.api import Gradebook

from kit.commands import feedback, report
from kit.grade import extra_credit
from kit.grade.limits import Limits
from kit.grade.submissions import SubmissionsError
from kit.grade.template import Setup, prepare
from kit.paths import HIDDEN_NOTEBOOK
from kit.release import build as release
from kit.report.outputs import grade_and_report
from kit.nbgrader_api import course_id, sqlite_url
from tests.grading_support import (copy_release, make_repo, put_reference, replace_in, set_answer,
                                   zip_folder)

pytestmark = pytest.mark.slow

LIMITS = Limits(cell_timeout=10, submission_timeout=300, memory_mb=1500,
                        max_output_bytes=50_000)
ANSWER = "def double(x):\n    return x * 2"
STEP_FORWARD = "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
EMBED_BACKWARD = "def word_embedding_backward(dout, cache):\n"


def _inject(folder: Path, function_header: str, code: str) -> None:
    """Put code at the top of a function's body in the student's rnn_layers.py."""
    path = folder / "cs231n" / "rnn_layers.py"
    text = path.read_text()
    start = text.index(function_header)
    body = text.index('    """', text.index('"""', start) + 3) + len('    """\n')
    path.write_text(text[:body] + code + text[body:])


def build_class(release_folder: Path, dest: Path, student_files: list[str]) -> Path:
    """One submission per kind of problem (the comments say what each one shows)."""
    dest.mkdir()
    stage = dest.parent / "stage"

    def correct(name, into=dest):
        folder = copy_release(release_folder, into / name)
        put_reference(folder, student_files)
        set_answer(folder, ANSWER)
        return folder

    correct("reference")
    copy_release(release_folder, dest / "untouched")
    zip_folder(correct("zipped", stage), dest / "zipped.zip", top="rnn_captioning")
    zip_folder(correct("flat", stage), dest / "flat.zip")
    subprocess.run([sys.executable, "-m", "cs231n.submit", "--no-checks",       # the students'
                    "--out", str(dest / "handed_in.zip")],                     # own command
                   cwd=correct("handed_in", stage), check=True, capture_output=True)
    shutil.rmtree(correct("no_package") / "cs231n")
    (correct("bad_json") / "Mini.ipynb").write_text("{ this is not a notebook")
    folder = correct("renamed")
    (folder / "Mini.ipynb").rename(folder / "Mini (1).ipynb")
    replace_in(correct("import_crash") / "cs231n" / "rnn_layers.py", "import numpy as np\n",
               'import numpy as np\nraise RuntimeError("broken at import")\n')
    folder = correct("crashes")
    _inject(folder, STEP_FORWARD, "    import sys; sys.exit(1)\n")
    _inject(folder, EMBED_BACKWARD, "    import os; os._exit(1)\n")
    _inject(correct("endless"), STEP_FORWARD,
            "    while True:\n        try:\n            pass\n"
            "        except KeyboardInterrupt:\n            pass\n")
    folder = correct("flood_and_memory")
    _inject(folder, EMBED_BACKWARD, "    for _ in range(2000):\n        print('x' * 100)\n")
    _inject(folder, STEP_FORWARD, "    np.ones(2 * 10**8).sum()\n")

    # Everything a student could tamper with, with the untouched (stubbed) package.
    folder = copy_release(release_folder, dest / "tampered")
    nb = nbformat.read(folder / "Mini.ipynb", as_version=4)
    nb.cells[2].source = "pass"                               # a test cell emptied
    del nb.cells[3]                                           # a test cell deleted
    nb.cells.insert(1, nbformat.v4.new_code_cell(             # a cell that patches the helpers
        "import cs231n.checks\ncs231n.checks.check = lambda *args, **kwargs: None"))
    nbformat.write(nb, folder / "Mini.ipynb")
    replace_in(folder / "cs231n" / "checking" / "runner.py",
               "def check(name: str, hidden: bool = False) -> None:\n",
               "def check(name: str, hidden: bool = False) -> None:\n    return\n")
    (folder / "cs231n" / "reference_outputs.npz").write_bytes(b"forged")
    for shadow in ("cs231n/checks/__init__.py", "numpy/__init__.py"):   # modules that would
        (folder / shadow).parent.mkdir()                                # hide the real ones
        (folder / shadow).write_text("def check(*args, **kwargs):\n    pass\n")

    # A package that patches the checking helpers when it is imported, and returns zeros.
    folder = copy_release(release_folder, dest / "patched")
    replace_in(folder / "cs231n" / "rnn_layers.py", "import numpy as np\n",
               "import numpy as np\nfrom cs231n.checking import runner as _runner\n"
               "_runner.compare_output = lambda case, name, *args: (True, name + ' looks fine')\n")
    _inject(folder, STEP_FORWARD, "    return np.zeros((x.shape[0], Wh.shape[0])), None\n")

    # A package that looks the expected outputs up in the reference outputs file.
    _inject(copy_release(release_folder, dest / "lookup"), STEP_FORWARD,
            "    from cs231n import checks as _checks\n"
            "    for case in _checks.load_cases():\n"
            "        if case.check == 'rnn_step_forward' and case.inputs['x'].shape == x.shape \\\n"
            "                and np.array_equal(case.inputs['x'], x):\n"
            "            return case.expected['next_h'], None\n")

    (dest / "stray.txt").write_text("not a submission")
    (dest / "broken.zip").write_bytes(b"PK\x03\x04 but not really a zip")
    shutil.rmtree(stage)
    return dest


def read_rows(path: Path) -> dict:
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grade")
    repo = make_repo(base / "repo")
    result = release.build_release(base / "course", base / "release", root=repo)
    submissions = build_class(result.folder, base / "submissions", result.student_files)
    setup = prepare(base / "course", base / "grading", root=repo, build=False,
                    datasets_dir=None)
    outcomes = grade_and_report(submissions, setup, LIMITS, jobs=2)
    source = base / "course" / "source" / "rnn_captioning"
    points, extra = {}, 0.0
    for path in source.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                points[(path.stem, meta["grade_id"])] = meta["points"]
                extra += extra_credit.worth(cell)   # the GRU checks of Package_Checks
    return SimpleNamespace(base=base, repo=repo, release=result, submissions=submissions,
                           setup=setup, outcomes=outcomes, points=points, extra=extra,
                           rows=read_rows(setup.out_dir / "grades.csv"))


def cell_score(graded, student: str, notebook: str, grade_id: str) -> float:
    with Gradebook(graded.setup.db_url, course_id(graded.setup.course_dir)) as gb:
        return gb.find_grade(grade_id, notebook, "rnn_captioning", student).score


def total(graded, notebook: str | None = None) -> float:
    return sum(p for (nb, _), p in graded.points.items() if notebook in (None, nb))


def full(graded) -> float:
    """The score of a submission that passes everything: the maximum plus every extra credit."""
    return total(graded) + graded.extra


def hidden_ids(graded) -> list[str]:
    return [gid for (nb, gid) in graded.points if nb == "Package_Checks"]


def copy_course(graded, dest: Path) -> Path:
    """The class's course folder without its gradebook and grading results."""
    return shutil.copytree(graded.base / "course", dest,
                           ignore=shutil.ignore_patterns("gradebook.db", "submitted", "autograded",
                                                         "feedback"))


def grade_again(graded, tmp_path: Path, students: list[str], jobs: int,
                db_url: str | None = None) -> Setup:
    """Grade some students of the class again, into a copy of the course and the gradebook at
    db_url (default: the copy's SQLite file); returns the setup."""
    subset = tmp_path / "submissions"
    subset.mkdir()
    for entry in graded.submissions.iterdir():
        if entry.stem in students:
            copy = shutil.copytree if entry.is_dir() else shutil.copy2
            copy(entry, subset / entry.name)
    copy_course(graded, tmp_path / "course")
    setup = prepare(tmp_path / "course", tmp_path / "grading", db_url=db_url,
                            root=graded.repo, build=False, datasets_dir=None)
    grade_and_report(subset, setup, LIMITS, jobs=jobs)
    return setup


def cell_scores(gb: Gradebook, student: str) -> dict:
    """{(notebook, grade id): score} of a student's submission in an open gradebook."""
    return {(nb.name, g.name): g.score
            for nb in gb.find_submission("rnn_captioning", student).notebooks for g in nb.grades}


def test_every_entry_is_a_student_with_a_row(graded):
    assert set(graded.rows) == {"reference", "untouched", "zipped", "flat", "handed_in",
                                "no_package", "bad_json", "renamed", "import_crash", "crashes", "endless",
                                "flood_and_memory", "tampered", "patched", "lookup", "stray",
                                "broken"}
    header = list(next(iter(graded.rows.values())))
    assert header == ["student", "score", "max_score", "autograded", "autograded_max",
                      "extra_credit", "Mini", "Package_Checks", "status"]
    for row in graded.rows.values():
        assert float(row["max_score"]) == total(graded)
        assert float(row["score"]) == float(row["Mini"]) + float(row["Package_Checks"])
    assert (graded.setup.out_dir / "scores.png").read_bytes()[:4] == b"\x89PNG"


def test_reference_gets_full_marks_and_untouched_release_nothing(graded):
    assert graded.extra > 0
    assert float(graded.rows["reference"]["score"]) == full(graded)
    assert graded.rows["reference"]["status"] == "ok"
    assert float(graded.rows["untouched"]["score"]) == 0
    assert graded.rows["untouched"]["status"] == "ok"


def test_zips_with_and_without_a_top_folder_grade_like_the_folder(graded):
    for student in ("zipped", "flat", "handed_in"):
        assert graded.rows[student]["score"] == graded.rows["reference"]["score"]
        assert graded.rows[student]["status"] == "ok"


def test_feedback_and_autograded_notebooks_for_each_student(graded):
    course_dir = graded.setup.course_dir
    for student in ("reference", "crashes", "tampered"):
        feedback = course_dir / "feedback" / student / "rnn_captioning"
        assert (feedback / "Mini.html").is_file()
        assert (feedback / f"{Path(HIDDEN_NOTEBOOK).stem}.html").is_file()
        assert (course_dir / "autograded" / student / "rnn_captioning" / "Mini.ipynb").is_file()
        with zipfile.ZipFile(graded.setup.out_dir / "feedback" / f"{student}.zip") as zf:
            assert sorted(Path(name).name for name in zf.namelist()) == sorted(
                p.name for p in feedback.glob("*.html"))
            assert zf.read(f"{student}_rnn_captioning_feedback/Mini.html") == \
                (feedback / "Mini.html").read_bytes()
    zips = sorted(p.stem for p in (graded.setup.out_dir / "feedback").iterdir())
    assert zips == sorted(set(graded.rows) - {"stray", "broken"})     # nothing to grade there


def test_feedback_after_hand_grading_shows_the_comments(graded, tmp_path, capsys):
    course_dir = shutil.copytree(graded.base / "course", tmp_path / "course")
    comment = "Well reasoned; see the lecture notes on gating."
    with Gradebook(sqlite_url(course_dir / "gradebook.db"), course_id(course_dir)) as gb:
        gb.find_comment("double", "Mini", "rnn_captioning", "reference").manual_comment = comment
        gb.db.commit()
    args = SimpleNamespace(course=course_dir, out=tmp_path / "grading", db=None, student=None)
    assert feedback.run(args) == 0
    zips = sorted(p.stem for p in (tmp_path / "grading" / "feedback").iterdir())
    assert zips == sorted(p.name for p in (course_dir / "autograded").iterdir())
    with zipfile.ZipFile(tmp_path / "grading" / "feedback" / "reference.zip") as zf:
        assert comment in zf.read("reference_rnn_captioning_feedback/Mini.html").decode()
    assert comment not in (graded.setup.course_dir / "feedback" / "reference" / "rnn_captioning"
                           / "Mini.html").read_text()
    args.student = "nobody"
    assert feedback.run(args) == 2
    assert "no autograded submission of 'nobody'" in capsys.readouterr().out


def test_missing_package_earns_only_the_answer(graded):
    row = graded.rows["no_package"]
    assert float(row["score"]) == graded.points[("Mini", "double_check")]
    assert ("missing cs231n/classifiers/char_rnn.py, cs231n/classifiers/rnn.py, cs231n/optim.py, "
            "cs231n/rnn_layers.py" in row["status"])


def test_invalid_notebook_keeps_the_package_points(graded):
    row = graded.rows["bad_json"]
    assert float(row["score"]) == full(graded) - graded.points[("Mini", "double_check")]
    assert "Mini.ipynb is not a valid notebook" in row["status"]


def test_renamed_notebook_is_found(graded):
    row = graded.rows["renamed"]
    assert float(row["score"]) == full(graded)
    assert "Mini (1).ipynb graded as Mini.ipynb" in row["status"]


def test_import_time_crash(graded):
    row = graded.rows["import_crash"]
    assert float(row["Mini"]) == graded.points[("Mini", "double_check")]
    # only clipping (cs231n/optim.py) does without the broken rnn_layers.py
    assert cell_score(graded, "import_crash", "Package_Checks", "package_clip_grad_norm") == 1
    assert float(row["Package_Checks"]) == 1
    assert "setup raised RuntimeError: broken at import" in row["status"]


def test_sys_exit_and_a_dead_kernel_cost_only_what_they_break(graded):
    """sys.exit in rnn_step_forward, os._exit in word_embedding_backward."""
    row = graded.rows["crashes"]
    assert cell_score(graded, "crashes", "Mini", "rnn_step_forward_check") == 0
    assert cell_score(graded, "crashes", "Mini", "word_embedding_backward_check") == 0
    assert cell_score(graded, "crashes", "Mini", "double_check") == 1   # after a kernel restart
    for check, points in [("rnn_step_forward", 0), ("word_embedding_backward", 0),
                          ("word_embedding_forward", 1), ("lstm_step_forward", 1),
                          ("temporal_softmax_loss", 1)]:
        assert cell_score(graded, "crashes", "Package_Checks", f"package_{check}") == points, check
    assert "sys.exit called in rnn_step_forward_check" in row["status"]
    assert "Mini: kernel died in word_embedding_backward_check" in row["status"]
    assert "re-run check crashed in package_word_embedding_backward" in row["status"]


def test_endless_loop_hits_the_cell_time_limit_and_the_rest_is_graded(graded):
    row = graded.rows["endless"]
    assert cell_score(graded, "endless", "Mini", "rnn_step_forward_check") == 0
    assert cell_score(graded, "endless", "Mini", "word_embedding_backward_check") == 2
    assert cell_score(graded, "endless", "Mini", "double_check") == 1
    assert cell_score(graded, "endless", "Package_Checks", "package_lstm_backward") == 1
    assert "cell time limit (10 s) hit in rnn_step_forward_check" in row["status"]
    assert "time limit of a re-run check hit in package_rnn_step_forward" in row["status"]


def test_output_flood_is_cut_and_the_memory_cap_holds(graded):
    """A correct word_embedding_backward that prints 200 kB keeps its points; an
    rnn_step_forward that allocates 1.6 GB under a 1.5 GB cap fails alone."""
    row = graded.rows["flood_and_memory"]
    assert cell_score(graded, "flood_and_memory", "Mini", "word_embedding_backward_check") == 2
    assert cell_score(graded, "flood_and_memory", "Mini", "rnn_step_forward_check") == 0
    assert cell_score(graded, "flood_and_memory", "Mini", "double_check") == 1
    assert "output limit hit in word_embedding_backward_check" in row["status"]
    assert "memory limit (1500 MB) hit in rnn_step_forward_check" in row["status"]
    autograded = graded.setup.course_dir / "autograded/flood_and_memory/rnn_captioning/Mini.ipynb"
    cell = [c for c in nbformat.read(autograded, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "word_embedding_backward_check"][0]
    assert sum(len(o.get("text", "")) for o in cell.outputs) < 2 * LIMITS.max_output_bytes


def test_tampering_with_cells_helpers_and_reference_outputs_earns_nothing(graded):
    row = graded.rows["tampered"]
    assert float(row["score"]) == 0
    assert row["status"] == "ignored cs231n/checks/__init__.py: would hide a course module"
    submitted = graded.setup.course_dir / "submitted/tampered/rnn_captioning"
    assert not (submitted / "numpy").exists() and not (submitted / "cs231n/checks").exists()
    autograded = graded.setup.course_dir / "autograded/tampered/rnn_captioning/Mini.ipynb"
    sources = [c.source for c in nbformat.read(autograded, as_version=4).cells]
    assert 'check("rnn_step_forward")' in sources and "pass" not in sources


def test_patching_the_helpers_from_the_package_earns_nothing(graded):
    row = graded.rows["patched"]
    assert float(row["score"]) == 0
    assert ("Mini: points withdrawn from rnn_step_forward_check (rnn_step_forward)"
            in row["status"])


def test_looking_the_expected_outputs_up_earns_nothing(graded):
    row = graded.rows["lookup"]
    assert float(row["score"]) == 0
    assert ("Mini: points withdrawn from rnn_step_forward_check (rnn_step_forward)"
            in row["status"])


def test_unreadable_entries_are_students_with_nothing(graded):
    assert float(graded.rows["stray"]["score"]) == 0
    assert "stray.txt is neither a folder nor a .zip" in graded.rows["stray"]["status"]
    assert float(graded.rows["broken"]["score"]) == 0
    assert "broken.zip is not a readable zip" in graded.rows["broken"]["status"]


def test_parallel_grading_equals_serial_grading(graded, tmp_path):
    """A few students graded one at a time into another course get the same rows and cells."""
    chosen = ["crashes", "reference", "tampered"]
    setup = grade_again(graded, tmp_path, chosen, jobs=1)
    serial = read_rows(setup.out_dir / "grades.csv")
    assert list(serial) == chosen
    for student in chosen:
        assert serial[student] == graded.rows[student]
    cid = course_id(setup.course_dir)
    with Gradebook(setup.db_url, cid) as one, Gradebook(graded.setup.db_url, cid) as many:
        for student in chosen:
            assert cell_scores(one, student) == cell_scores(many, student)


def test_postgresql_gradebook_holds_the_same_grades_as_sqlite(graded, tmp_path, postgres_server):
    """A few students graded into a PostgreSQL gradebook (the --db option), one of them twice, get
    the same rows as in the SQLite run, and the gradebook holds them and every cell's score."""
    chosen = ["broken", "import_crash", "reference", "untouched"]
    db_url = postgres_server.create_database("grade_postgresql")
    setup = grade_again(graded, tmp_path, chosen, jobs=2, db_url=db_url)
    grade_and_report(tmp_path / "submissions", setup, LIMITS, only="reference")
    rows = read_rows(setup.out_dir / "grades.csv")
    assert list(rows) == chosen
    for student in chosen:
        assert rows[student] == graded.rows[student]
    assert not (setup.course_dir / "gradebook.db").exists()
    cid = course_id(setup.course_dir)
    with Gradebook(db_url, cid) as pg, Gradebook(graded.setup.db_url, cid) as lite:
        assert pg.engine.dialect.name == "postgresql"
        assert sorted(student.id for student in pg.students) == chosen
        for student in chosen:
            assert pg.find_submission("rnn_captioning", student).score == float(
                graded.rows[student]["score"])
            assert cell_scores(pg, student) == cell_scores(lite, student)


def test_submission_time_limit_keeps_the_points_earned_before(graded, tmp_path):
    """A slow but correct package, graded into another gradebook (the URL option): the notebook
    finishes in time and keeps its points; the hidden checks run into the submission's limit."""
    submissions = tmp_path / "submissions"
    folder = copy_release(graded.release.folder, submissions / "slow")
    put_reference(folder, graded.release.student_files)
    set_answer(folder, ANSWER)
    _inject(folder, STEP_FORWARD, "    import time; time.sleep(2)\n")
    db_url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    copy_course(graded, tmp_path / "course")
    setup = prepare(tmp_path / "course", tmp_path / "grading", db_url=db_url,
                            root=graded.repo, build=False)
    grade_and_report(submissions, setup, Limits(cell_timeout=20, submission_timeout=18))
    slow = read_rows(setup.out_dir / "grades.csv")["slow"]
    assert float(slow["Mini"]) == total(graded, "Mini")          # earned before the limit
    assert float(slow["Package_Checks"]) < total(graded, "Package_Checks")
    assert "submission time limit (18 s) hit in package_" in slow["status"]
    assert not (tmp_path / "course" / "gradebook.db").exists()


def test_regrading_one_student_gives_the_same_result(graded):
    before = read_rows(graded.setup.out_dir / "grades.csv")
    feedback = graded.setup.course_dir / "feedback" / "crashes" / "rnn_captioning" / "Mini.html"
    feedback.unlink()
    outcomes = grade_and_report(graded.submissions, graded.setup, LIMITS, jobs=2,
                                   only="crashes")
    assert [o.student for o in outcomes] == ["crashes"]
    assert read_rows(graded.setup.out_dir / "grades.csv") == before
    assert feedback.is_file()


def test_regrading_an_unknown_student_is_a_clear_error(graded):
    with pytest.raises(SubmissionsError, match="no submission of student 'nobody'"):
        grade_and_report(graded.submissions, graded.setup, LIMITS, only="nobody")


def test_report_rewrites_the_table_from_the_gradebook(graded, tmp_path):
    args = SimpleNamespace(course=graded.setup.course_dir, out=tmp_path, db=None)
    assert report.run(args) == 0
    def without_status(rows):
        return {student: {k: v for k, v in row.items() if k != "status"}
                for student, row in rows.items()}

    assert without_status(read_rows(tmp_path / "grades.csv")) == without_status(graded.rows)
    assert (tmp_path / "scores.png").is_file()


@pytest.mark.parametrize("command", [report, feedback])
def test_report_and_feedback_without_a_gradebook_say_to_grade_first(tmp_path, capsys, command):
    args = SimpleNamespace(course=tmp_path / "course", out=tmp_path / "grading", db=None,
                           student=None)
    assert command.run(args) == 2
    assert "grade a class first" in capsys.readouterr().out
    assert not (tmp_path / "grading").exists()


def test_a_course_site_download_is_graded_under_the_ids_the_pattern_takes(graded, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shutil.copy2(graded.submissions / "handed_in.zip",
                 downloads / "ada_12345_67890_rnn_captioning_submission.zip")
    copy_course(graded, tmp_path / "course")
    setup = prepare(tmp_path / "course", tmp_path / "grading", root=graded.repo,
                            build=False, datasets_dir=None)
    grade_and_report(downloads, setup, LIMITS, id_pattern=r"^([a-z]+)_\d+_")
    rows = read_rows(setup.out_dir / "grades.csv")
    assert list(rows) == ["ada"]
    assert rows["ada"]["score"] == graded.rows["reference"]["score"]


def test_regrading_keeps_what_was_graded_by_hand(graded, tmp_path):
    course_dir = shutil.copytree(graded.base / "course", tmp_path / "course")
    url = sqlite_url(course_dir / "gradebook.db")
    with Gradebook(url, course_id(course_dir)) as gb:
        grade = gb.find_grade("double_check", "Mini", "rnn_captioning", "reference")
        grade.manual_score, grade.extra_credit = 0.5, 2.0
        gb.find_comment("double", "Mini", "rnn_captioning", "reference").manual_comment = "Neat."
        gb.db.commit()
    setup = prepare(course_dir, tmp_path / "grading", root=graded.repo, build=False,
                            datasets_dir=None)
    grade_and_report(graded.submissions, setup, LIMITS, only="reference")
    with Gradebook(url, course_id(course_dir)) as gb:
        grade = gb.find_grade("double_check", "Mini", "rnn_captioning", "reference")
        assert (grade.manual_score, grade.extra_credit, grade.auto_score) == (0.5, 2.0, 1.0)
        assert gb.find_comment("double", "Mini", "rnn_captioning",
                               "reference").manual_comment == "Neat."
    row = read_rows(setup.out_dir / "grades.csv")["reference"]
    assert float(row["score"]) == float(graded.rows["reference"]["score"]) - 1 + 0.5 + 2
