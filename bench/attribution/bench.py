"""Attribution speed, Fovea side by side with Captum (PyTorch CPU) on the same machine and model.

Model: torchvision squeezenet1_1 with seeded random weights, exported to ONNX (the same file both sides use),
one 224×224 input. Methods: occlusion (window 32, stride 16), vanilla saliency, guided backprop, Grad-CAM,
integrated gradients (50 steps). Fovea is timed as a notebook user sees it: a cell sent with jupyter_client
to a fovea kernel, from execute_request to `status: idle` (the result suppressed with `;`, so the
figure is built but not encoded); Captum as `attribute()` on the torch model. Also the display path: a cell
that shows an 8×8 grid of 14×14 activation maps, against the same grid drawn by matplotlib inline in ipykernel.

    /work/venv/bin/python bench/attribution/bench.py [--kernel PATH] [--methods occlusion,saliency] [--no-display]
                                                     [--rounds N]

The harness needs jupyter_client and a `python3` kernel with matplotlib (/work/venv); the torch side (export,
Captum timings) runs in a second interpreter with torch, torchvision, captum, onnx (`FOVEA_TORCH_PYTHON`,
default /work/torchenv/bin/python), called as `bench.py --torch WORKDIR`. The Fovea kernel is
`--kernel PATH` (default: this checkout's .build-release fovea-kernel if built, else the installed `fovea`
kernelspec). Build it with `swift build -c release --build-path .build-release --product fovea-kernel`.
Goals (issue 5): each method ≤ 0.5× Captum's time; the display cell ≤ 0.1× matplotlib's.
Besides wall time, each row gives the CPU seconds of the best run (the kernel process's user + system time from
/proc, torch's `time.process_time()`), which a loaded machine disturbs less than wall time.
Each round times Captum, then Fovea (best of REPEATS after a warm-up each); with several rounds (`--rounds`, default 3)
a last table gives every method's ratio per round and their median: on a shared host either side's times move by up
to 1.8× between minutes, and a ratio is only as good as the two times it pairs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPEATS = 5
METHODS = ["occlusion 32/16", "saliency", "guided backprop", "grad-cam", "integrated (50)"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def openblas_core():
    try:
        from threadpoolctl import threadpool_info
        return ", ".join(f"{i.get('internal_api')} {i.get('architecture')}" for i in threadpool_info())
    except Exception:
        return f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"


def process_cpu(pid):
    """User + system CPU seconds of a process, all threads (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def run_cell(kc, code, timeout=600, pid=None):
    """Wall seconds from execute_request to idle, and (with `pid`) the kernel's CPU seconds over that time."""
    cpu = process_cpu(pid) if pid else float("nan")
    start = time.perf_counter()
    msg_id = kc.execute(code)
    error = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            error = msg["content"]["evalue"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    if error:
        raise RuntimeError(f"{code!r}: {error}")
    wall = time.perf_counter() - start
    return (wall, process_cpu(pid) - cpu) if pid else wall


def best(f):
    """The fastest of REPEATS runs after a warm-up: (wall, cpu) of the run with the least wall time."""
    f()  # warm-up
    return min(f() for _ in range(REPEATS))


def torch_side(work, methods):
    """Exports the models and times Captum; writes WORKDIR/torch.json (target, timings, versions)."""
    import numpy as np
    import torch
    import torchvision
    from captum.attr import GuidedBackprop, IntegratedGradients, LayerGradCam, Occlusion, Saliency
    torch.set_num_threads(2)
    torch.manual_seed(0)
    net = torchvision.models.squeezenet1_1(weights=None).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(net, x, os.path.join(work, "squeezenet1_1.onnx"), dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    np.save(os.path.join(work, "x.npy"), x.numpy())
    target = int(net(x).argmax())
    small = torch.nn.Sequential(torch.nn.Conv2d(1, 64, 3, padding=1)).eval()
    y = torch.randn(1, 1, 14, 14, generator=torch.Generator().manual_seed(2))
    torch.onnx.export(small, y, os.path.join(work, "maps.onnx"), dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["maps"])
    np.save(os.path.join(work, "y.npy"), y.numpy())

    def timed(f):
        def run():
            t, c = time.perf_counter(), time.process_time()
            f()
            return time.perf_counter() - t, time.process_time() - c
        return run

    captum = {
        "occlusion 32/16": timed(lambda: Occlusion(net).attribute(x, sliding_window_shapes=(3, 32, 32), strides=(3, 16, 16),
                                                                  target=target, perturbations_per_eval=16)),
        "saliency": timed(lambda: Saliency(net).attribute(x, target=target)),
        "guided backprop": timed(lambda: GuidedBackprop(net).attribute(x, target=target)),
        "grad-cam": timed(lambda: LayerGradCam(net, net.features[12]).attribute(x, target=target, relu_attributions=True)),
        "integrated (50)": timed(lambda: IntegratedGradients(net).attribute(x, target=target, n_steps=50,
                                                                           method="riemann_trapezoid", internal_batch_size=25)),
    }
    times = {name: best(f) for name, f in captum.items() if name in methods}
    with open(os.path.join(work, "torch.json"), "w") as f:
        json.dump({"target": target, "times": times, "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "blas": openblas_core()}, f)


def kernel_spec(work, kernel):
    """A kernelspec named fovea-bench in WORKDIR for the given binary (JUPYTER_PATH points there)."""
    spec = os.path.join(work, "kernels", "fovea-bench")
    os.makedirs(spec, exist_ok=True)
    with open(os.path.join(spec, "kernel.json"), "w") as f:
        json.dump({"argv": [kernel, "-f", "{connection_file}"], "display_name": "Fovea (bench)", "language": "fovea",
                   "interrupt_mode": "signal"}, f)
    os.environ["JUPYTER_PATH"] = work + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    return "fovea-bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch", metavar="WORKDIR", help="internal: run the torch side in WORKDIR")
    parser.add_argument("--kernel", help="fovea-kernel binary (default: .build-release, else the installed kernelspec)")
    parser.add_argument("--methods", help="comma-separated prefixes of the methods to time (default: all)")
    parser.add_argument("--no-display", action="store_true", help="skip the display-path comparison")
    parser.add_argument("--rounds", type=int, default=3, help="times to repeat the whole comparison (default 3)")
    args = parser.parse_args()
    methods = [m for m in METHODS if not args.methods or any(m.startswith(p.strip()) for p in args.methods.split(","))]
    if args.torch:
        return torch_side(args.torch, methods)
    from jupyter_client.manager import KernelManager
    work = tempfile.mkdtemp(prefix="fovea-bench-attr-")
    torch_python = os.environ.get("FOVEA_TORCH_PYTHON", "/work/torchenv/bin/python")
    built = os.path.join(ROOT, ".build-release", "release", "fovea-kernel")
    kernel = args.kernel or (built if os.path.exists(built) else None)
    kernel_name = kernel_spec(work, os.path.abspath(kernel)) if kernel else "fovea"
    km = kc = pid = None
    rounds = []
    for _ in range(args.rounds):
        subprocess.run([torch_python, os.path.abspath(__file__), "--torch", work]
                       + (["--methods", args.methods] if args.methods else []), check=True)
        with open(os.path.join(work, "torch.json")) as f:
            theirs = json.load(f)
        target = theirs["target"]
        fovea_cells = {
            "occlusion 32/16": f"occlusion(net, x, target={target}, patch=32, stride=16, fill=0, score=\"logit\", batch=16);",
            "saliency": f"saliency(net, x, target={target});",
            "guided backprop": f"saliency(net, x, target={target}, method=\"guided\");",
            "grad-cam": f"gradcam(net, x, target={target}, layer=\"features.12\");",
            "integrated (50)": f"saliency(net, x, target={target}, method=\"integrated\", steps=50);",
        }
        if km is None:
            km = KernelManager(kernel_name=kernel_name)
            km.start_kernel(cwd=work)
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            pid = getattr(getattr(km.provisioner, "process", None), "pid", None) or getattr(getattr(km, "kernel", None), "pid", None)
            run_cell(kc, 'net = model("squeezenet1_1.onnx")\nx = load("x.npy")')
        rows = [(name, best(lambda: run_cell(kc, fovea_cells[name], pid=pid)), theirs["times"][name]) for name in methods]
        report(theirs, kernel, rows)
        rounds.append(rows)
    if len(rounds) > 1:
        summarize(rounds)
    if args.no_display:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        return
    # Display path: an 8×8 grid of 14×14 activation maps, shown (PNG encoded and sent).
    run_cell(kc, 'small = model("maps.onnx")\ny = load("y.npy")')
    run_cell(kc, 'activations(small, y, small.layers[0])')  # warm-up
    ours_display = statistics.median(run_cell(kc, 'activations(small, y, small.layers[0])') for _ in range(7))
    kc.stop_channels()
    km.shutdown_kernel(now=True)

    py = KernelManager(kernel_name="python3")
    py.kernel_spec.argv[0] = sys.executable  # this interpreter's ipykernel and matplotlib
    py.start_kernel(cwd=work)
    pc = py.client()
    pc.start_channels()
    pc.wait_for_ready(timeout=60)
    run_cell(pc, "import numpy as np, matplotlib\n%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                 "maps = np.random.default_rng(0).standard_normal((64, 14, 14))")
    mpl = ("fig, axes = plt.subplots(8, 8, figsize=(8, 8))\n"
           "for ax, m in zip(axes.flat, maps):\n    ax.imshow(m, cmap='viridis'); ax.set_title(str(len(ax.images)), fontsize=6); ax.axis('off')\n"
           "plt.show()")
    run_cell(pc, mpl)  # warm-up
    theirs_display = statistics.median(run_cell(pc, mpl) for _ in range(7))
    pc.stop_channels()
    py.shutdown_kernel(now=True)
    print(f"{'display 8×8 maps':<18}{ours_display:>10.3f}{theirs_display:>10.3f}{ours_display / theirs_display:>8.2f}"
          "   (Fovea activations() vs matplotlib inline in ipykernel, execute → idle, median of 7)")


def fovea_gemm():
    """Which GEMM the kernel's convolutions use, by the engine's rule (`ConvProduct.ownIsEnabled`): its own AVX-512
    product where /proc/cpuinfo lists AVX-512 (F, CD, BW, DQ, VL) and FOVEA_ORDERED_GEMM is not 0, else OpenBLAS."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    blas = f"OpenBLAS (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})"
    own = all(f in flags for f in ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))
    if own and os.environ.get("FOVEA_ORDERED_GEMM") != "0":
        return f"convolutions on the engine's AVX-512 GEMM, other products on {blas}"
    return f"convolutions and other products on {blas}"


def report(theirs, kernel, rows):
    print(f"squeezenet1_1 224×224, batch 1; torch {theirs['torch']} threads {theirs['threads']}; BLAS: {theirs['blas']}")
    print(f"Fovea: {fovea_gemm()}")
    print(f"kernel: {kernel or 'installed fovea kernelspec'}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'method':<18}{'Fovea s':>10}{'Captum s':>10}{'ratio':>8}{'Fovea CPU s':>13}{'Captum CPU s':>14}{'CPU ratio':>11}")
    for name, (ours, ours_cpu), (theirs_t, theirs_cpu) in rows:
        print(f"{name:<18}{ours:>10.3f}{theirs_t:>10.3f}{ours / theirs_t:>8.2f}{ours_cpu:>13.3f}{theirs_cpu:>14.3f}"
              f"{ours_cpu / theirs_cpu:>11.2f}")
    sys.stdout.flush()


def summarize(rounds):
    """Per method: the wall-time ratio of every round and their median."""
    print(f"\n{'method':<18}{'ratio per round':>40}{'median':>8}")
    for i, (name, _, _) in enumerate(rounds[0]):
        ratios = [rows[i][1][0] / rows[i][2][0] for rows in rounds]
        print(f"{name:<18}{' '.join(f'{r:.2f}' for r in ratios):>40}{statistics.median(ratios):>8.2f}")


if __name__ == "__main__":
    sys.exit(main())
