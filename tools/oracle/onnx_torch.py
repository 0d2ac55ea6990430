"""PyTorch executing an ONNX graph: every node interpreted with torch functions, in float32 or float64.

The torchvision oracles (make_fixtures.py) take their reference logits and input gradients from this, not
from the torchvision module that was exported: the exporter folds each BatchNorm into its convolution's
weights (rounded to float32), so the exported graph is a slightly different float function from the module,
and the graph is what Fovea imports. compare_layers.py uses it to read every intermediate value and the
gradient arriving at it.

Covers the operators of the torchvision exports (opset 17, dynamo=False) and the simple relatives the
exporter emits for CNNs; anything else raises `NotImplementedError` naming the node, so a reference is never
computed by guessing.

    graph = OnnxGraph(onnx.load("resnet18.onnx"), torch.float64)
    logits = graph(x)                          # differentiable in x
    values = graph.run(x, retain=True)         # every value by name, with .grad after backward
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node: onnx.NodeProto) -> dict:
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        out[a.name] = v
    return out


def _tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """Floating tensors take the interpreter's dtype; integer ones (indices, axes, shapes) stay integers."""
    t = torch.from_numpy(np.array(array, copy=True))
    return t.to(dtype) if t.is_floating_point() else t


def _ints(t: torch.Tensor | None) -> list[int] | None:
    return None if t is None else [int(v) for v in t.reshape(-1).tolist()]


def _spatial_pads(a: dict, x: torch.Tensor, value: float) -> tuple[torch.Tensor, tuple[int, ...]]:
    """ONNX `pads` = [begin..., end...]. Symmetric pads go to the torch op; asymmetric ones are applied
    here with `value` (0 for conv, -inf for max-pool) and the torch op gets none."""
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", ""):
        raise NotImplementedError(f"auto_pad={a['auto_pad']}")
    rank = x.dim() - 2
    p = list(a.get("pads", [0] * (2 * rank)))
    begin, end = p[:rank], p[rank:]
    if begin == end:
        return x, tuple(begin)
    torch_pads = []
    for b, e in zip(reversed(begin), reversed(end)):
        torch_pads += [b, e]
    return F.pad(x, torch_pads, value=value), (0,) * rank


def _conv(a, ins):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    x, pads = _spatial_pads(a, x, 0.0)
    rank = x.dim() - 2
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    return conv(x, w, b, stride=a.get("strides", [1] * rank), padding=pads,
                dilation=a.get("dilations", [1] * rank), groups=a.get("group", 1))


def _max_pool(a, ins):
    x = ins[0]
    rank = x.dim() - 2
    if a.get("storage_order", 0):
        raise NotImplementedError("storage_order=1")
    x, pads = _spatial_pads(a, x, -math.inf)
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[rank]
    return pool(x, a["kernel_shape"], a.get("strides", [1] * rank), pads,
                dilation=a.get("dilations", [1] * rank), ceil_mode=bool(a.get("ceil_mode", 0)))


def _avg_pool(a, ins):
    x = ins[0]
    rank = x.dim() - 2
    include = bool(a.get("count_include_pad", 0))
    if a.get("dilations") and any(d != 1 for d in a["dilations"]):
        raise NotImplementedError("AveragePool dilations")
    p = list(a.get("pads", [0] * (2 * rank)))
    if p[:rank] != p[rank:]:
        raise NotImplementedError("asymmetric AveragePool pads")
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[rank]
    return pool(x, a["kernel_shape"], a.get("strides", [1] * rank), p[:rank],
                ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=include)


def _gemm(a, ins):
    A = ins[0].t() if a.get("transA", 0) else ins[0]
    B = ins[1].t() if a.get("transB", 0) else ins[1]
    y = a.get("alpha", 1.0) * (A @ B)
    if len(ins) > 2 and ins[2] is not None:
        y = y + a.get("beta", 1.0) * ins[2]
    return y


def _axes(a, ins, position):
    """Axes from the attribute (older opsets) or the input at `position` (opset 13+)."""
    if "axes" in a:
        return list(a["axes"])
    return _ints(ins[position]) if len(ins) > position else None


def _unsqueeze(a, ins):
    x = ins[0]
    axes = _axes(a, ins, 1)
    rank = x.dim() + len(axes)
    for ax in sorted(ax % rank for ax in axes):
        x = x.unsqueeze(ax)
    return x


def _squeeze(a, ins):
    x = ins[0]
    axes = _axes(a, ins, 1)
    if axes is None:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


def _gather(a, ins):
    x, idx = ins[0], ins[1]
    axis = a.get("axis", 0) % x.dim()
    flat = idx.reshape(-1).long() % x.shape[axis]
    y = torch.index_select(x, axis, flat)
    return y.reshape(*x.shape[:axis], *idx.shape, *x.shape[axis + 1:])


def _clip(a, ins):
    lo = a.get("min") if "min" in a else (ins[1] if len(ins) > 1 and ins[1] is not None else None)
    hi = a.get("max") if "max" in a else (ins[2] if len(ins) > 2 and ins[2] is not None else None)
    # torch.clamp's gradient is 1 on the closed interval [min, max], as onnxruntime and Fovea's ReLU6 are
    # expected to treat the bounds; min/max as 0-d tensors keep the dtype.
    return torch.clamp(ins[0], min=lo, max=hi)


def _reshape(a, ins):
    x, shape = ins[0], _ints(ins[1])
    allow_zero = a.get("allowzero", 0)
    shape = [x.shape[i] if (s == 0 and not allow_zero) else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _batch_norm(a, ins):
    x, scale, bias, mean, var = ins[:5]
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5))


def _softmax(a, ins):
    return torch.softmax(ins[0], a.get("axis", -1))


def _flatten(a, ins):
    x = ins[0]
    axis = a.get("axis", 1) % (x.dim() + 1) if x.dim() else 0
    outer = int(np.prod(x.shape[:axis])) if axis else 1
    return x.reshape(outer, -1)


def _pad(a, ins):
    x = ins[0]
    pads = _ints(ins[1]) if len(ins) > 1 else list(a["pads"])
    mode = a.get("mode", "constant")
    value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("value", 0.0)
    if len(ins) > 3 and ins[3] is not None:
        raise NotImplementedError("Pad axes input")
    rank = x.dim()
    torch_pads = []
    for d in reversed(range(rank)):
        torch_pads += [pads[d], pads[d + rank]]
    while len(torch_pads) >= 2 and torch_pads[-2:] == [0, 0]:
        torch_pads = torch_pads[:-2]
    if mode != "constant":
        raise NotImplementedError(f"Pad mode {mode}")
    return F.pad(x, torch_pads, value=value)


def _constant(a, ins, dtype):
    if "value" not in a:
        raise NotImplementedError(f"Constant attribute {sorted(a)}")
    return _tensor(numpy_helper.to_array(a["value"]), dtype)


_OPS = {
    "Conv": _conv,
    "Relu": lambda a, ins: F.relu(ins[0]),
    "LeakyRelu": lambda a, ins: F.leaky_relu(ins[0], a.get("alpha", 0.01)),
    "Sigmoid": lambda a, ins: torch.sigmoid(ins[0]),
    "Tanh": lambda a, ins: torch.tanh(ins[0]),
    "Clip": _clip,
    "MaxPool": _max_pool,
    "AveragePool": _avg_pool,
    "GlobalAveragePool": lambda a, ins: ins[0].mean(dim=tuple(range(2, ins[0].dim())), keepdim=True),
    "Gemm": _gemm,
    "MatMul": lambda a, ins: ins[0] @ ins[1],
    "BatchNormalization": _batch_norm,
    "Add": lambda a, ins: ins[0] + ins[1],
    "Sub": lambda a, ins: ins[0] - ins[1],
    "Mul": lambda a, ins: ins[0] * ins[1],
    "Div": lambda a, ins: ins[0] / ins[1],
    "Concat": lambda a, ins: torch.cat(ins, a["axis"]),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": lambda a, ins: ins[0].permute(a["perm"]) if "perm" in a else ins[0].permute(*reversed(range(ins[0].dim()))),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Gather": _gather,
    "Identity": lambda a, ins: ins[0],
    "Dropout": lambda a, ins: ins[0],  # inference: identity (the optional mask output is not produced)
    "Softmax": _softmax,
    "Pad": _pad,
}


class OnnxGraph:
    """An ONNX model's main graph run by PyTorch in one floating dtype (float32 or float64)."""

    def __init__(self, model: onnx.ModelProto, dtype: torch.dtype = torch.float32):
        self.model = model
        self.dtype = dtype
        self.initializers = {i.name: _tensor(numpy_helper.to_array(i), dtype) for i in model.graph.initializer}
        self.input_name = next(i.name for i in model.graph.input if i.name not in self.initializers)
        self.output_name = model.graph.output[0].name
        for node in model.graph.node:
            if node.op_type not in _OPS and node.op_type != "Constant":
                raise NotImplementedError(f"onnx_torch does not interpret {node.op_type} (node {node.name})")

    def to(self, dtype: torch.dtype) -> "OnnxGraph":
        return OnnxGraph(self.model, dtype)

    def run(self, x: torch.Tensor, retain: bool = False) -> dict[str, torch.Tensor]:
        """Every value of the graph by name. With `retain`, the input requires grad and every floating
        node output keeps its gradient after a backward pass (`values[name].grad`)."""
        values = dict(self.initializers)
        x = x.to(self.dtype)
        if retain and not x.requires_grad:
            x = x.detach().requires_grad_()
        values[self.input_name] = x
        for node in self.model.graph.node:
            a = _attrs(node)
            try:
                if node.op_type == "Constant":
                    y = _constant(a, [], self.dtype)
                else:
                    ins = [values[i] if i else None for i in node.input]
                    y = _OPS[node.op_type](a, ins)
            except NotImplementedError as e:
                raise NotImplementedError(f"node {node.name} ({node.op_type}): {e}") from None
            if retain and y.requires_grad:
                y.retain_grad()
            values[node.output[0]] = y
        return values

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[self.output_name]

    def eval(self) -> "OnnxGraph":
        return self
