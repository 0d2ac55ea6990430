"""Image synthesis, Fovea side by side with PyTorch CPU in one run (issue 6).

    /work/venv/bin/python bench/synthesis/bench.py [--quick] [--json out/synthesis.json]

Fovea runs as the real product: the release `fovea-kernel` started by jupyter_client, each repetition one
cell timed from execute_request to `status: idle` (result suppressed with `;`, live display included).
PyTorch runs in its own process (bench/common/torch_worker.py with /work/torchenv, CS231n's and
google/deepdream's loops as written in bench/synthesis/torch_workloads.py). Both use 2 threads.

Workloads, on torchvision squeezenet1_1 with seeded weights (the same weights on both sides: the worker
exports the model it runs, with dynamic height and width, and the kernel imports that file):
  style-transfer step   CS231n's loop (content features.3, style features.1/4/6/7, TV; Adam; clamp) on a
                        192×256 content and style: `style_transfer(…, steps=N)` vs N iterations of the loop,
                        both including the targets' forward passes, divided by N
  DeepDream octave      `deepdream(net, img, "features.7", steps=10, octaves=1)` vs 10 make_steps at 192×256
and the peak resident memory of each process during each workload (VmHWM).
Goal (issue 6): ≤ 1.0× PyTorch's time per step.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from sidebyside import ROOT, FoveaKernel, TorchWorker, Workload, measure, publish  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1)


def picture(seed: int, height: int, width: int) -> np.ndarray:
    """A smooth random picture in [0, 1] (a few sinusoids per channel), normalised as torchvision's input."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        c = np.zeros((height, width), np.float32)
        for _ in range(4):
            fy, fx, phase = rng.uniform(0.01, 0.15), rng.uniform(0.01, 0.15), rng.uniform(0, 6.3)
            c += np.sin(fy * y + fx * x + phase).astype(np.float32)
        channels.append(0.5 + 0.12 * c + 0.05 * rng.standard_normal((height, width)).astype(np.float32))
    pixels = np.clip(np.stack(channels)[None], 0, 1)
    return ((pixels - MEAN) / STD).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", default=os.path.join(ROOT, ".build", "release", "fovea-kernel"))
    parser.add_argument("--torch-python", default="/work/torchenv/bin/python")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="style-transfer steps per timed run")
    parser.add_argument("--size", default="192x256", help="content and style size HxW (CS231n: 192 on the short side)")
    parser.add_argument("--quick", action="store_true", help="2 repeats of 5 steps: checks the bench runs")
    parser.add_argument("--passive", action="store_true",
                        help="idle threads sleep instead of spinning on both sides (PyTorch OMP_WAIT_POLICY=PASSIVE, "
                             "OpenBLAS OPENBLAS_THREAD_TIMEOUT=4): use on a loaded machine, not on an idle one")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.steps = 2, 5
    height, width = (int(v) for v in args.size.split("x"))
    dream_layer, dream_steps = "features.7", 10

    work = tempfile.mkdtemp(prefix="fovea-bench-synthesis-")
    np.save(os.path.join(work, "content.npy"), picture(1, height, width))
    np.save(os.path.join(work, "style.npy"), picture(2, height, width))
    worker = TorchWorker(args.torch_python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_workloads.py"),
                         args.threads, {"work": work, "style_steps": args.steps, "dream_steps": dream_steps,
                                        "dream_layer": dream_layer}, passive=args.passive)
    worker.run("export")
    kernel = FoveaKernel(args.kernel, work, args.threads, passive=args.passive)
    try:
        floor = float(np.median([kernel.run("1;") for _ in range(30)])) * 1e3
        kernel.run('net = model("squeezenet1_1.onnx")\ncontent = load("content.npy")\nstyle = load("style.npy")')
        kernel.run('save(forward(net, content, layer="features.7"), "fovea.features7.npy")')
        worker.run("check")
        ours, theirs = (np.load(os.path.join(work, f"{side}.features7.npy")) for side in ("fovea", "torch"))
        err = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
        if err > 1e-3:
            sys.exit(f"features.7 differ between Fovea and PyTorch ({err:.1e}): not the same model")
        style_cell = ('style_transfer(net, content, style, content_layer="features.3", content_weight=5e-2, '
                      'style_layers=["features.1", "features.4", "features.6", "features.7"], '
                      f'style_weights=[20000, 500, 12, 1], tv_weight=5e-2, steps={args.steps}, lr=3, init="content");')
        dream_cell = f'deepdream(net, content, "{dream_layer}", steps={dream_steps}, octaves=1, jitter=32, seed=0);'
        rows = [
            measure(Workload(f"style-transfer step ({height}×{width})", lambda k: k.run(style_cell),
                             lambda w: w.run("style transfer"), repeats=args.repeats, scale=args.steps,
                             unit="s/step"), kernel, worker),
            measure(Workload(f"DeepDream octave ({dream_steps} steps, {dream_layer})", lambda k: k.run(dream_cell),
                             lambda w: w.run("deepdream octave"), repeats=args.repeats), kernel, worker),
        ]
        notes = [f"features.7 of the content image agree to {err:.1e} (max |Δ| / max |torch|)",
                 f"style transfer: {args.steps} steps per timed run, targets included on both sides"]
        publish("bench/synthesis — Fovea vs PyTorch CPU (squeezenet1_1, seeded)", rows, kernel, worker,
                args.threads, floor, 1.0, notes, args.json, {"features7_error": err})
    finally:
        kernel.close()
        worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
