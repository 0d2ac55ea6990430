#!/usr/bin/env python3
"""Where do Fovea and PyTorch part ways on a torchvision fixture's input gradient? Layer by layer.

    FOVEA_LAYER_DUMP=resnet18:/tmp/dump swift test --filter ONNXLayerDump     # Fovea's activations/gradients
    /work/torchenv/bin/python tools/oracle/compare_layers.py resnet18 /tmp/dump

Runs the same ONNX file (tools/oracle/out/<model>.onnx) in PyTorch, by interpreting its nodes with torch
functions in float32 and in float64 (autograd, every value's gradient retained), on the batch-1 oracle input
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
import torch.nn.functional as F
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, x, target, dtype):
    """Every value of the graph (requires_grad, retained) and the input gradient of logits[0, target]."""
    values = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()).to(dtype) for i in model.graph.initializer}
    name = model.graph.input[0].name
    values[name] = torch.from_numpy(x).to(dtype).requires_grad_()
    for node in model.graph.node:
        a = attrs(node)
        ins = [values[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3], "asymmetric padding"
            y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", 1),
                         padding=(p[0], p[1]), dilation=a.get("dilations", 1), groups=a.get("group", 1))
        elif op == "Relu":
            y = F.relu(ins[0])
        elif op == "MaxPool":
            p = a.get("pads", [0, 0, 0, 0])
            y = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]), ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "GlobalAveragePool":
            y = ins[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            y = torch.flatten(ins[0], a.get("axis", 1))
        elif op == "Gemm":
            w = ins[1].t() if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * ins[0] @ w + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
        elif op == "Concat":
            y = torch.cat(ins, a["axis"])
        elif op == "AveragePool":
            p = a.get("pads", [0, 0, 0, 0])
            y = F.avg_pool2d(ins[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]), ceil_mode=bool(a.get("ceil_mode", 0)),
                             count_include_pad=bool(a.get("count_include_pad", 0)))
        else:
            raise SystemExit(f"compare_layers.py does not interpret {op} (node {node.name})")
        y.retain_grad()
        values[node.output[0]] = y
    logits = values[model.graph.output[0].name]
    logits[0, target].backward()
    return values


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main(name, dump):
    model = onnx.load(os.path.join(OUT, f"{name}.onnx"))
    x = np.load(os.path.join(OUT, f"{name}.b1.input.npy"))
    target = int(np.load(os.path.join(OUT, f"{name}.b1.target.npy"))[0])
    v32, v64 = run(model, x, target, torch.float32), run(model, x, target, torch.float64)
    nodes = [line.split("\t") for line in open(os.path.join(dump, "nodes.tsv")).read().splitlines()]
    inp = model.graph.input[0].name
    print(f"{name}: input gradient  fovea~f32 {rel(np.load(os.path.join(dump, 'grad.input.npy')), v32[inp].grad.numpy()):.2e}"
          f"  fovea~f64 {rel(np.load(os.path.join(dump, 'grad.input.npy')), v64[inp].grad.numpy()):.2e}"
          f"  f32~f64 {rel(v32[inp].grad.numpy(), v64[inp].grad.numpy()):.2e}")
    print(f"{'node':<28}{'op':<18}{'act f~32':>10}{'act f~64':>10}{'act 32~64':>10}{'grad f~32':>10}{'grad f~64':>10}"
          f"{'grad 32~64':>11}  relu flips vs f64 (fovea / f32; closest-to-kink |pre|/scale of fovea's flips)")
    # Fovea renames nodes and values (`/layer1/layer1.0/relu/Relu` → `layer1.0.relu`) but keeps the file's order.
    onnx_nodes = list(model.graph.node)
    if len(onnx_nodes) != len(nodes) or any(n.op_type not in op for n, (_, op, _, _) in zip(onnx_nodes, nodes)):
        raise SystemExit("Fovea's nodes are not the ONNX file's, in order: compare by hand")
    for (node, op, _, _), original in zip(nodes, onnx_nodes):
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
