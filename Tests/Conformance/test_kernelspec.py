"""`fovea-kernel install`: the kernelspec it writes, and that Jupyter finds it where each flag says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from jupyter_client.kernelspec import KernelSpecManager


@pytest.fixture(scope="module")
def binary(pytestconfig) -> Path:
    argv = json.loads((Path(pytestconfig.fovea_spec_dir) / "kernel.json").read_text())["argv"]
    return Path(argv[0])


def _install(binary: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(binary), "install", *args], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, f"install {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _check_spec(folder: Path, binary: Path) -> None:
    spec = json.loads((folder / "kernel.json").read_text())
    argv = spec["argv"]
    assert Path(argv[0]).is_absolute() and Path(argv[0]).resolve() == binary.resolve()
    assert argv[1:] == ["-f", "{connection_file}"]
    assert spec["language"] == "fovea"
    assert spec["display_name"]
    assert spec["interrupt_mode"] == "signal"
    for logo in ("logo-32x32.png", "logo-64x64.png"):
        data = (folder / logo).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", logo


def _kernelspecs_seen_by_jupyter(env: dict) -> dict:
    code = "import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(K().find_kernel_specs()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_install_prefix(binary, tmp_path):
    _install(binary, "--prefix", str(tmp_path / "p"))
    folder = tmp_path / "p" / "share" / "jupyter" / "kernels" / "fovea"
    _check_spec(folder, binary)
    spec = KernelSpecManager(kernel_dirs=[str(folder.parent)]).get_kernel_spec("fovea")
    assert spec.language == "fovea"


def test_install_user_is_found_by_jupyter(binary, tmp_path):
    # The user data dir is redirected with XDG_DATA_HOME (which jupyter_core honours too), so the test
    # never writes into the real user's ~/.local.
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_DATA_DIR", "JUPYTER_PATH")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["JUPYTER_PREFER_ENV_PATH"] = "0"  # the user's kernelspec wins over the test venv's, as outside a venv
    _install(binary, "--user", env=env)
    folder = tmp_path / "data" / "jupyter" / "kernels" / "fovea"
    _check_spec(folder, binary)
    assert Path(_kernelspecs_seen_by_jupyter(env)["fovea"]).resolve() == folder.resolve()


def test_install_sys_prefix_uses_the_active_environment(binary, tmp_path):
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    # What `pip install jupyter` leaves in a venv: a `jupyter` script whose #! names the venv's python.
    jupyter = env_dir / "bin" / "jupyter"
    jupyter.write_text(f"#!{env_dir / 'bin' / 'python'}\nimport sys\nsys.exit(0)\n")
    jupyter.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_PATH",)}
    env["VIRTUAL_ENV"] = str(env_dir)
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["HOME"] = str(tmp_path / "home")
    _install(binary, "--sys-prefix", env=env)
    _check_spec(env_dir / "share" / "jupyter" / "kernels" / "fovea", binary)
