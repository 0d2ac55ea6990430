#!/usr/bin/env python3
"""How well defined is each torchvision fixture's input gradient in float32?

For the fixtures in tools/oracle/out, rebuilds the PyTorch model exactly as make_fixtures.py did,
recomputes the input gradient in float64 on the stored inputs, and prints PyTorch's own float32 error
against it (max |a − b| / max |b|). When that is far above 1e-3, some ReLU or max-pool decision sits
within float32 rounding of its kink, and no float32 implementation can be expected to match PyTorch's
float32 gradient to 1e-3 on that input.

It also saves the float64 gradient as `<name>.b{1,2}.grad64.npy` (float32 file; the batch-1 input is the
first image of batch 2): ONNXTorchvisionTests accepts Fovea's gradient when it matches either PyTorch's
float32 gradient or the float64 one to 1e-3, since at a kink both are legitimate float32 answers.

    /work/torchenv/bin/python tools/oracle/conditioning.py resnet50 vgg11
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402


def main(names: list[str]) -> None:
    torch.set_num_threads(2)
    models = mf.torchvision_models()
    for i, (name, build) in enumerate(models.items()):
        if names and name not in names:
            continue
        prefix = os.path.join(mf.LARGE_DIR, f"{name}.b2.")
        if not os.path.exists(prefix + "grad.npy"):
            continue
        torch.manual_seed(100 + i)
        model = build()
        mf.randomize_batchnorm(model, (3, 224, 224))
        model.eval()
        x = torch.from_numpy(np.load(prefix + "input.npy"))
        t = torch.from_numpy(np.load(prefix + "target.npy"))
        g32 = np.load(prefix + "grad.npy").astype(np.float64)
        _, g64 = mf.score_gradient(model.double(), x.double(), t)
        g64 = g64.numpy()
        np.save(prefix + "grad64.npy", g64.astype(np.float32))
        if np.array_equal(np.load(os.path.join(mf.LARGE_DIR, f"{name}.b1.input.npy"))[0], x.numpy()[0]):
            np.save(os.path.join(mf.LARGE_DIR, f"{name}.b1.grad64.npy"), g64[:1].astype(np.float32))
        for k in range(x.shape[0]):
            err = np.abs(g32[k] - g64[k]).max() / np.abs(g64[k]).max()
            print(f"{name} image {k}: PyTorch float32 vs float64 input gradient {err:.2e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
