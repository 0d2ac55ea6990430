"""Soak (issue 8): 10,000 executions mixing cheap cells, errors, image displays and interrupts.

After a warm-up, the kernel's resident memory may grow by less than 20 MB, its open file descriptors not
at all, and the median round trip of the cheap cells at the end must be within 20 % of the one at the start.
SOAK_CELLS scales the run (default 10,000); the figures are printed (pytest -s) and recorded.
"""

from __future__ import annotations

import os
import random
import statistics
import time

import pytest

from kernelclient import execute, running_kernel

CELLS = int(os.environ.get("SOAK_CELLS", "10000"))
WARMUP = 500
WINDOW = 1000


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _wait_idle(kc, msg_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" and m["parent_header"].get("msg_id") == msg_id:
            return


@pytest.mark.timeout(600)
def test_soak(record_property):
    rng = random.Random(11)
    with running_kernel("fovea-message") as (km, kc):
        pid = km.provisioner.process.pid
        execute(kc, 'small = image("sample:camera", size=32)\nn = 0')
        cheap_times: list[tuple[int, float]] = []
        kinds = {"cheap": 0, "error": 0, "image": 0, "interrupt": 0}
        rss0 = fds0 = None
        t_start = time.monotonic()
        for i in range(CELLS):
            if i == WARMUP:
                rss0, fds0 = _rss_mb(pid), _fds(pid)
            r = rng.random()
            if r < 0.90:
                kind, code = "cheap", rng.choice(["n = n + 1", "1 + 2 * 3", "x = [n, n, n]", "n;"])
            elif r < 0.95:
                kind, code = "error", rng.choice(["no_such_name", "1 +", "sleep(-1)", "[1, 2][5]"])
            elif r < 0.99:
                kind, code = "image", rng.choice(["show(small)", "small", "grid([small, small], cols=2)"])
            else:
                kind, code = "interrupt", "sleep(30)"
            kinds[kind] += 1
            t0 = time.perf_counter()
            msg_id = kc.execute(code, stop_on_error=False)
            if kind == "interrupt":
                time.sleep(0.05)
                msg = kc.session.msg("interrupt_request", {})
                kc.control_channel.send(msg)
            _wait_idle(kc, msg_id)
            elapsed = time.perf_counter() - t0
            reply = kc.get_shell_msg(timeout=30)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=30)
            if kind == "cheap":
                assert reply["content"]["status"] == "ok", reply["content"]
                cheap_times.append((i, elapsed))
            elif kind in ("error", "interrupt"):
                assert reply["content"]["status"] == "error", reply["content"]
            # Drain control replies so they don't pile up.
            while True:
                try:
                    kc.get_control_msg(timeout=0)
                except Exception:
                    break
        total_s = time.monotonic() - t_start
        rss1, fds1 = _rss_mb(pid), _fds(pid)
        assert execute(kc, "n > 0").result_text in ("True", "true")

    early = statistics.median(t for i, t in cheap_times if WARMUP <= i < WARMUP + WINDOW)
    late = statistics.median(t for i, t in cheap_times if i >= CELLS - WINDOW)
    figures = {"cells": CELLS, "seconds": round(total_s, 1), **kinds, "rss_after_warmup_mb": round(rss0, 1),
               "rss_end_mb": round(rss1, 1), "fds_after_warmup": fds0, "fds_end": fds1,
               "median_rtt_early_ms": round(early * 1e3, 2), "median_rtt_late_ms": round(late * 1e3, 2)}
    record_property("soak", figures)
    print("\nsoak:", figures)
    assert rss1 - rss0 < 20, f"resident memory grew by {rss1 - rss0:.1f} MB"
    assert fds1 <= fds0, f"file descriptors grew from {fds0} to {fds1}"
    assert late <= early * 1.2, f"median round trip went from {early * 1e3:.2f} ms to {late * 1e3:.2f} ms"
