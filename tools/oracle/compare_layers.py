#!/usr/bin/env python3
"""Where do Fovea and PyTorch part ways on a torchvision fixture's input gradient? Layer by layer.

    FOVEA_LAYER_DUMP=resnet18:/tmp/dump swift test --filter ONNXLayerDump     # Fovea's activations/gradients
    /work/torchenv/bin/python tools/oracle/compare_layers.py resnet18 /tmp/dump

Runs the same ONNX file (tools/oracle/out/<model>.onnx) in PyTorch, by interpreting its nodes with torch
functions (onnx_torch.py, the interpreter the oracle references come from) in float32 and in float64
(autograd, every value's gradient retained), on the batch-1 oracle input
and target, and prints for every node the relative error (max |a − b| / max |b|) of the activation and of the
arriving gradient: Fovea vs float32, Fovea vs float64 and float32 vs float64. For every ReLU it also counts
the units whose on/off decision differs from float64's, and how close to zero (relative to the layer's scale)
the pre-activation of each flipped unit is: flips at rounding level are conditioning, flips of clearly
non-zero units would be a bug.
"""
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_torch import OnnxGraph  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def run(model, x, target, dtype):
    """Every value of the graph (gradients retained) after back-propagating logits[0, target]."""
    graph = OnnxGraph(model, dtype)
    values = graph.run(torch.from_numpy(x), retain=True)
    values[graph.output_name][0, target].backward()
    return values


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main(name, dump):
    model = onnx.load(os.path.join(OUT, f"{name}.onnx"))
    x = np.load(os.path.join(OUT, f"{name}.b1.input.npy"))
    target = int(np.load(os.path.join(OUT, f"{name}.b1.target.npy"))[0])
    v32, v64 = run(model, x, target, torch.float32), run(model, x, target, torch.float64)
    nodes = [line.split("\t") for line in open(os.path.join(dump, "nodes.tsv")).read().splitlines()]
    inp = OnnxGraph(model).input_name
    print(f"{name}: input gradient  fovea~f32 {rel(np.load(os.path.join(dump, 'grad.input.npy')), v32[inp].grad.numpy()):.2e}"
          f"  fovea~f64 {rel(np.load(os.path.join(dump, 'grad.input.npy')), v64[inp].grad.numpy()):.2e}"
          f"  f32~f64 {rel(v32[inp].grad.numpy(), v64[inp].grad.numpy()):.2e}")
    print(f"{'node':<28}{'op':<18}{'act f~32':>10}{'act f~64':>10}{'act 32~64':>10}{'grad f~32':>10}{'grad f~64':>10}"
          f"{'grad 32~64':>11}  relu flips vs f64 (fovea / f32; closest-to-kink |pre|/scale of fovea's flips)")
    # Fovea renames nodes and values (`/layer1/layer1.0/relu/Relu` → `layer1.0.relu`) but keeps the file's order;
    # nodes it folds at import (Constant, Identity, the input transform's index constants) have no counterpart.
    onnx_nodes, pairs = list(model.graph.node), []
    k = 0
    for entry in nodes:
        while k < len(onnx_nodes) and onnx_nodes[k].op_type not in entry[1]:
            k += 1
        if k == len(onnx_nodes):
            raise SystemExit(f"Fovea's node {entry[0]} ({entry[1]}) has no counterpart in the ONNX file, in order: "
                             "compare by hand")
        pairs.append((entry, onnx_nodes[k]))
        k += 1
    for (node, op, _, _), original in pairs:
        out = original.output[0]
        inputs = original.input[0]
        if not os.path.exists(os.path.join(dump, f"act.{node}.npy")):
            continue
        a = np.load(os.path.join(dump, f"act.{node}.npy"))
        a32, a64 = v32[out].detach().numpy(), v64[out].detach().numpy()
        row = f"{node:<28}{op:<18}{rel(a, a32):>10.1e}{rel(a, a64):>10.1e}{rel(a32, a64):>10.1e}"
        gpath = os.path.join(dump, f"grad.{node}.npy")
        if os.path.exists(gpath) and v64[out].grad is not None:
            g = np.load(gpath)
            g32, g64 = v32[out].grad.numpy(), v64[out].grad.numpy()
            row += f"{rel(g, g32):>10.1e}{rel(g, g64):>10.1e}{rel(g32, g64):>11.1e}"
        if op == "Relu":
            pre = v64[inputs].detach().numpy()
            on64 = a64 > 0
            flips_f = (a > 0) != on64
            flips_32 = (a32 > 0) != on64
            closest = np.abs(pre[flips_f]).max() / np.abs(pre).max() if flips_f.any() else 0
            row += f"  {int(flips_f.sum())} / {int(flips_32.sum())}; max |pre| of fovea's flips {closest:.1e}"
        print(row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
