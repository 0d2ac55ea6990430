"""Resource budgets end to end (issue 8): a request far beyond the memory or pixel budget is refused with a clear
error before any work — the kernel process stays alive, small, and keeps the session's names; budgets set at
start-up through the environment are in force."""

from __future__ import annotations

import os

import pytest

from kernelclient import execute, running_kernel

HINT = "raise it with limits(memory=…) or the FOVEA_MEMORY_LIMIT environment variable"


def _rss_mb(km) -> float:
    """The kernel's resident memory (VmRSS in /proc), in MB."""
    with open(f"/proc/{km.provisioner.process.pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.timeout(120)
def test_huge_allocation_is_refused_and_the_kernel_keeps_its_state():
    with running_kernel() as (km, kc):
        assert execute(kc, "row = tensor([[1] * 100000])\ncol = tensor([[1]] * 100000)\nkept = 41").status == "ok"
        before = _rss_mb(km)
        # 10^10 floats = 37.3 GB: over any default budget (at most 8 GB).
        run = execute(kc, "both = row + col")
        assert run.status == "error"
        assert run.error["ename"] == "ValueError"
        assert run.error["evalue"].startswith("a tensor + result of shape [100000, 100000] needs 37.3 GB, more than the memory budget of ")
        assert run.error["evalue"].endswith(HINT)
        assert km.is_alive()
        assert _rss_mb(km) - before < 50, "the refused request must not have allocated"
        assert execute(kc, "kept + 1").result_text == "42"
        assert execute(kc, "row.shape").result_text == "[1, 100000]"
        assert execute(kc, "both").error["ename"] == "NameError"
        # Lowering the budget for the session refuses smaller requests too; raising it lets them through.
        run = execute(kc, 'limits(memory="1MB")\nsmall = row * col[0:10]')
        assert run.error["ename"] == "ValueError" and "more than the memory budget of 1 MB" in run.error["evalue"]
        assert execute(kc, 'limits(memory="64MB")\nsmall = row * col[0:10]\nsmall.shape').result_text == "[10, 100000]"


@pytest.mark.timeout(120)
def test_budgets_from_the_environment_at_start_up():
    env = dict(os.environ, FOVEA_MEMORY_LIMIT="256MB", FOVEA_PIXEL_LIMIT="5000", FOVEA_TSNE_POINTS_LIMIT="100")
    with running_kernel(start={"env": env}) as (km, kc):
        assert execute(kc, "limits().memory").result_text == str(256 * 2**20)
        assert execute(kc, "limits().pixels").result_text == "5000"
        assert execute(kc, "limits().tsne_points").result_text == "100"
        run = execute(kc, 'image("sample:chelsea")')
        assert run.error["ename"] == "FileError"
        assert "more than the pixel budget of 5,000 pixels" in run.error["evalue"]
        assert km.is_alive()
