"""Real servers and a real browser for the browser tests.

- ``JupyterServer``: ``jupyter lab`` (or ``jupyter server``) on 127.0.0.1, started in a folder with
  its own settings, stopped (with its kernels) at the end.
- ``Browser``: Debian's Chromium, headless, driven by Selenium through Debian's chromedriver
  (nothing is downloaded); ``shot(name)`` keeps a screenshot in build/screenshots/.

When Chromium or chromedriver is missing the tests fail with the command that installs them
(``make system-deps`` does it as root); they never skip.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from kit import paths

SCREENSHOTS = paths.BUILD / "screenshots"
INSTALL = "apt-get install -y chromium chromium-driver (or: make system-deps, as root)"

# JupyterLab settings for tests: every cell in the page (no windowed rendering), no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


class BrowserUnavailable(RuntimeError):
    """Chromium or its WebDriver is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """A Jupyter server on 127.0.0.1 serving `root` (started in `cwd`, default root); `app` is
    "lab" or "server". `url(path)` gives an address with the token."""

    def __init__(self, root: Path, app: str = "lab", cwd: Path | None = None,
                 env: dict | None = None, timeout: float = 90):
        self.root = Path(root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.home = Path(tempfile.mkdtemp(prefix="jupyter-home-"))
        settings = self.home / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        full_env = {**os.environ, **(env or {}),
                    "JUPYTER_CONFIG_DIR": str(self.home / "config"),
                    "JUPYTER_DATA_DIR": str(self.home / "data"),
                    "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
                    "JUPYTERLAB_SETTINGS_DIR": str(settings),
                    "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces")}
        self.log = self.home / "server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", app, "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", "--ServerApp.port_retries=0", "--allow-root",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}"],
            cwd=cwd or self.root, env=full_env, stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait(timeout)

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Jupyter server exited ({self.process.returncode}):\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Jupyter server did not answer within {timeout:g} s:\n"
                           + self.log.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        """Stop the server and everything it started (kernels), then remove its settings."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)   # kernels left in the group
        except ProcessLookupError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BrowserUnavailable(f"{name} is not installed; the browser tests need Debian's "
                                 f"chromium and chromium-driver: {INSTALL}")
    return path


class Browser:
    """Headless Chromium driven by Selenium; `driver` is the WebDriver."""

    def __init__(self, width: int = 1400, height: int = 1000):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = _program("chromium")
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
                     "--disable-background-networking", "--disable-component-update",
                     f"--window-size={width},{height}", f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options,
                                       service=Service(executable_path=_program("chromedriver")))

    def shot(self, name: str) -> Path:
        """Save a screenshot as build/screenshots/<name>.png; returns its path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)
