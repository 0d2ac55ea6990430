"""Writes ops_oracle.json: PyTorch outputs and gradients for the engine's trickiest op semantics.

Run with the torch environment:  /work/torchenv/bin/python Tests/EngineTests/Fixtures/ops/make_op_fixtures.py
Each case stores inputs, attributes (ONNX names), the forward output, an upstream gradient R and the
gradients of sum(R * output) with respect to each input. Captum cases store guided-backprop and
deconvolution attributions of a tiny CNN.
"""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
cases = []

def tensor(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}

def record(name, op, attrs, inputs, fn):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    cases.append({"name": name, "op": op, "attrs": attrs, "inputs": [tensor(t) for t in inputs],
                  "output": tensor(out), "upstream": tensor(r), "grads": [tensor(t.grad) if t.grad is not None else None for t in leaves]})

# Conv: groups 2, dilation (1, 2), stride (2, 1), asymmetric pads top 1, left 0, bottom 2, right 1.
x = torch.randn(2, 4, 7, 6); w = torch.randn(6, 2, 3, 3); b = torch.randn(6)
record("conv_grouped_dilated_asymmetric", "Conv",
       {"strides": [2, 1], "pads": [1, 0, 2, 1], "dilations": [1, 2], "group": 2}, [x, w, b],
       lambda x, w, b: F.conv2d(F.pad(x, (0, 1, 1, 2)), w, b, stride=(2, 1), dilation=(1, 2), groups=2))
x = torch.randn(1, 3, 9, 9); w = torch.randn(3, 1, 3, 3); b = torch.randn(3)
record("conv_depthwise_stride2", "Conv", {"strides": [2, 2], "pads": [1, 1, 1, 1], "dilations": [1, 1], "group": 3},
       [x, w, b], lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3))
x = torch.randn(2, 3, 7, 8)
record("maxpool_ceil_pad", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
       [x], lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True))
record("maxpool_squeezenet", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 0, 0, 0], "ceil_mode": 1},
       [torch.randn(1, 2, 12, 12)], lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True))
for cip in (0, 1):
    record(f"avgpool_ceil_pad_cip{cip}", "AveragePool",
           {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": cip},
           [x], lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=bool(cip)))
record("lrn_size5", "LRN", {"size": 5, "alpha": 1e-2, "beta": 0.75, "bias": 2.0}, [torch.randn(2, 7, 3, 3)],
       lambda x: F.local_response_norm(x, 5, alpha=1e-2, beta=0.75, k=2.0))
mean = torch.randn(4); var = torch.rand(4) + 0.5; scale = torch.randn(4); shift = torch.randn(4)
record("batchnorm_inference", "BatchNormalization", {"epsilon": 1e-5},
       [torch.randn(2, 4, 3, 3), scale, shift, mean, var],
       lambda x, s, b, m, v: F.batch_norm(x, m.detach(), v.detach(), s, b, training=False, eps=1e-5))
record("relu6", "Clip", {"min": 0.0, "max": 6.0}, [torch.randn(3, 5) * 5], lambda x: F.relu6(x))
record("softmax_axis1", "Softmax", {"axis": 1}, [torch.randn(2, 5, 3)], lambda x: torch.softmax(x, 1))
record("gemm_linear", "Gemm", {"transB": 1}, [torch.randn(3, 5), torch.randn(4, 5), torch.randn(4)],
       lambda a, w, b: F.linear(a, w, b))

# Captum: guided backprop and deconvolution of a tiny CNN, target class 1.
from captum.attr import GuidedBackprop, Deconvolution
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1); self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 3, 3, padding=1); self.relu2 = nn.ReLU()
        self.fc = nn.Linear(3 * 4 * 4, 3)
    def forward(self, x):
        x = self.pool(self.relu1(self.conv1(x)))
        return self.fc(torch.flatten(self.relu2(self.conv2(x)), 1))
net = Tiny().eval()
x = torch.randn(2, 2, 8, 8)
captum = {"params": {k: tensor(v) for k, v in net.state_dict().items()}, "input": tensor(x), "target": 1,
          "logits": tensor(net(x))}
for name, cls in (("guided", GuidedBackprop), ("deconvnet", Deconvolution)):
    captum[name] = tensor(cls(net).attribute(x.clone(), target=1))
xi = x.clone().requires_grad_(True); net(xi)[:, 1].sum().backward()
captum["plain"] = tensor(xi.grad)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_oracle.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases, "captum": captum}, f)
print("wrote", path, os.path.getsize(path), "bytes")
