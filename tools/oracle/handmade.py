"""Hand-written ONNX graphs for operators and operator versions PyTorch's exporter does not emit.

PyTorch decomposes LocalResponseNorm, never writes Squeeze/Unsqueeze/Clip in every opset's form,
and does not use Gemm's alpha/beta/transA. Each graph here is written once per opset with
onnx.helper and paired with a PyTorch function that computes the same thing, so the oracle values
(logits and input gradients) still come from PyTorch; onnxruntime confirms the two agree.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

INPUT_SHAPE = (4, 6, 6)
CLASSES = 5


class Weights:
    def __init__(self, seed: int):
        g = torch.Generator().manual_seed(seed)
        self.conv_w = torch.randn(6, 4, 3, 3, generator=g) * 0.4
        self.conv_b = torch.randn(6, generator=g) * 0.1
        self.gather_idx = torch.tensor([0, 2, 4, 5])
        self.gemm_w = torch.randn(36, 8, generator=g) * 0.3        # Gemm with transB = 0: [K, M]
        self.gemm_c = torch.randn(8, generator=g) * 0.1
        self.mm_w = torch.randn(8, CLASSES, generator=g) * 0.5
        self.mm_b = torch.randn(CLASSES, generator=g) * 0.1


def reference(w: Weights, x: torch.Tensor) -> torch.Tensor:
    """The PyTorch twin of `graph(...)`."""
    y = F.conv2d(x, w.conv_w, w.conv_b, padding=1)
    y = F.local_response_norm(y, size=3, alpha=0.5, beta=0.75, k=2.0)
    y = torch.clamp(y, -0.5, 1.5)
    y = F.max_pool2d(y, 2)                                  # [N, 6, 3, 3]
    y = y.index_select(1, w.gather_idx)                     # Gather axis 1: [N, 4, 3, 3]
    y = y.unsqueeze(1).squeeze(1)
    y = y.transpose(2, 3).reshape(y.shape[0], -1)           # [N, 36]
    y = torch.tanh(0.7 * (y @ w.gemm_w) + 1.3 * w.gemm_c)
    y = y @ w.mm_w + w.mm_b
    return torch.softmax(y, dim=1) - y / 2.0


def graph(w: Weights, opset: int) -> onnx.ModelProto:
    """The same network for opset 9, 11, 13 or later: the forms of Clip, Squeeze/Unsqueeze, Dropout
    and Constant change across these versions."""
    init = [
        numpy_helper.from_array(w.conv_w.numpy(), "conv.weight"),
        numpy_helper.from_array(w.conv_b.numpy(), "conv.bias"),
        numpy_helper.from_array(w.gather_idx.numpy().astype(np.int64), "pick.indices"),
        numpy_helper.from_array(w.gemm_w.numpy(), "fc.weight"),
        numpy_helper.from_array(w.gemm_c.numpy(), "fc.bias"),
        numpy_helper.from_array(w.mm_w.numpy(), "head.weight"),
        numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat.shape"),
    ]
    # float_data instead of raw_data for one initializer: both encodings must load.
    bias = helper.make_tensor("head.bias", TensorProto.FLOAT, [CLASSES], w.mm_b.numpy().tolist(), raw=False)
    init.append(bias)

    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("LRN", ["c"], ["l"], name="/lrn/LRN", size=3, alpha=0.5, beta=0.75, bias=2.0),
    ]
    if opset < 11:
        nodes.append(helper.make_node("Clip", ["l"], ["k"], name="/clip/Clip", min=-0.5, max=1.5))
    else:
        nodes += [
            helper.make_node("Constant", [], ["lo"], name="lo", value=helper.make_tensor("v", TensorProto.FLOAT, [], [-0.5])),
            helper.make_node("Constant", [], ["hi"], name="hi",
                             **({"value_float": 1.5} if opset >= 12 else {"value": helper.make_tensor("v", TensorProto.FLOAT, [], [1.5])})),
            helper.make_node("Clip", ["l", "lo", "hi"], ["k"], name="/clip/Clip"),
        ]
    nodes += [
        helper.make_node("MaxPool", ["k"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Gather", ["p", "pick.indices"], ["g"], name="/pick/Gather", axis=1),
    ]
    if opset < 13:
        nodes += [
            helper.make_node("Unsqueeze", ["g"], ["u"], name="/unsq/Unsqueeze", axes=[1]),
            helper.make_node("Squeeze", ["u"], ["s"], name="/sq/Squeeze", axes=[1]),
            helper.make_node("Dropout", ["s"], ["d"], name="/drop/Dropout", ratio=0.5),
        ]
    else:
        nodes += [
            helper.make_node("Constant", [], ["ax"], name="ax", value_ints=[1]),
            helper.make_node("Unsqueeze", ["g", "ax"], ["u"], name="/unsq/Unsqueeze"),
            helper.make_node("Squeeze", ["u", "ax"], ["s"], name="/sq/Squeeze"),
            helper.make_node("Constant", [], ["ratio"], name="ratio", value_float=0.5),
            helper.make_node("Dropout", ["s", "ratio"], ["d"], name="/drop/Dropout"),
        ]
    nodes += [
        helper.make_node("Identity", ["d"], ["i"], name="/id/Identity"),
        helper.make_node("Transpose", ["i"], ["t"], name="/tr/Transpose", perm=[0, 1, 3, 2]),
        helper.make_node("Reshape", ["t", "flat.shape"], ["f"], name="/flat/Reshape"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["m"], name="/fc/Gemm", alpha=0.7, beta=1.3),
        helper.make_node("Tanh", ["m"], ["h"], name="/act/Tanh"),
        helper.make_node("MatMul", ["h", "head.weight"], ["z"], name="/head/MatMul"),
        helper.make_node("Add", ["z", "head.bias"], ["y"], name="/head/Add"),
        helper.make_node("Softmax", ["y"], ["sm"], name="/softmax/Softmax", axis=1),
        helper.make_node("Constant", [], ["two"], name="two", value=helper.make_tensor("v", TensorProto.FLOAT, [], [2.0])),
        helper.make_node("Div", ["y", "two"], ["half"], name="/half/Div"),
        helper.make_node("Sub", ["sm", "half"], ["logits"], name="/out/Sub"),
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *INPUT_SHAPE])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])
    g = helper.make_graph(nodes, f"handmade_opset{opset}", [x], [y], initializer=init)
    ir = 4 if opset <= 9 else 5 if opset <= 11 else 7 if opset <= 14 else 8
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="fovea-oracle",
                              ir_version=ir)
    onnx.checker.check_model(model)
    return model


class Module(torch.nn.Module):
    """Wraps `reference` so make_fixtures.write_oracle can treat it like any exported model."""

    def __init__(self, seed: int):
        super().__init__()
        self.w = Weights(seed)

    def forward(self, x):
        return reference(self.w, x)
