"""The kit where people use it, in a real browser (headless Chromium driven by Selenium).

- Student: ``jupyter lab`` in a release folder; RNN_Captioning.ipynb opened, its setup cell, the
  data and image cells and the rnn_step_forward check run. With the stubs the check names the
  function to write; with the reference solution it prints PASS; the images render.
- Instructor: nbgrader's formgrader on a graded class; one student's inline answer given a score
  and a comment by hand; ``python -m kit report`` and ``python -m kit feedback`` then carry both.

Screenshots are kept in build/screenshots/ (a failing assertion names the one to look at).
"""
import csv
import re
import shutil
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from kit import paths
from kit.demo import samples
from kit.grade.limits import Limits
from kit.grade.template import prepare
from kit.report.outputs import grade_and_report
from kit.release.build import build_release
from tests.browser_support import Browser, JupyterServer

pytestmark = pytest.mark.slow

NOTEBOOK = "RNN_Captioning.ipynb"
SETUP_CELL = "# Setup: run this cell first"
DATA_CELL = "data = load_coco_data()"
IMAGES_CELL = "for caption, url in zip(captions, urls)"
CHECK_CELL = "# Check rnn_step_forward"
CELL_TIMEOUT = 180
# the cells of the notebook in view (notebooks opened before stay in the page, hidden)
CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The student release, built from this checkout."""
    work = tmp_path_factory.mktemp("browser")
    return build_release(work / "course", work / "release")


@pytest.fixture(scope="module")
def browser():
    chrome = Browser()
    yield chrome
    chrome.quit()


# ----------------------------------------------------------------------------------------------
# Student: JupyterLab

@pytest.fixture(scope="module")
def lab(released, tmp_path_factory):
    """JupyterLab serving a folder with two copies of the release: `stubs/` as students get it,
    `reference/` with the reference solution."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(released.folder, root / "stubs")
    samples.reference_submission(released.folder, root / "reference")
    server = JupyterServer(root, env={"CS231N_DATASETS": str(paths.default_datasets())})
    yield server
    server.stop()


def cell_with(driver, text):
    """The notebook cell whose source contains `text` (None if the page has none)."""
    for cell in driver.find_elements("css selector", CELLS):
        source = cell.find_element("css selector", ".jp-InputArea").get_attribute("textContent")
        if text in source:
            return cell
    return None


def wait_for(condition, timeout, what, shot):
    """Poll condition() until it returns something true; fail naming the screenshot if not."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = last = condition()
        except Exception as error:  # noqa: BLE001 - the page is still changing; poll again
            value, last = None, error
        if value:
            return value
        time.sleep(0.5)
    path = shot()
    raise AssertionError(f"{what} (after {timeout:g} s, last seen: {last!r}); see {path}")


def run_cell(browser, text, name):
    """Select the cell holding `text`, run it with Shift+Enter as a student does, wait until it
    has finished; returns its output text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = browser.driver

    def select():
        cell = cell_with(driver, text)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        cell.find_element("css selector", ".jp-InputPrompt").click()
        return True

    def prompt():
        return cell_with(driver, text).find_element("css selector", ".jp-InputPrompt").text.strip()

    # Shift+Enter sent while a just-opened notebook's kernel is still connecting can be lost (the
    # prompt stays "[ ]:"): select the cell and send it again, as a student would.
    for attempt in range(3):
        wait_for(select, 60, f"the cell {text!r} could not be selected",
                 lambda: browser.shot(name))
        ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        try:
            wait_for(lambda: re.fullmatch(r"\[(\*|\d+)\]:", prompt()), 20,
                     f"the cell {text!r} did not start", lambda: browser.shot(name))
            break
        except AssertionError:
            if attempt == 2:
                raise

    def finished():
        return re.fullmatch(r"\[\d+\]:", prompt())
    wait_for(finished, CELL_TIMEOUT, f"the cell {text!r} did not finish", lambda: browser.shot(name))
    cell = cell_with(driver, text)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
    return cell.find_element("css selector", ".jp-Cell-outputWrapper").text


def open_notebook(browser, server, path, name):
    # ?reset: JupyterLab does not restore the notebooks opened before (their kernels would start
    # too, and the status bar could show another notebook's idle kernel while this one connects)
    browser.driver.get(server.url(f"lab/tree/{path}?reset"))
    wait_for(lambda: cell_with(browser.driver, CHECK_CELL), 120,
             f"{path} did not open in JupyterLab", lambda: browser.shot(name))
    # a cell run before the kernel is connected can be lost: wait until the kernel is idle
    wait_for(lambda: "| Idle" in browser.driver.find_element("id", "jp-main-statusbar").text, 120,
             f"the kernel of {path} did not start", lambda: browser.shot(name))


def student_run(browser, server, path, name):
    """Open the notebook at `path` (RNN_Captioning.ipynb or a copy), run the setup, data, image
    and rnn_step_forward check cells; returns (check output, number of rendered images,
    screenshot path)."""
    open_notebook(browser, server, path, name)
    setup = run_cell(browser, SETUP_CELL, name)
    assert "Error" not in setup, f"the setup cell failed: {setup}; see {browser.shot(name)}"
    run_cell(browser, DATA_CELL, name)
    run_cell(browser, IMAGES_CELL, name)

    def rendered_images():
        return browser.driver.execute_script(
            "return [...arguments[0].querySelectorAll('img')]"
            ".filter(img => img.complete && img.naturalWidth > 0).length",
            cell_with(browser.driver, IMAGES_CELL))
    try:
        images = wait_for(rendered_images, 15, "no image", lambda: browser.shot(f"{name}_images"))
    except AssertionError:
        images = 0
    browser.shot(f"{name}_images")
    output = run_cell(browser, CHECK_CELL, name)
    return output, images, browser.shot(name)


def assert_check_names_function_to_write(output, images, shot):
    assert images > 0, f"the notebook's images did not render; see {shot}"
    assert re.search(r"^FAIL  rnn_step_forward.*NotImplementedError", output, re.MULTILINE), \
        f"no FAIL line naming rnn_step_forward's missing code in the check's output; see {shot}"
    assert "CheckFailed" in output and "rnn_step_forward" in output.split("CheckFailed", 1)[1], \
        f"the check did not stop with CheckFailed naming rnn_step_forward; see {shot}"


def assert_check_passes(output, images, shot):
    assert images > 0, f"the notebook's images did not render; see {shot}"
    assert re.search(r"^PASS  rnn_step_forward: .*error .*\(threshold .*\)", output,
                     re.MULTILINE), \
        f"no PASS line of rnn_step_forward in the check's output; see {shot}"
    assert "FAIL" not in output and "Error" not in output, \
        f"the reference solution's check printed a failure; see {shot}"


def test_jupyterlab_student_sees_what_to_write_then_pass(browser, lab):
    output, images, shot = student_run(browser, lab, f"stubs/{NOTEBOOK}", "lab_stubs")
    assert_check_names_function_to_write(output, images, shot)
    output, images, shot = student_run(browser, lab, f"reference/{NOTEBOOK}", "lab_reference")
    assert_check_passes(output, images, shot)


def test_jupyterlab_test_fails_when_the_check_output_is_missing(browser, lab):
    """A test of the test: a notebook whose check cell prints nothing fails both assertions."""
    import nbformat

    folder = lab.root / "reference"
    broken = folder / "RNN_Captioning_no_output.ipynb"
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.source.startswith(CHECK_CELL):
            cell.source = CHECK_CELL + " (output removed)\nfrom cs231n.checks import check"
    nbformat.write(nb, broken)
    output, images, shot = student_run(browser, lab, f"reference/{broken.name}", "lab_no_output")
    with pytest.raises(AssertionError, match="lab_no_output.png"):
        assert_check_passes(output, images, shot)
    with pytest.raises(AssertionError, match="lab_no_output.png"):
        assert_check_names_function_to_write(output, images, shot)


# ----------------------------------------------------------------------------------------------
# Instructor: nbgrader's formgrader, then kit report and kit feedback

ANSWER = "inline_question_1_answer"        # RNN_Captioning's hand-graded inline answer
HAND_SCORE = 1.5
COMMENT = "Right about the vocabulary; also say why long-range dependencies get harder."
BUG = next(bug for bug in samples.BUGS if bug.name == "bug_rnn_no_carry")


@pytest.fixture(scope="module")
def graded_class(released, tmp_path_factory):
    """A class graded as the demo does (the reference, the untouched release, one bug)."""
    work = tmp_path_factory.mktemp("graded")
    samples.make_samples(released.folder, work / "submissions", bugs=[BUG])
    setup = prepare(released.folder.parent.parent / "course", work / "grading",
                    build=False, datasets_dir=paths.default_datasets())
    grade_and_report(work / "submissions", setup, Limits(), jobs=0)
    return setup


def grades_row(setup, student):
    with open(setup.out_dir / "grades.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}[student]


def feedback_html(setup, student):
    return (setup.course_dir / "feedback" / student / paths.ASSIGNMENT /
            "RNN_Captioning.html").read_text(encoding="utf-8")


def assert_report_carries_hand_grade(setup, student, autograded_score):
    """grades.csv and the feedback HTML carry the hand-given score and comment."""
    row = grades_row(setup, student)
    assert float(row["score"]) == autograded_score + HAND_SCORE, \
        f"grades.csv score of {student} is {row['score']}, not {autograded_score} + {HAND_SCORE}"
    html = feedback_html(setup, student)
    assert re.search(rf'href="#{ANSWER}">Written response</a> \(Score: {HAND_SCORE:g} / 2', html), \
        f"the feedback HTML of {student} does not show the hand-given score {HAND_SCORE:g}"
    assert COMMENT in html, f"the feedback HTML of {student} does not show the comment"


def kit(*args, setup):
    out = subprocess.run([sys.executable, "-m", "kit", *args, "--course", str(setup.course_dir),
                          "--out", str(setup.out_dir)], cwd=paths.ROOT, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def hand_grade(setup):
    """The hand grade of the answer in the gradebook: (manual score, manual comment)."""
    from kit.nbgrader_api import course_id
    with Gradebook(setup.db_url, course_id(setup.course_dir)) as gb:
        grade = gb.find_grade(ANSWER, "RNN_Captioning", paths.ASSIGNMENT, BUG.name)
        comment = gb.find_comment(ANSWER, "RNN_Captioning", paths.ASSIGNMENT, BUG.name)
        return grade.manual_score, comment.manual_comment


def submission_id(setup):
    from kit.nbgrader_api import course_id
    with Gradebook(setup.db_url, course_id(setup.course_dir)) as gb:
        return gb.find_submission_notebook("RNN_Captioning", paths.ASSIGNMENT, BUG.name).id


def test_formgrader_hand_grade_reaches_report_and_feedback(browser, graded_class):
    setup = graded_class
    autograded = float(grades_row(setup, BUG.name)["score"])
    # a test of the test: before the hand grading, the check fails
    with pytest.raises(AssertionError, match="grades.csv score"):
        assert_report_carries_hand_grade(setup, BUG.name, autograded)

    server = JupyterServer(setup.course_dir, app="server")
    try:
        driver = browser.driver
        driver.get(server.url(""))   # log in at the root: the login cookie then covers the API
        driver.get(server.url(f"formgrader/gradebook/{paths.ASSIGNMENT}/RNN_Captioning"))
        wait_for(lambda: "Submission" in driver.find_element("css selector", "body").text, 60,
                 "the formgrader's list of RNN_Captioning submissions did not show",
                 lambda: browser.shot("formgrader_submissions"))
        browser.shot("formgrader_submissions")
        driver.get(server.url(f"formgrader/submissions/{submission_id(setup)}/"))
        score = wait_for(lambda: driver.find_element("id", ANSWER), 60,
                         "the formgrader did not show the inline answer's score box",
                         lambda: browser.shot("formgrader_answer"))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", score)
        score.clear()
        score.send_keys(f"{HAND_SCORE:g}")
        comment = driver.find_element("id", f"{ANSWER}-comment")
        comment.click()                                     # the score box's change saves it
        comment.clear()
        comment.send_keys(COMMENT)
        score.click()                                       # the comment's change saves it
        def saved():
            seen = hand_grade(setup)
            if seen != (HAND_SCORE, COMMENT):
                raise AssertionError(f"the gradebook holds {seen}")
            return True
        wait_for(saved, 30,
                 "the formgrader did not save the score and comment to the gradebook",
                 lambda: browser.shot("formgrader_answer"))
        browser.shot("formgrader_answer")
    finally:
        server.stop()

    kit("report", setup=setup)
    kit("feedback", "--student", BUG.name, setup=setup)
    assert_report_carries_hand_grade(setup, BUG.name, autograded)


def test_checks_report_names_what_the_bug_breaks(graded_class):
    """checks.csv, checks.png and the printed top five after grading: the sample bug's checks
    come first, with the FAIL line the bug gives when its checks are run directly."""
    from kit.report import checks as check_report

    setup = graded_class
    bug_folder = setup.out_dir.parent / "submissions" / BUG.name
    first_fail = ("from cs231n import checks\n"
                  "print(next(str(l) for l in checks.run('rnn_backward') if not l.passed))")
    run = subprocess.run([sys.executable, "-c", first_fail], cwd=bug_folder, capture_output=True,
                         text=True, check=True)
    expected_line = check_report._ERROR_VALUE.sub("", run.stdout.strip()).strip()

    printed = kit("report", setup=setup)
    with open(setup.out_dir / check_report.CSV_NAME, newline="") as f:
        rows = {row["check"]: row for row in csv.DictReader(f)}
    assert (setup.out_dir / check_report.PLOT_NAME).stat().st_size > 0
    backward = rows["check_rnn_backward"]
    assert (backward["students"], backward["failed"], backward["unwritten"]) == ("3", "2", "1")
    assert (backward["commonest_failure"], backward["commonest_count"]) == (expected_line, "1")
    assert rows["check_rnn_step_forward"]["failed"] == "1"       # only the untouched release
    top = printed.split("Where the class went wrong")[1].split("\n\n")[0]
    assert "failed rnn_backward" in top and expected_line in top, top
