"""Kernel latency, Fovea side by side with ipykernel, through jupyter_client as a front end sees it.

start-up   time from KernelManager.start_kernel() to the first kernel_info_reply, resending kernel_info every
           50 ms (not wait_for_ready, whose fixed 0.2 s IOPub flush would hide the kernel's own time)
round trip one trivial execute_request until its `status: idle` on IOPub, median and p95 after a warm-up

    .venv-test/bin/python bench/kernel_latency/bench.py            # fovea vs python3 (ipykernel)
    .venv-test/bin/python bench/kernel_latency/bench.py --runs 500 --starts 10 --json out/latency.json

Goal (issue 3): start-up <= 0.4x and round trip <= 0.2x ipykernel's on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from queue import Empty

from jupyter_client.manager import KernelManager

# Kernels' own logs (ipykernel complains about the extra kernel_info requests it is still answering when it
# is shut down) would drown the table.
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}

# A cell that does nothing visible in each language.
TRIVIAL = {"fovea": "1;", "python3": "pass", "null-floor": ""}


def install_floor_kernelspec() -> None:
    """A temporary kernelspec `null-floor` for null_kernel.py, added to JUPYTER_PATH."""
    import tempfile

    root = tempfile.mkdtemp(prefix="fovea-bench-")
    folder = os.path.join(root, "kernels", "null-floor")
    os.makedirs(folder)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "null_kernel.py")
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump({"argv": [sys.executable, script, "-f", "{connection_file}"], "display_name": "null",
                   "language": "null"}, f)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [root, os.environ.get("JUPYTER_PATH")]))


@dataclass
class Figures:
    kernel: str
    startup_median_s: float
    startup_all_s: list[float]
    rtt_median_ms: float
    rtt_p95_ms: float
    runs: int


def startup_once(kernel_name: str) -> float:
    km = KernelManager(kernel_name=kernel_name)
    t0 = time.perf_counter()
    km.start_kernel(**QUIET)
    kc = km.client()
    kc.start_channels()
    try:
        next_send = t0
        while True:
            now = time.perf_counter()
            if now >= next_send:
                kc.kernel_info()
                next_send = now + 0.05
            try:
                msg = kc.get_shell_msg(timeout=max(0.001, next_send - time.perf_counter()))
            except Empty:
                if now - t0 > 60:
                    raise RuntimeError(f"{kernel_name}: no kernel_info_reply within 60 s") from None
                continue
            if msg["msg_type"] == "kernel_info_reply":
                return time.perf_counter() - t0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def round_trips(kernel_name: str, code: str, runs: int, warmup: int) -> list[float]:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(**QUIET)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        times = []
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            msg_id = kc.execute(code)
            while True:
                msg = kc.get_iopub_msg(timeout=30)
                if (
                    msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                    and msg["parent_header"].get("msg_id") == msg_id
                ):
                    break
            elapsed = time.perf_counter() - t0
            reply = kc.get_shell_msg(timeout=30)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{kernel_name}: {code!r} failed: {reply['content']}")
            if i >= warmup:
                times.append(elapsed)
        return times
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def measure(kernel_name: str, starts: int, runs: int, warmup: int) -> Figures:
    code = TRIVIAL.get(kernel_name, TRIVIAL["fovea"] if "fovea" in kernel_name else "pass")
    startups = [startup_once(kernel_name) for _ in range(starts)]
    rtts = sorted(round_trips(kernel_name, code, runs, warmup))
    p95 = rtts[min(len(rtts) - 1, int(round(0.95 * (len(rtts) - 1))))]
    return Figures(kernel_name, statistics.median(startups), startups, statistics.median(rtts) * 1e3, p95 * 1e3, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", default="fovea")
    parser.add_argument("--reference", default="python3", help="the ipykernel kernelspec")
    parser.add_argument("--starts", type=int, default=5, help="start-ups per kernel (median reported)")
    parser.add_argument("--runs", type=int, default=200, help="timed executes per kernel")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--no-floor", action="store_true", help="skip the do-nothing pyzmq kernel (client floor)")
    args = parser.parse_args()

    ours = measure(args.kernel, args.starts, args.runs, args.warmup)
    ref = measure(args.reference, args.starts, args.runs, args.warmup)
    floor = None
    if not args.no_floor:
        install_floor_kernelspec()
        floor = measure("null-floor", args.starts, args.runs, args.warmup)

    rows = [
        ("start-up (median of %d)" % args.starts, f"{ours.startup_median_s:.3f} s", f"{ref.startup_median_s:.3f} s",
         ours.startup_median_s / ref.startup_median_s, 0.4, floor and f"{floor.startup_median_s:.3f} s"),
        ("round trip median", f"{ours.rtt_median_ms:.2f} ms", f"{ref.rtt_median_ms:.2f} ms",
         ours.rtt_median_ms / ref.rtt_median_ms, 0.2, floor and f"{floor.rtt_median_ms:.2f} ms"),
        ("round trip p95", f"{ours.rtt_p95_ms:.2f} ms", f"{ref.rtt_p95_ms:.2f} ms",
         ours.rtt_p95_ms / ref.rtt_p95_ms, None, floor and f"{floor.rtt_p95_ms:.2f} ms"),
    ]
    load = open("/proc/loadavg").read().split()[0] if sys.platform == "linux" else "?"
    print(f"\nload average {load} on {os.cpu_count()} cores (figures on a busy machine are inflated)")
    print(f"{'measure':<26}{args.kernel:>12}{args.reference + ' (ipykernel)':>22}{'ratio':>9}{'goal':>8}"
          f"{'client floor':>15}")
    for name, a, b, ratio, goal, fl in rows:
        goal_text = f"<={goal}x" if goal else ""
        print(f"{name:<26}{a:>12}{b:>22}{ratio:>8.2f}x{goal_text:>8}{fl or '-':>15}")
    print(f"({args.runs} timed executes after {args.warmup} warm-up; start-ups: "
          f"{', '.join(f'{s:.3f}' for s in ours.startup_all_s)} s vs {', '.join(f'{s:.3f}' for s in ref.startup_all_s)} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kernel": asdict(ours), "reference": asdict(ref), "floor": floor and asdict(floor)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
