"""Fixtures that start the built Fovea kernel the way a new user's Jupyter would.

The suite looks the `fovea` kernelspec up through jupyter_client (so `./scripts/test`, which installs it into
`.venv-test`, is exercised exactly as JupyterLab would use it). When no `fovea` kernelspec is installed — or
`FOVEA_KERNEL` names a specific binary — it runs `fovea-kernel install --prefix <tmp>` and points
`JUPYTER_PATH` there. Kernelspec variants are copies of the real one with
one field changed (`fovea-message`: interrupt_mode "message"), in the same temporary folder.

The kernel's user data (history file, caches) goes to a fresh `XDG_DATA_HOME`, so every run starts as a new
user would; the real user's files are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]
_TMP = Path(tempfile.mkdtemp(prefix="fovea-conformance-"))
KERNEL_NAME = "fovea"


def _candidate_binaries() -> list[Path]:
    named = os.environ.get("FOVEA_KERNEL")
    if named:
        return [Path(named)]
    return [REPO / ".build" / "debug" / "fovea-kernel", REPO / ".build" / "release" / "fovea-kernel"]


def _installed_spec_dir() -> Path | None:
    """The `fovea` kernelspec jupyter_client would use now, if its binary exists."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    if not spec.argv or not Path(spec.argv[0]).is_file():
        return None
    return Path(spec.resource_dir)


def _install_into_tmp() -> Path:
    """Runs the kernel's own install command into a temporary prefix and returns the kernelspec folder."""
    binaries = [b for b in _candidate_binaries() if b.is_file()]
    if not binaries:
        pytest.exit(
            "no fovea-kernel binary: run `swift build` first (or set FOVEA_KERNEL=/path/to/fovea-kernel)",
            returncode=3,
        )
    binary = binaries[0].resolve()
    prefix = _TMP / "prefix"
    proc = subprocess.run(
        [str(binary), "install", "--prefix", str(prefix)], capture_output=True, text=True, timeout=60
    )
    spec_dir = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    if proc.returncode != 0 or not (spec_dir / "kernel.json").is_file():
        pytest.exit(
            f"`{binary} install --prefix {prefix}` failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}",
            returncode=3,
        )
    return spec_dir


def _write_variant(base: Path, name: str, change) -> None:
    """Copies the kernelspec folder `base` to `<tmp>/share/jupyter/kernels/<name>` with kernel.json changed."""
    target = _TMP / "variants" / "share" / "jupyter" / "kernels" / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    spec = json.loads((target / "kernel.json").read_text())
    change(spec)
    (target / "kernel.json").write_text(json.dumps(spec, indent=1))


def pytest_configure(config: pytest.Config) -> None:
    os.environ["XDG_DATA_HOME"] = str(_TMP / "xdg-data")
    os.environ["XDG_CACHE_HOME"] = os.environ.get("XDG_CACHE_HOME", str(_TMP / "xdg-cache"))
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

    spec_dir = None if os.environ.get("FOVEA_KERNEL") else _installed_spec_dir()
    if spec_dir is None:
        spec_dir = _install_into_tmp()
        paths = [str(spec_dir.parents[1])]
    else:
        paths = []

    def message_mode(spec: dict) -> None:
        spec["interrupt_mode"] = "message"
        spec["display_name"] = spec.get("display_name", "Fovea") + " (interrupt by message)"

    _write_variant(spec_dir, "fovea-message", message_mode)
    paths.append(str(_TMP / "variants" / "share" / "jupyter"))
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths + ([previous] if previous else []))
    config.fovea_spec_dir = spec_dir  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str:
    spec_dir = getattr(config, "fovea_spec_dir", None)
    if spec_dir is None:
        return "fovea kernelspec: none"
    argv = json.loads((Path(spec_dir) / "kernel.json").read_text()).get("argv", [])
    return f"fovea kernelspec: {spec_dir} -> {' '.join(argv)}"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)


class TestTimeout(Exception):
    """Raised inside a test that ran past its time bound (so a hung kernel fails a test instead of CI)."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    marker = item.get_closest_marker("timeout")
    seconds = marker.args[0] if marker else 120

    def expire(signum, frame):
        raise TestTimeout(f"{item.name} ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)

