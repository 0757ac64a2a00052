"""The sandbox that graded code runs in, made with bubblewrap (``bwrap``).

nbgrader, the gradebooks, the worker and its report stay outside; only the Jupyter kernels that
nbgrader starts (the notebooks' and the hidden-check notebook's) run inside, each in a sandbox of
its own, talking to nbgrader over unix sockets in a folder of their own (the sandbox has no
network). A kernel's sandbox shows:

- read-only: the system (/usr and the few files of /etc a program needs), the Python environment
  and the dataset folder;
- a copy of the submission's autograded folder at its own path, on a size-capped tmpfs: what a
  kernel writes there never reaches the folder nbgrader grades (or the next notebook's kernel);
- a private, size-capped /tmp; its own /proc (only its own processes) and a minimal /dev.

Nothing else: not the course folder, the reference package, other students' folders, the
gradebooks, the worker's files or the grader's home. It has its own PID, network, IPC and UTS
namespaces; everything in it is killed when the kernel is (``--die-with-parent``); its
environment is a few variables (no database URL, no instructor variables); its processes and the
size of each file are capped (RLIMIT_NPROC, RLIMIT_FSIZE) on top of the memory and time limits.
When the grader is root, the kernel runs under an unprivileged user id of its own (root is exempt
from the process cap).

The notebooks' kernels run the student's code (their package and notebook cells): they see the
course's reference outputs without the hidden cases' expected outputs (``withhold``; the hidden
test cells compute the outputs, the hidden-check notebook compares them: kit.grade.crosscheck).
The hidden-check notebook's kernel, which never imports the student's code, sees the whole file
and runs the student's code in a nested sandbox (``runner_prefix``,
handed over in the ``KIT_RUNNER_SANDBOX`` variable) that shows the system and the runner's own
folder only: no /proc, not the kernel's folder, so no reference outputs to look the answers up in.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import psutil
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode

from ..author.package_checks.package_checks import RUNNER_SANDBOX_ENV
from ..author.reference_outputs import write_withheld

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`) and allow "
                "unprivileged user namespaces, or pass --no-sandbox to grade with your own rights "
                "on purpose (only for code you trust)")
SEED = "/run/kit-seed"               # where a kernel sees the real folder it starts from
MPL_DIR = "/tmp/matplotlib"          # matplotlib's configuration and cache inside
ROOT_UID_BASE = 2_000_000_000        # user ids of sandboxed kernels when the grader is root
# Variables of the grader's environment a kernel gets (all others are left out).
KEPT_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_ARENA_MAX",
            "MPLBACKEND", "PYTHONDONTWRITEBYTECODE", "KIT_CHECK_TIMEOUT", "CS231N_DATASETS",
            "NBGRADER_EXECUTION", "LANG", "LC_ALL", "TZ")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd",
       "group", "hosts")

# Runs first inside a kernel's sandbox: copy the folder, cap processes and file sizes (inside the
# sandbox's user namespace, so the cap counts this sandbox only), drop root, start the kernel.
_LAUNCH = """\
import json, os, resource, shutil, sys
spec = json.loads(sys.argv[1])
shutil.copytree(spec["seed"], spec["folder"], symlinks=True, dirs_exist_ok=True)
uid = spec["uid"]
if uid is not None:
    for top, dirs, files in os.walk(spec["folder"]):
        for name in [top] + [os.path.join(top, n) for n in dirs + files]:
            os.lchown(name, uid, uid)
for limit, value in ((resource.RLIMIT_NPROC, spec["nproc"]), (resource.RLIMIT_FSIZE, spec["fsize"])):
    resource.setrlimit(limit, (value, value))
if uid is not None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
os.execv(sys.argv[2], sys.argv[2:])
"""


class SandboxError(RuntimeError):
    """No sandbox can be made on this machine: `reason` says why, the message also what to do."""

    def __init__(self, reason: str, hint: str = INSTALL_HINT):
        super().__init__(f"{reason}: {hint}" if hint else reason)
        self.reason = reason


def _bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed")
    return path


def _as_root() -> bool:
    return os.geteuid() == 0


def _python_dirs() -> list[str]:
    """The folders the Python environment lives in (interpreter, standard library, packages)."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    found.update(p for p in sysconfig.get_paths().values())
    found.update(p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p)
    dirs = sorted(os.path.realpath(p) for p in found if p and os.path.isdir(p))
    # keep the outermost ones, none under /usr (bound whole)
    kept: list[str] = []
    for d in dirs:
        if d == "/usr" or d.startswith("/usr/"):
            continue
        if not any(d == k or d.startswith(k + "/") for k in kept):
            kept.append(d)
    # an environment folder and its symlinked twin (sys.prefix is not resolved by Python)
    for p in (sys.prefix, sys.exec_prefix):
        if os.path.realpath(p) != p and os.path.isdir(p):
            kept.append(p)
    return kept


def _dirs(path: str, made: set[str]) -> list[str]:
    """bwrap arguments that make the parent folders of path, world-readable (bwrap would make
    them readable by root only)."""
    args = []
    parts = Path(path).parent.parts
    for i in range(2, len(parts) + 1):
        folder = str(Path(*parts[:i]))
        if folder not in made:
            made.add(folder)
            args += ["--perms", "0755", "--dir", folder]
    return args


def _font_cache() -> list[str]:
    """matplotlib's font list of the grader (built before grading), for the kernels."""
    return sorted(str(p) for p in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


def system_args(readable: list[str] = (), made: set[str] | None = None) -> list[str]:
    """bwrap arguments of what every sandbox shows read-only: the system, Python, `readable`."""
    made = set() if made is None else made
    args = []
    for top in ("/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc"]
    made.add("/etc")
    for name in ETC:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for folder in _python_dirs() + [str(Path(p).resolve()) for p in readable]:
        if os.path.isdir(folder):
            args += _dirs(folder, made) + ["--ro-bind", folder, folder]
    args += ["--dev", "/dev"]
    return args


def _tmp_args(tmp_bytes: int, inside: bool = False) -> list[str]:
    """A private /tmp of tmp_bytes with matplotlib's font list in MPL_DIR (taken from there when
    the sandbox is made inside another: inside=True)."""
    args = ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
            "--perms", "0777", "--dir", MPL_DIR]
    fonts = _font_cache()
    if inside:
        fonts = [f"{MPL_DIR}/{os.path.basename(path)}" for path in fonts]
    for path in fonts:
        args += ["--ro-bind", path, f"{MPL_DIR}/{os.path.basename(path)}"]
    return args


def _env_args(env: dict) -> list[str]:
    args = []
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


def sandbox_env(env: dict) -> dict:
    """The environment inside a sandbox: the kept variables of env and a home in /tmp."""
    inside = {k: env[k] for k in KEPT_ENV if k in env}
    inside.update(HOME="/tmp", MPLCONFIGDIR=MPL_DIR, PYTHONNOUSERSITE="1",
                  PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                        "/usr/bin", "/bin"]))
    return inside


def runner_prefix(tmp_bytes: int) -> list[str]:
    """The command prefix of the nested sandbox of the hidden checks' runner; package_checks.py
    adds the runner's folder (read-only package, writable output) and the command."""
    return ([_bwrap(), "--unshare-all", "--die-with-parent", "--new-session"]
            + _tmp_args(tmp_bytes, inside=True) + system_args(made={"/tmp"}))


@dataclass(frozen=True)
class Settings:
    """What a kernel's sandbox allows."""
    disk_mb: int = 256           # size of /tmp, and room beyond the folder's copy
    processes: int = 256         # processes and threads of one sandbox
    file_mb: int = 256           # largest file a sandboxed process may write
    readable: tuple[str, ...] = ()  # more folders visible read-only (the datasets)


def _namespace_args() -> list[str]:
    args = ["--die-with-parent", "--new-session", "--clearenv", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if _as_root():   # no user namespace: the kernel drops root for a user id of its own
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_CHOWN"]
    else:
        args += ["--unshare-user"]
    return args


_launches = itertools.count()


def new_kernel_uid() -> int | None:
    """A user id of its own for the next kernel when the grader is root (None otherwise: the
    kernel keeps the grader's, and its user namespace counts its processes apart)."""
    if not _as_root():
        return None
    return ROOT_UID_BASE + (os.getpid() % 100_000) * 1000 + next(_launches) % 1000


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def kernel_command(cmd: list[str], folder: str, ipc_dir: str, env: dict, settings: Settings,
                   uid: int | None = None, replaced: dict[str, str] | None = None) -> list[str]:
    """The command that runs the kernel command `cmd` in a sandbox showing a copy of `folder`
    (its working folder) and ipc_dir (its sockets), under user id uid when the grader is root.
    `replaced` maps files of folder (paths relative to it) to the files the kernel sees there
    instead: the real ones are not visible inside."""
    mb = 2**20
    masks = []
    for relative, path in (replaced or {}).items():
        masks += ["--ro-bind", path, f"{SEED}/{relative}"]
    made: set[str] = {"/tmp"}
    inside = dict(sandbox_env(env))
    inside[RUNNER_SANDBOX_ENV] = json.dumps(runner_prefix(settings.disk_mb * mb))
    spec = {"seed": SEED, "folder": folder, "uid": uid,
            "nproc": settings.processes, "fsize": settings.file_mb * mb}
    size = folder_bytes(Path(folder)) + settings.disk_mb * mb
    # the private /tmp first: a Python environment or a dataset folder under /tmp is bound on top
    return ([_bwrap()] + _namespace_args() + _tmp_args(settings.disk_mb * mb)
            + system_args(list(settings.readable), made) + ["--proc", "/proc"]
            + ["--bind", ipc_dir, ipc_dir]
            + _dirs(SEED + "/x", made) + ["--ro-bind", folder, SEED] + masks
            + _dirs(folder, made) + ["--perms", "0755", "--size", str(size), "--tmpfs", folder,
                                     "--chdir", folder]
            + _env_args(inside)
            + [sys.executable, "-c", _LAUNCH, json.dumps(spec), *cmd])


def check_available() -> None:
    """SandboxError (saying what to do) unless a sandbox can be made here: runs one."""
    command = ([_bwrap()] + _namespace_args() + _tmp_args(2**20) + system_args(made={"/tmp"})
               + ["--proc", "/proc", sys.executable, "-c", "pass"])
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxError(f"bubblewrap could not start a sandbox ({error})")
    if proc.returncode != 0:
        raise SandboxError(f"bubblewrap could not make a sandbox here ({proc.stderr.strip()}); "
                           "user namespaces may be disabled")


_kernel_cpu = [0.0]   # CPU seconds of the sandboxed kernels this process has shut down


def kernel_cpu_seconds() -> float:
    """CPU seconds used by the sandboxed kernels this process shut down (their processes are not
    this process's children once the sandbox is gone, so the rusage of children misses them)."""
    return _kernel_cpu[0]


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants (with the children they reaped)."""
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the sandbox and listen on unix sockets."""

    disk_mb = Integer(256, help="Size of a sandbox's /tmp and room for files in its folder.").tag(
        config=True)
    processes = Integer(256, help="Processes (and threads) of one sandbox.").tag(config=True)
    file_mb = Integer(256, help="Largest file a sandboxed process may write.").tag(config=True)
    readable = List(Unicode(), help="More folders a sandbox shows read-only.").tag(config=True)
    withhold = List(Unicode(), help="Reference outputs files of the kernel's folder (relative "
                    "paths) shown without their hidden cases' expected outputs.")
    _ipc_dir = None
    _private_dir = None   # outside every sandbox: the files shown instead of the withheld ones

    def _settings(self) -> Settings:
        return Settings(self.disk_mb, self.processes, self.file_mb, tuple(self.readable))

    async def _async_pre_start_kernel(self, **kw):
        if self._ipc_dir is None:   # kept across restarts, removed with the kernel
            self._ipc_dir = tempfile.mkdtemp(prefix="kit-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._ipc_dir, "k")
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        # bwrap does not pass SIGINT on: interrupt through the control channel instead
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        uid = new_kernel_uid()
        if uid is not None:
            for path in (self._ipc_dir, self.connection_file):
                os.chown(path, uid, uid)
        folder = os.path.realpath(kw.get("cwd") or os.getcwd())
        env = kw.get("env") or dict(os.environ)
        cmd = kernel_command(list(kernel_cmd) + ["--HistoryManager.enabled=False"], folder,
                             self._ipc_dir, env, self._settings(), uid, self._withheld(folder))
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return await super()._async_launch_kernel(cmd, **kw)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            _kernel_cpu[0] += _tree_cpu(process.pid)
        await super().shutdown_kernel(now=now, restart=restart)

    def _withheld(self, folder: str) -> dict[str, str]:
        """{relative path: the copy without hidden expected outputs} of the withheld files."""
        if self._private_dir is None:
            self._private_dir = tempfile.mkdtemp(prefix="kit-withheld-")
        replaced = {}
        for number, relative in enumerate(self.withhold):
            source = Path(folder) / relative
            if source.is_file():
                copy = Path(self._private_dir) / f"{number}.npz"
                write_withheld(source, copy)
                copy.chmod(0o644)
                replaced[relative] = str(copy)
        return replaced

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            for attr in ("_ipc_dir", "_private_dir"):
                if getattr(self, attr) is not None:
                    shutil.rmtree(getattr(self, attr), ignore_errors=True)
                    setattr(self, attr, None)
