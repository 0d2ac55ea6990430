"""Soak (issue 8): 10,000 executions mixing cheap cells, errors, image displays and interrupts.

After a warm-up, the kernel's resident memory may grow by less than 20 MB and its open file descriptors not
at all (counted once a descriptor opened for a moment has had up to 10 s to close; a leak stays). The same 1,000 cheap cells are timed before and after the mix, three times each: their median round
trip must stay within 20 %. Contention only ever adds time, so each side's figure is its best of the three
windows (one window each way swung by up to 40 % on a quiet CI machine with no growth behind it: a probe of
12,000 mixed cells showed 0.64–0.87 ms of kernel CPU per cell, in no order). Wall-clock round trips on a shared 2-core machine swing several-fold with other processes'
load, so that bound is asserted only when the machine is quiet (load average below the core count); the
kernel's own CPU time per cheap cell (from /proc, far less load-dependent) is asserted always: within 20 %
on a quiet machine, 50 % on a busy one.
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
WINDOWS = 3


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _fd_kinds(pid: int) -> dict:
    """Open descriptors by kind (socket, pipe, anon_inode:[eventfd], a path…), for the failure message."""
    kinds: dict = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        kind = target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _settled_fds(pid: int, baseline: int, seconds: float = 10.0) -> int:
    """The descriptor count once transient ones have closed: a leak stays, while a descriptor a runtime opens for a
    moment under load (one more than the baseline appeared once in CI at load 7.7, never on reruns) goes."""
    deadline = time.monotonic() + seconds
    count = _fds(pid)
    while count > baseline and time.monotonic() < deadline:
        time.sleep(0.2)
        count = _fds(pid)
    return count


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cheap_window(kc, pid: int) -> tuple[float, float]:
    """Runs WINDOW cheap cells; returns (median round trip, kernel CPU seconds per cell)."""
    times = []
    cpu0 = _cpu_seconds(pid)
    for i in range(WINDOW):
        t0 = time.perf_counter()
        msg_id = kc.execute("n = n + 1" if i % 2 else "1 + 2 * 3")
        _wait_idle(kc, msg_id)
        times.append(time.perf_counter() - t0)
        kc.get_shell_msg(timeout=30)
    return statistics.median(times), (_cpu_seconds(pid) - cpu0) / WINDOW


def _best_window(kc, pid: int) -> tuple[float, float]:
    """The best (lowest) median round trip and CPU per cell of WINDOWS cheap windows."""
    runs = [_cheap_window(kc, pid) for _ in range(WINDOWS)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


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
        kinds = {"cheap": 0, "error": 0, "image": 0, "interrupt": 0}
        for _ in range(WARMUP):
            _wait_idle(kc, kc.execute("n = n + 1"))
            kc.get_shell_msg(timeout=30)
        rss0, fds0 = _rss_mb(pid), _fds(pid)
        early_rtt, early_cpu = _best_window(kc, pid)
        load_early = os.getloadavg()[0]
        t_start = time.monotonic()
        for i in range(CELLS):
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
            msg_id = kc.execute(code, stop_on_error=False)
            if kind == "interrupt":
                time.sleep(0.05)
                kc.control_channel.send(kc.session.msg("interrupt_request", {}))
            _wait_idle(kc, msg_id)
            reply = kc.get_shell_msg(timeout=30)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=30)
            expected = "ok" if kind in ("cheap", "image") else "error"
            assert reply["content"]["status"] == expected, (code, reply["content"])
            while True:  # control replies to the interrupts
                try:
                    kc.get_control_msg(timeout=0)
                except Exception:
                    break
        total_s = time.monotonic() - t_start
        late_rtt, late_cpu = _best_window(kc, pid)
        load_late = os.getloadavg()[0]
        rss1, fds1 = _rss_mb(pid), _settled_fds(pid, fds0)
        fd_kinds = _fd_kinds(pid)
        assert execute(kc, "n > 0").result_text in ("True", "true")

    figures = {"cells": CELLS, "seconds": round(total_s, 1), **kinds, "rss_after_warmup_mb": round(rss0, 1),
               "rss_end_mb": round(rss1, 1), "fds_after_warmup": fds0, "fds_end": fds1,
               "median_rtt_before_ms": round(early_rtt * 1e3, 2), "median_rtt_after_ms": round(late_rtt * 1e3, 2),
               "cpu_per_cell_before_ms": round(early_cpu * 1e3, 3), "cpu_per_cell_after_ms": round(late_cpu * 1e3, 3),
               "load": [round(load_early, 1), round(load_late, 1)]}
    record_property("soak", figures)
    print("\nsoak:", figures)
    assert rss1 - rss0 < 20, f"resident memory grew by {rss1 - rss0:.1f} MB"
    assert fds1 <= fds0, f"file descriptors grew from {fds0} to {fds1} (open now: {fd_kinds})"
    quiet = max(load_early, load_late) < (os.cpu_count() or 1)
    # 10 ms clock ticks over 1,000 cells: 0.02 ms per cell of slack for the tick granularity. CPU time too is
    # inflated by contention (caches, migrations), by up to ~25 % seen here at load 20 on 2 cores.
    tolerance = 1.2 if quiet else 1.5
    assert late_cpu <= early_cpu * tolerance + 0.02e-3, f"kernel CPU per cell went from {early_cpu * 1e3:.3f} to {late_cpu * 1e3:.3f} ms"
    if quiet:
        assert late_rtt <= early_rtt * 1.2, f"median round trip went from {early_rtt * 1e3:.2f} to {late_rtt * 1e3:.2f} ms"
    else:
        print(f"soak: machine busy (load {load_early:.1f}/{load_late:.1f}): round-trip bound not asserted")
