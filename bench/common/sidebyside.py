"""Shared driver for the side-by-side benchmarks (bench/engine, bench/synthesis): Fovea through its real
kernel (jupyter_client, a cell timed from execute_request to `status: idle`), PyTorch in a worker process
(bench/common/torch_worker.py), measured alternately so that load on the machine hits both sides alike,
and the peak resident memory of each process per workload (VmHWM, reset through /proc/PID/clear_refs).

Runs in a Python with jupyter_client (/work/venv); torch is only imported by the worker (/work/torchenv).
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from jupyter_client.manager import KernelManager

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_worker.py")


def reset_peak(pid: int) -> None:
    """Sets the process's VmHWM back to its current RSS (Linux ≥ 4.0; same user)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def peak_mb(pid: int) -> float:
    return status_kb(pid, "VmHWM") / 1024


def rss_mb(pid: int) -> float:
    return status_kb(pid, "VmRSS") / 1024


class FoveaKernel:
    """The fovea-kernel binary started by jupyter_client through a temporary kernelspec, with OpenBLAS told to
    use `threads` threads and to name the core it picked (OPENBLAS_VERBOSE=2 prints `Core: …` to stderr)."""

    def __init__(self, binary: str, cwd: str, threads: int, passive: bool = False):
        if not os.access(binary, os.X_OK):
            sys.exit(f"no kernel binary at {binary}: swift build -c release --product fovea-kernel")
        root = tempfile.mkdtemp(prefix="fovea-bench-spec-")
        folder = os.path.join(root, "kernels", "fovea-bench")
        os.makedirs(folder)
        env = {"OPENBLAS_NUM_THREADS": str(threads), "OPENBLAS_VERBOSE": "2"}
        if passive:
            # OpenBLAS's idle threads spin on sched_yield for 2^28 cycles before sleeping; on a loaded machine
            # that was half of the kernel's CPU time. 2^4 makes them sleep at once (PyTorch's side: OMP PASSIVE).
            env["OPENBLAS_THREAD_TIMEOUT"] = "4"
        self.passive = passive
        with open(os.path.join(folder, "kernel.json"), "w") as f:
            json.dump({"argv": [os.path.abspath(binary), "-f", "{connection_file}"], "display_name": "fovea bench",
                       "language": "fovea", "env": env}, f)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [root, os.environ.get("JUPYTER_PATH")]))
        self.stderr_path = os.path.join(root, "stderr.txt")
        self._stderr = open(self.stderr_path, "w")
        self.km = KernelManager(kernel_name="fovea-bench")
        self.km.start_kernel(cwd=cwd, stderr=self._stderr, stdout=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.pid = self.km.provisioner.process.pid

    def run(self, code: str, timeout: float = 3600) -> float:
        """Seconds from execute_request to `status: idle`; raises with the kernel's message on an error."""
        start = time.perf_counter()
        msg_id = self.kc.execute(code)
        error = None
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                error = f'{msg["content"]["ename"]}: {msg["content"]["evalue"]}'
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        elapsed = time.perf_counter() - start
        if error:
            raise RuntimeError(f"fovea cell {code!r} failed: {error}")
        return elapsed

    def blas_core(self) -> str:
        self._stderr.flush()
        with open(self.stderr_path) as f:
            cores = re.findall(r"Core: (\S+)", f.read())
        return cores[0] if cores else "unknown (OPENBLAS_VERBOSE gave nothing)"

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


class TorchWorker:
    """bench/common/torch_worker.py running `workloads` in the torch Python."""

    def __init__(self, python: str, workloads: str, threads: int, config: dict, passive: bool = False):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        if passive:
            # On a loaded machine OpenMP's spinning threads fight for the cores: 2 threads then run ~10× slower
            # than 1. PASSIVE makes them sleep; on an idle machine leave the default, which users get.
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        self.proc = subprocess.Popen([python, WORKER, workloads, "--threads", str(threads), "--config", json.dumps(config)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.info = self._read()
        self.info["omp_wait_policy"] = env.get("OMP_WAIT_POLICY", "default")
        self.pid = self.proc.pid

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"the torch worker stopped (exit {self.proc.wait()}); see its messages above")
        return json.loads(line)

    def run(self, name: str) -> float:
        self.proc.stdin.write(json.dumps({"run": name}) + "\n")
        self.proc.stdin.flush()
        return self._read()["seconds"]

    def close(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=60)


@dataclass
class Workload:
    """One row of the table. `ours(kernel)` and `theirs(worker)` return seconds for one repetition (they may
    run several cells and combine them); `scale` divides both (e.g. per step); `warmup` runs before timing."""
    name: str
    ours: object
    theirs: object
    repeats: int = 5
    warmup: object = None  # (ours, theirs) callables, default: one run of each
    unit: str = "s"
    scale: float = 1.0


@dataclass
class Row:
    name: str
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    ours_peak_mb: float = 0.0
    theirs_peak_mb: float = 0.0
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.theirs)


def measure(workload: Workload, kernel: FoveaKernel, worker: TorchWorker, log=print) -> Row:
    """Warm-up, then `repeats` alternating runs (ours, theirs); peak memory of each process over the workload."""
    row = Row(workload.name, unit=workload.unit)
    reset_peak(kernel.pid)
    reset_peak(worker.pid)
    if workload.warmup:
        workload.warmup[0](kernel)
        workload.warmup[1](worker)
    else:
        workload.ours(kernel)
        workload.theirs(worker)
    for i in range(workload.repeats):
        row.ours.append(workload.ours(kernel) / workload.scale)
        row.theirs.append(workload.theirs(worker) / workload.scale)
        log(f"  {workload.name} #{i + 1}: fovea {row.ours[-1]:.4f}  torch {row.theirs[-1]:.4f} {workload.unit}")
    row.ours_peak_mb = peak_mb(kernel.pid)
    row.theirs_peak_mb = peak_mb(worker.pid)
    return row


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def report(title: str, rows: list[Row], kernel: FoveaKernel, worker: TorchWorker, threads: int, floor_ms: float,
           goal: float, notes: list[str] = ()) -> str:
    """The table every side-by-side bench prints (and its README quotes)."""
    info = worker.info
    lines = [title,
             f"load average {load_average()} on {os.cpu_count()} cores; Fovea: OpenBLAS core {kernel.blas_core()}, "
             f"threads {threads}, OPENBLAS_THREAD_TIMEOUT {'4' if kernel.passive else 'default'}; "
             f"PyTorch {info['torch']} CPU ({info['capability']}, mkldnn {info['mkldnn']}), threads {info['threads']}, "
             f"OMP_WAIT_POLICY {info['omp_wait_policy']}",
             f"times: median of the repeats after a warm-up (Fovea: execute_request → idle through jupyter_client; "
             f"a trivial cell's round trip is {floor_ms:.2f} ms); peak: VmHWM of each process during the workload",
             "",
             f"{'workload':<40}{'Fovea':>14}{'PyTorch':>14}{'ratio':>8}{'goal':>7}{'Fovea peak':>12}{'torch peak':>12}{'ratio':>7}"]
    for r in rows:
        om, tm = statistics.median(r.ours), statistics.median(r.theirs)
        suffix = r.unit[1:]  # "s/step" → "/step"
        fmt = (lambda v: f"{v * 1e3:.1f} ms{suffix}") if tm < 1 else (lambda v: f"{v:.2f} s{suffix}")
        lines.append(f"{r.name:<40}{fmt(om):>14}{fmt(tm):>14}{r.ratio:>7.2f}x{'≤' + str(goal):>7}"
                     f"{r.ours_peak_mb:>9.0f} MB{r.theirs_peak_mb:>9.0f} MB{r.ours_peak_mb / r.theirs_peak_mb:>6.2f}x")
    lines += [""] + list(notes)
    return "\n".join(lines)


def save_json(path: str, rows: list[Row], extra: dict) -> None:
    with open(path, "w") as f:
        json.dump({"rows": [asdict(r) | {"ratio": r.ratio} for r in rows], **extra}, f, indent=1)


def publish(title: str, rows: list[Row], kernel: FoveaKernel, worker: TorchWorker, threads: int, floor_ms: float,
            goal: float, notes: list[str], json_path: str | None, extra: dict) -> None:
    """Prints the table and, when asked, saves the figures with the run's conditions (load, BLAS core, torch)."""
    print(report(title, rows, kernel, worker, threads, floor_ms, goal, notes))
    if json_path:
        save_json(json_path, rows, {"load_average": load_average(), "blas_core": kernel.blas_core(),
                                    "torch": worker.info, "round_trip_ms": floor_ms, **extra})
