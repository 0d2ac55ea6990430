"""A JupyterLab server for one test: a free port on 127.0.0.1, a random token, a scratch root directory, its own
config/runtime/workspace folders (so the user's JupyterLab settings and open tabs never leak in), and the
`fovea` kernelspec Jupyter finds from the environment (JUPYTER_PATH / JUPYTER_PREFER_ENV_PATH, as
./scripts/test sets them). Its log goes to a file that failing tests print."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.root = workdir / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab?token={self.token}"

    def start(self, timeout: float = 120) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        env = os.environ.copy()
        for name, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                          ("XDG_DATA_HOME", "xdg-data")]:
            env[name] = str(self.workdir / sub)  # XDG_DATA_HOME: the kernel's history file goes here too
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",  # CI runs as root
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            f"--LabApp.user_settings_dir={self._settings_dir()}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        status = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(status, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_text()}")

    def _settings_dir(self) -> Path:
        """User settings with the news toast off (it would cover part of the screenshot)."""
        folder = self.workdir / "settings" / "@jupyterlab" / "apputils-extension"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        return self.workdir / "settings"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernelspecs(self) -> dict:
        """What the server itself lists (the launcher shows these)."""
        return self.api("kernelspecs")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Shuts the kernels down, then the server (SIGINT twice: jupyter_server stops without asking)."""
        if self.process and self.process.poll() is None:
            # Kernels first, through the REST API (a kernel lives in its own process group, and SIGINT only
            # interrupts it), then the server.
            try:
                for kernel in self.api("kernels"):
                    self.api(f"kernels/{kernel['id']}", method="DELETE")
            except (urllib.error.URLError, OSError, ValueError) as error:
                print(f"could not shut the kernels down: {error}")
            for sig in (signal.SIGINT, signal.SIGINT):
                self.process.send_signal(sig)
                time.sleep(0.3)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
