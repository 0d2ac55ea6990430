"""The engine, Fovea side by side with PyTorch CPU in one run (issue 4).

    /work/venv/bin/python bench/engine/bench.py [--quick] [--json out/engine.json]

Fovea runs as the real product: the release `fovea-kernel` started by jupyter_client, each repetition one
cell timed from execute_request to `status: idle` (the result suppressed with `;`). PyTorch runs in its own
process (bench/common/torch_worker.py with /work/torchenv). Both use 2 threads (OpenBLAS / torch intra-op).

Workloads (the same weights on both sides: the torchvision models of tools/oracle/out, seeded):
  squeezenet1_1 forward, batch 1 and 32      forward(net, x);
  squeezenet1_1 saliency, batch 1            saliency(net, x, target=t);    vs forward + backward to the input
  vgg16 saliency, batch 1                    saliency(vgg, x, target=t);
  fashion-cnn, one epoch of Fashion-MNIST    train("fashion-cnn", data, epochs=1, batch=64, lr=1e-3) vs the same
                                             network, Adam, batch size and shuffling in a plain PyTorch loop
and the peak resident memory (VmHWM) of each process during each workload.

Needs: tools/oracle/out/{squeezenet1_1,vgg16}.onnx and their b1 fixtures
(`/work/torchenv/bin/python tools/oracle/make_fixtures.py --skip-small --large --only squeezenet1_1 vgg16 --tries 0`),
`swift build -c release --product fovea-kernel`, and Fashion-MNIST in /usr/share/datasets/fashion-mnist.
Goal (issue 4): every time ≤ 1.0× PyTorch's (stretch ≤ 0.5×), peak memory ≤ PyTorch's.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from sidebyside import ROOT, FoveaKernel, TorchWorker, Workload, measure, publish  # noqa: E402


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


# Workload groups for --only: the squeezenet1_1 rows, the vgg16 row, the fashion-cnn epoch.
WORKLOADS = ["squeezenet", "vgg", "epoch"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", default=os.path.join(ROOT, ".build", "release", "fovea-kernel"))
    parser.add_argument("--torch-python", default="/work/torchenv/bin/python")
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "tools", "oracle", "out"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each fast workload (median reported)")
    parser.add_argument("--epoch-repeats", type=int, default=3, help="timed epochs of each side")
    parser.add_argument("--train-limit", type=int, default=None, help="train on this many images (default: all 60000)")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 1 epoch of 6000 images: checks the bench runs")
    parser.add_argument("--passive", action="store_true",
                        help="idle threads sleep instead of spinning on both sides (PyTorch OMP_WAIT_POLICY=PASSIVE, "
                             "OpenBLAS OPENBLAS_THREAD_TIMEOUT=4): use on a loaded machine, not on an idle one")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=WORKLOADS, metavar="WORKLOAD",
                        help=f"run only these workloads, of {', '.join(WORKLOADS)} (default: all)")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epoch_repeats, args.train_limit = 3, 1, args.train_limit or 6000

    nets = [name for name, group in (("squeezenet1_1", "squeezenet"), ("vgg16", "vgg")) if group in args.only]
    for name in nets:
        if not os.path.exists(os.path.join(args.fixtures, f"{name}.onnx")):
            sys.exit(f"missing {args.fixtures}/{name}.onnx: run tools/oracle/make_fixtures.py --skip-small --large "
                     f"--only squeezenet1_1 vgg16 --tries 0")
    work = tempfile.mkdtemp(prefix="fovea-bench-engine-")
    x1 = np.zeros((1, 3, 224, 224), np.float32)
    if nets:
        x1 = np.load(os.path.join(args.fixtures, "squeezenet1_1.b1.input.npy"))
    np.save(os.path.join(work, "x1.npy"), x1)
    np.save(os.path.join(work, "x32.npy"), np.random.default_rng(32).standard_normal((32, 3, 224, 224), dtype=np.float32))
    targets = {name: int(np.load(os.path.join(args.fixtures, f"{name}.b1.target.npy"))[0]) for name in nets}

    worker = TorchWorker(args.torch_python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_workloads.py"),
                         args.threads, {"work": work, "targets": targets, "train_limit": args.train_limit}, passive=args.passive)
    kernel = FoveaKernel(args.kernel, work, args.threads, passive=args.passive)
    try:
        floor = statistics.median(sorted(kernel.run("1;") for _ in range(30))[:30]) * 1e3
        limit = f", limit={args.train_limit}, seed=0" if args.train_limit else ""
        # Preparations (not timed, before the peak is reset): models and data resident on both sides.
        checks = []
        rows = []

        def check(name: str, net: str):
            kernel.run(f'save(forward({net}, x1), "fovea.{name}.logits.npy")')
            worker.run(f"check_{name}")
            ours, theirs = (np.load(os.path.join(work, f"{side}.{name}.logits.npy")) for side in ("fovea", "torch"))
            err = relative_error(ours, theirs)
            checks.append(f"{name}: logits of x1 agree to {err:.1e} (max |Δ| / max |torch|)")
            if err > 1e-3:
                sys.exit(f"{name}: Fovea and PyTorch compute different logits ({err:.1e}); the weights differ")

        cell = lambda code: (lambda k: k.run(code))  # noqa: E731
        torch_run = lambda name: (lambda w: w.run(name))  # noqa: E731
        if "squeezenet" in args.only:
            kernel.run(f'x1 = load("x1.npy")\nx32 = load("x32.npy")\nsqueeze = model("{args.fixtures}/squeezenet1_1.onnx")')
            worker.run("prepare_squeezenet1_1")
            check("squeezenet1_1", "squeeze")
            t_sq = targets["squeezenet1_1"]
            for name, code, repeats in [
                ("squeezenet1_1 forward b1", "forward(squeeze, x1);", args.repeats),
                ("squeezenet1_1 forward b32", "forward(squeeze, x32);", max(3, args.repeats // 2)),
                ("squeezenet1_1 saliency b1", f"saliency(squeeze, x1, target={t_sq});", args.repeats),
            ]:
                rows.append(measure(Workload(name, cell(code), torch_run(name), repeats=repeats), kernel, worker))
            kernel.run("squeeze = none")

        if "vgg" in args.only:
            kernel.run(f'x1 = load("x1.npy")\nvgg = model("{args.fixtures}/vgg16.onnx")')
            worker.run("prepare_vgg16")
            check("vgg16", "vgg")
            rows.append(measure(Workload("vgg16 saliency b1", cell(f"saliency(vgg, x1, target={targets['vgg16']});"),
                                         torch_run("vgg16 saliency b1"), repeats=max(3, args.repeats // 2)), kernel, worker))
            kernel.run("vgg = none")

        if "epoch" not in args.only:
            publish("bench/engine — Fovea vs PyTorch CPU", rows, kernel, worker, args.threads, floor, 1.0, checks,
                    args.json, {"checks": checks})
            return 0
        kernel.run(f'train_data = dataset("fashion-mnist", split="train"{limit})\n'
                   'warm_data = dataset("fashion-mnist", split="train", limit=2048, seed=0)')
        worker.run("prepare_fashion")
        epoch = 'train("fashion-cnn", train_data, epochs=1, batch=64, lr=1e-3, optimizer="adam", seed=0);'
        warm = 'train("fashion-cnn", warm_data, epochs=1, batch=64, lr=1e-3, optimizer="adam", seed=0);'
        rows.append(measure(Workload("fashion-cnn epoch" + (f" ({args.train_limit} images)" if args.train_limit else ""),
                                     cell(epoch), torch_run("fashion-cnn epoch"), repeats=args.epoch_repeats,
                                     warmup=(cell(warm), torch_run("fashion-cnn warm-up"))), kernel, worker))
        publish("bench/engine — Fovea vs PyTorch CPU", rows, kernel, worker, args.threads, floor, 1.0, checks,
                args.json, {"checks": checks})
    finally:
        kernel.close()
        worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
