#!/usr/bin/env python3
"""How well defined is each torchvision fixture's input gradient in float32?

For the fixtures in tools/oracle/out, runs the exported ONNX graph (onnx_torch, the function the references
come from) in float64 on the stored batch-2 inputs and prints, per image, the stored float32 reference's
error against it (max |a − b| / max |b| over that image). When that is far above 1e-3, some ReLU or max-pool
decision sits within float32 rounding of its kink, and no float32 implementation can be expected to match
the float32 reference to 1e-3 on that input.

make_fixtures.py already writes the float64 gradient (`<name>.b{1,2}.grad64.npy`, float32 file);
this rewrites it from the stored inputs, for fixtures made before it did. ONNXTorchvisionTests accepts
Fovea's gradient per image when it matches either the float32 or the float64 reference to 1e-3, since at
a kink both are legitimate float32 answers.

    /work/torchenv/bin/python tools/oracle/conditioning.py resnet50 vgg11
"""

import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
from onnx_torch import OnnxGraph  # noqa: E402


def main(names: list[str]) -> None:
    torch.set_num_threads(2)
    for name in mf.torchvision_models():
        if names and name not in names:
            continue
        prefix = os.path.join(mf.LARGE_DIR, f"{name}.b2.")
        if not os.path.exists(prefix + "grad.npy"):
            continue
        graph64 = OnnxGraph(onnx.load(os.path.join(mf.LARGE_DIR, f"{name}.onnx")), torch.float64)
        x = torch.from_numpy(np.load(prefix + "input.npy"))
        t = torch.from_numpy(np.load(prefix + "target.npy"))
        g32 = np.load(prefix + "grad.npy").astype(np.float64)
        _, g64 = mf.score_gradient(graph64, x.double(), t)
        g64 = g64.numpy()
        np.save(prefix + "grad64.npy", g64.astype(np.float32))
        if np.array_equal(np.load(os.path.join(mf.LARGE_DIR, f"{name}.b1.input.npy"))[0], x.numpy()[0]):
            np.save(os.path.join(mf.LARGE_DIR, f"{name}.b1.grad64.npy"), g64[:1].astype(np.float32))
        for k in range(x.shape[0]):
            err = np.abs(g32[k] - g64[k]).max() / np.abs(g64[k]).max()
            print(f"{name} image {k}: exported graph float32 vs float64 input gradient {err:.2e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
