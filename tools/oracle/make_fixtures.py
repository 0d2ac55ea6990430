#!/usr/bin/env python3
"""Oracle fixtures for Fovea's ONNX importer: models exported by PyTorch plus PyTorch's own answers.

For every model this writes, next to `<name>.onnx`:
  <name>.b1.input.npy   float32 [1, C, H, W]   seeded input
  <name>.b1.target.npy  int64   [1]            the class whose score is differentiated
  <name>.b1.logits.npy  float32 [1, K]         PyTorch's output
  <name>.b1.grad.npy    float32 [1, C, H, W]   d(sum_i logits[i, target[i]]) / d input
and the same four with `.b2.` for a batch of two (the models are exported with a dynamic batch axis).

Small custom CNNs are written to Tests/EngineTests/Fixtures/onnx/ (committed, a few hundred KB);
torchvision architectures with seeded random weights go to tools/oracle/out/ (gitignored, ~1.5 GB).

Which PyTorch computes the reference. For the small models, the PyTorch module that was exported. For the
torchvision models, PyTorch executing the exported ONNX graph node by node (onnx_torch.py), in float32
(`grad.npy`, `logits.npy`) and float64 (`<name>.b{1,2}.grad64.npy`), because that graph — the file Fovea
imports — is not the same float function as the module: the exporter folds every BatchNorm into the
preceding convolution's weights and bias, rounded to float32, so the two differ by rounding-level amounts in
every pre-activation. Logits are continuous and do not care (module and graph agree to ~1e-6, checked here
at ≤ 1e-4, so the export is still validated against torchvision), but the input gradient of a ReLU/max-pool
network jumps at kinks, and on inputs near one the module's gradient and the graph's differ by percents
(resnet18: 3.5e-3 while Fovea matched the graph to 1.1e-6). A reference for "does Fovea compute what this
ONNX file means" has to be that file's function; the module check covers "is the file torchvision's model".
For the same reason the inputs are chosen by the graph's own float32-vs-float64 gradient agreement (see
`conditioning` and tools/oracle/README.md). `<name>.oracle.json` records, per model, the chosen inputs'
instability and the measured module-vs-graph and float32-vs-float64 agreements.

    /work/torchenv/bin/python tools/oracle/make_fixtures.py            # small fixtures only
    /work/torchenv/bin/python tools/oracle/make_fixtures.py --large    # also the torchvision models
    /work/torchenv/bin/python tools/oracle/make_fixtures.py --large --only resnet18

Everything is seeded: running the script twice gives the same numbers (the ONNX bytes may differ by
producer version only).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL_DIR = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "onnx")
LARGE_DIR = os.path.join(ROOT, "tools", "oracle", "out")

FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


# ---------------------------------------------------------------------------------------------
# Small custom models. Each one exercises a group of operators; layer names are chosen so the
# exporter's module paths (`/features/features.3/Conv`) are worth checking on the Swift side.


class TinyCNN(nn.Module):
    """Conv → ReLU → BatchNorm (not foldable into the conv: it follows the ReLU) → MaxPool →
    strided Conv → LeakyReLU → AvgPool(count_include_pad) → Flatten → Linear → ReLU6 → Dropout → Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.act2 = nn.LeakyReLU(0.1)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.act3 = nn.ReLU6()
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        x = self.pool1(self.bn1(self.relu1(self.conv1(x))))
        x = self.pool2(self.act2(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(self.drop(self.act3(self.fc1(x))))


class TinyOps(nn.Module):
    """The rest of what the exporter emits for CNNs: grouped/dilated/depthwise convs, asymmetric
    padding (F.pad exports as a Shape/ConstantOfShape/Slice/Cast chain on constants that the importer
    must fold), ceil-mode pooling with and without counting the padding, Sigmoid/Tanh, Concat,
    Add/Sub/Mul/Div with constants, Transpose, MatMul with a weight, Softmax, the `x.size(0)`
    Shape/Gather/Unsqueeze/Concat/Reshape pattern, the Gather/Unsqueeze input transform of
    torchvision's googlenet, GlobalAveragePool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.branch_a = nn.Sequential(nn.Conv2d(6, 6, 3, padding=1, groups=3), nn.Sigmoid())
        self.branch_b = nn.Sequential(nn.Conv2d(6, 4, 3, padding=2, dilation=2), nn.Tanh())
        self.depthwise = nn.Conv2d(10, 10, 3, stride=2, groups=10)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.avg = nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.mix = nn.Parameter(torch.randn(8, 8) * 0.3)
        self.fc = nn.Linear(10 * 3 * 8, 7)
        self.gap_fc = nn.Linear(10, 7)

    def forward(self, x):
        # torchvision's googlenet/inception input transform: per-channel Gather + Unsqueeze + affine + Concat.
        r = torch.unsqueeze(x[:, 0], 1) * 0.5 + 0.1
        g = torch.unsqueeze(x[:, 1], 1) * 0.25 - 0.2
        b = torch.unsqueeze(x[:, 2], 1) / 2.0 + 0.3
        x = torch.cat((r, g, b), 1)
        x = self.stem(x)
        x = torch.cat([self.branch_a(x), self.branch_b(x)], dim=1)          # [N, 10, 16, 16]
        x = F.pad(x, (1, 0, 2, 1))                                             # asymmetric: [N, 10, 19, 17]
        x = self.depthwise(x)                                                  # [N, 10, 9, 8]
        x = self.pool(x)                                                       # ceil: [N, 10, 5, 5]
        gap = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)                    # GlobalAveragePool + Flatten
        x = self.avg(x)                                                        # ceil, pad not counted: [N, 10, 3, 3]
        x = 1.0 - x * 2.0                                                      # Mul then Sub, constant first
        x = x.transpose(2, 3)                                                  # [N, 10, 3, 3]
        x = x.reshape(x.size(0), 10, 3, 3)
        x = F.pad(x, (0, 5, 0, 0))                                             # [N, 10, 3, 8]
        x = torch.matmul(x, self.mix)                                          # MatMul with a weight
        x = x.view(x.size(0), -1)                                              # Shape/Gather/Concat/Reshape
        y = self.fc(x) + self.gap_fc(gap)
        return torch.softmax(y, dim=1) * 10.0 + y


class TinyFashion(nn.Module):
    """Fashion-MNIST sized (1×28×28, ten classes), with preprocessing metadata in the ONNX file."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(16 * 6 * 6, 32), nn.ReLU(inplace=True), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class TinyMLP(nn.Module):
    """Linear layers only, with Sigmoid/Tanh between them: Flatten → Gemm chain."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2 * 5 * 5, 20)
        self.fc2 = nn.Linear(20, 12)
        self.fc3 = nn.Linear(12, 4)

    def forward(self, x):
        x = x.flatten(1)
        return self.fc3(torch.tanh(self.fc2(torch.sigmoid(self.fc1(x)))))


# ---------------------------------------------------------------------------------------------


def randomize_batchnorm(model: nn.Module, input_shape: tuple[int, ...] | None = None) -> None:
    """Give every BatchNorm non-trivial running statistics and affine parameters, so that in eval mode it
    is not the identity and a wrong epsilon or a swapped mean/var shows up.

    With `input_shape`, the running statistics are first measured on a few seeded random batches (as
    training would), so activations keep a sensible scale through deep networks; left at a random guess,
    they shrink layer by layer until every ReLU and max-pool decision rests on differences at the level of
    float32 rounding, and the input gradient is no longer well defined in float32 (any two correct
    implementations then disagree). The measured statistics are then perturbed, and the affine parameters
    drawn at random, so they are still far from trivial.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    if input_shape is not None:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        model.train()
        g = torch.Generator().manual_seed(12345)
        with torch.no_grad():
            for _ in range(4):
                model(torch.randn((4, *input_shape), generator=g))
        model.eval()
    for m in norms:
        with torch.no_grad():
            n = m.num_features
            if input_shape is None:
                m.running_mean.copy_(torch.randn(n) * 0.1)
                m.running_var.copy_(torch.rand(n) + 0.5)
            else:
                m.running_mean.add_(torch.randn(n) * 0.1 * m.running_var.sqrt())
                m.running_var.mul_(torch.rand(n) * 0.5 + 0.75)
            if m.affine:
                m.weight.copy_(torch.rand(n) + 0.5)
                m.bias.copy_(torch.randn(n) * 0.1)


def export(model: nn.Module, example: torch.Tensor, path: str, opset: int = 17, fold: bool = True) -> None:
    torch.onnx.export(
        model,
        (example,),
        path,
        dynamo=False,
        opset_version=opset,
        do_constant_folding=fold,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )


def add_metadata(path: str, props: dict[str, str]) -> None:
    m = onnx.load(path)
    for k, v in props.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(m, path)


def convert_opset(path: str, target: int) -> None:
    """Rewrite a model to another opset with onnx's version converter (torch's exporter stops at 20)."""
    from onnx import version_converter

    m = onnx.load(path)
    onnx.save(version_converter.convert_version(m, target), path)


def score_gradient(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits, and d(sum_i logits[i, target_i]) / d x."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits.gather(1, target.view(-1, 1)).sum(), x)
    return logits.detach(), grad


def conditioning(graph32, graph64, x: torch.Tensor, target: torch.Tensor) -> float:
    """How unstable the input gradient of this one-image input is (0 = perfectly stable).

    The gradient of a ReLU/max-pool network jumps wherever a pre-activation crosses zero or two window
    values swap order. Float32 rounding (~1e-7 of each layer's scale) moves every activation a little, so
    if an activation that matters sits that close to a kink, PyTorch and any other correct float32
    implementation can legitimately disagree by a large amount. Such inputs make useless oracles. This
    returns the largest error against the float64 gradient, relative to its largest element, of two float32
    implementations that round differently: PyTorch's oneDNN convolutions and its own im2col + BLAS ones
    (oneDNN off; the two differ by ~1e-6, as Fovea differs from either). When the first already exceeds the
    1e-5 acceptance bound, it alone is returned (the third pass is skipped).
    `graph32`/`graph64` are the same function in float32 and float64 (the exported ONNX graph run by
    onnx_torch for the torchvision models).

    (Session 7 dropped the earlier third check, the float64 gradient at an input nudged by random noise: no
    single noise amplitude moves every layer by its own rounding. 3e-6 of the input's scale moved
    mobilenet_v2's layers by 12–22× their rounding and vgg11's first by 14× but its last by 0.7×, so it
    rejected inputs no float32 implementation would misjudge, or scaled to the deep layers, every input.)
    """
    _, g64 = score_gradient(graph64, x.double(), target)
    _, g32 = score_gradient(graph32, x, target)
    scale = g64.abs().max().item()
    if scale == 0:
        return float("inf")  # a dead class: the score does not depend on the input at all
    rounding = (g32.double() - g64).abs().max().item() / scale
    if rounding >= 1e-5:
        return rounding  # already rejected: spare the third pass (the result is then a lower bound)
    with torch.backends.mkldnn.flags(enabled=False):
        _, g_blas = score_gradient(graph32, x, target)
    other = (g_blas.double() - g64).abs().max().item() / scale
    print(f"    float32 vs float64: oneDNN {rounding:.1e}, im2col + BLAS {other:.1e}", flush=True)
    return max(rounding, other)


def draw_inputs(graph32, graph64, input_shape, seed: int, count: int, tries: int = 12, screen: int = 48,
                repairs: int = 10, most: int = 600, stubborn: int = 32) -> tuple[torch.Tensor, torch.Tensor, list[float | None]]:
    """`count` seeded inputs, each with its top-scoring class as target (a random class can be dead: with
    random weights, a ReLU before the classifier's pooling zeroes half of squeezenet's classes, and a zero
    gradient checks nothing).

    Random inputs rarely have a well-defined float32 gradient (PyTorch's own float32 gradient of these
    graphs is typically 1e-3..1e-1 off float64: a few of millions of decisions sit within rounding of a
    kink). So each of up to `screen` seeded candidates has its near-kink decisions that matter found
    (`kinks.near_kinks`) and, when there are at most `most`, is moved off them and every one found before
    (`kinks.push_off`), once a step has failed to halve their count while every decision within `kinks.GUARD` near
    bounds is held where it is, up to `repairs` times or until the steps stop changing which decisions are near. Candidates left with at most
    `stubborn` get the full `conditioning` check (three gradient passes), at
    most `tries` of them, and the first stable to 1e-5 is taken. Otherwise the most stable checked candidate
    (or, if none was cleared, the one with the fewest near kinks) is taken, with a warning. With `tries` 0,
    the first candidate, unmeasured. Also returns each chosen input's instability (None when unmeasured)."""
    import kinks

    g = torch.Generator().manual_seed(seed + 1000)
    xs, ts, measured = [], [], []
    sensitivities: dict = {}
    for _ in range(count):
        best = None  # (near kinks, instability, x, t)
        checked = 0
        for attempt in range(screen if tries else 1):
            x = torch.randn((1, *input_shape), generator=g)
            with torch.no_grad():
                t = graph32(x).argmax(dim=1)
            if tries == 0:
                best = (0, None, x, t)
                break
            pinned, gradients, inert, before, guarding = {}, {}, set(), None, False
            for repair in range(repairs + 1):
                near = [d for d in kinks.near_kinks(graph32, graph64, x, t, sensitivities) if d.key not in inert]
                keys = {d.key for d in near}
                if not near or repair == repairs or len(near) > most or keys == before:
                    break
                # Once a step fails to halve the count, every later one holds the guard band (mobilenet_v2); it costs a
                # float64 backward pass per guarded decision, ~4× the near ones, so the models that converge without it
                # (googlenet 131 → 30 → 9 → 2 → 0) are spared.
                guarding = guarding or (before is not None and len(near) > len(before) / 2)
                before = keys
                for d in near:
                    pinned.setdefault(d.key, d)
                # A second pass for the band repeats the near pass's forward passes. One pass would do, but each
                # layer's sensitivity estimate would then come from another unit (the first found in the layer), and
                # the search would no longer draw the inputs this script gave the fixtures (mobilenet_v2: 348 near
                # decisions at the first step instead of 351).
                guards = [d for d in kinks.near_kinks(graph32, graph64, x, t, sensitivities, within=kinks.GUARD)
                          if d.key not in pinned and d.key not in inert] if guarding else []
                print(f"  candidate {attempt}: {len(near)} near kinks ({', '.join(map(repr, near[:4]))}"
                      f"{', …' if len(near) > 4 else ''}), moving the input off {len(pinned)} pinned so far, "
                      f"holding {len(guards)} more", flush=True)
                x, dead = kinks.push_off(graph64, x, list(pinned.values()) + guards, gradients)
                inert |= dead
            c = None
            # Decisions the steps could not clear (they stay put step after step, or each step brings a few new
            # ones near: mobilenet_v2) may still be far enough from their kinks, `near` being 3× the layer's
            # largest rounding. The full check decides.
            if len(near) <= stubborn:
                c = conditioning(graph32, graph64, x, t)
                checked += 1
            print(f"  candidate {attempt}: {len(near)} near kinks"
                  + (f", gradient instability {c:.1e}" if c is not None else ""), flush=True)
            key = (len(near), c if c is not None else float("inf"))
            if best is None or key < (best[0], best[1] if best[1] is not None else float("inf")):
                best = (len(near), c, x, t)
            if (c is not None and c < 1e-5) or checked >= tries:
                break
        if tries and best[1] is None:
            best = (best[0], conditioning(graph32, graph64, best[2], best[3]), *best[2:])
        if best[1] is not None and best[1] >= 1e-5:
            print(f"  warning: best input has gradient instability {best[1]:.1e} ({best[0]} near kinks)")
        measured.append(best[1])
        xs.append(best[2])
        ts.append(best[3])
    return torch.cat(xs), torch.cat(ts), measured


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a − b| / max |b|, as ONNXOracle.relativeError."""
    return (a.double() - b.double()).abs().max().item() / max(b.double().abs().max().item(), 1e-30)


def write_oracle(model: nn.Module, name: str, out_dir: str, input_shape: tuple[int, ...], classes: int,
                 seed: int) -> None:
    """Small models: random inputs and targets, reference from the PyTorch module (these networks have
    no BatchNorm folded into a convolution, or one that is not foldable, so module and export agree to
    rounding). Batch 1 and batch 2."""
    g = torch.Generator().manual_seed(seed + 1000)
    for batch in (1, 2):
        x = torch.randn((batch, *input_shape), generator=g)
        target = torch.randint(0, classes, (batch,), generator=g)
        logits, grad = score_gradient(model, x, target)
        save_case(out_dir, name, batch, x, target, logits, grad)


def save_case(out_dir, name, batch, x, target, logits, grad, grad64=None) -> None:
    prefix = os.path.join(out_dir, f"{name}.b{batch}.")
    np.save(prefix + "input.npy", x.numpy().astype(np.float32))
    np.save(prefix + "target.npy", target.numpy().astype(np.int64))
    np.save(prefix + "logits.npy", logits.numpy().astype(np.float32))
    np.save(prefix + "grad.npy", grad.numpy().astype(np.float32))
    if grad64 is not None:
        np.save(prefix + "grad64.npy", grad64.numpy().astype(np.float32))
    elif os.path.exists(prefix + "grad64.npy"):
        os.remove(prefix + "grad64.npy")  # a stale float64 reference of an earlier run would be accepted


def write_graph_oracle(model: nn.Module, name: str, out_dir: str, input_shape: tuple[int, ...], seed: int,
                       tries: int = 12, screen: int = 48) -> None:
    """Torchvision models: the reference is PyTorch executing the exported ONNX graph (onnx_torch), in
    float32 (`grad.npy`, `logits.npy`) and float64 (`grad64.npy`), on inputs chosen for a stable gradient
    of that graph. The module is checked against the graph's logits (≤ 1e-4), so the export itself is
    validated against torchvision. Writes `<name>.oracle.json` with the measured agreements."""
    from onnx_torch import OnnxGraph

    onnx_model = onnx.load(os.path.join(out_dir, f"{name}.onnx"))
    graph32, graph64 = OnnxGraph(onnx_model, torch.float32), OnnxGraph(onnx_model, torch.float64)
    inputs, targets, instability = draw_inputs(graph32, graph64, input_shape, seed, 2, tries, screen)
    for p in model.parameters():
        p.requires_grad_(False)  # the module's input gradient only
    report = {"instability": instability}
    for batch in (1, 2):
        x, target = inputs[:batch], targets[:batch]
        logits, grad = score_gradient(graph32, x, target)
        _, grad64 = score_gradient(graph64, x.double(), target)
        module_logits, module_grad = score_gradient(model, x, target)
        entry = {
            "module_vs_graph_logits": rel(module_logits, logits),
            "module_vs_graph_grad": rel(module_grad, grad),
            "graph_f32_vs_f64_grad": [rel(grad[k], grad64[k]) for k in range(batch)],
        }
        report[f"b{batch}"] = entry
        print(f"  {name} b{batch}: module vs graph logits {entry['module_vs_graph_logits']:.2e}, input gradient "
              f"{entry['module_vs_graph_grad']:.2e}; graph float32 vs float64 gradient "
              + ", ".join(f"{e:.2e}" for e in entry["graph_f32_vs_f64_grad"]), flush=True)
        if entry["module_vs_graph_logits"] > 1e-4:
            sys.exit(f"{name}: the exported graph's logits disagree with the torchvision module "
                     f"({entry['module_vs_graph_logits']:.2e})")
        save_case(out_dir, name, batch, x, target, logits, grad, grad64)
    with open(os.path.join(out_dir, f"{name}.oracle.json"), "w") as f:
        json.dump(report, f, indent=1)


def check_onnxruntime(name: str, out_dir: str) -> None:
    """The exported file must agree with PyTorch in onnxruntime, or the fixture itself is wrong."""
    import onnxruntime as ort

    sess = ort.InferenceSession(os.path.join(out_dir, f"{name}.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 2):
        prefix = os.path.join(out_dir, f"{name}.b{batch}.")
        x = np.load(prefix + "input.npy")
        ref = np.load(prefix + "logits.npy")
        (got,) = sess.run(None, {"input": x})
        err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12)
        print(f"  {name} b{batch}: onnxruntime vs torch max rel err {err:.2e}")
        if err > 1e-4:
            sys.exit(f"{name}: onnxruntime disagrees with torch ({err:.2e})")


def make(name: str, build, out_dir: str, input_shape, classes: int, seed: int, opset: int = 17, fold: bool = True,
         metadata: dict[str, str] | None = None, convert_to: int | None = None, calibrate: bool = False,
         tries: int = 12, screen: int = 48) -> None:
    torch.manual_seed(seed)
    model = build()
    randomize_batchnorm(model, input_shape if calibrate else None)
    model.eval()
    example = torch.randn((1, *input_shape))
    path = os.path.join(out_dir, f"{name}.onnx")
    export(model, example, path, opset=opset, fold=fold)
    if convert_to is not None:
        convert_opset(path, convert_to)
    if metadata:
        add_metadata(path, metadata)
    if calibrate:
        write_graph_oracle(model, name, out_dir, input_shape, seed, tries=tries, screen=screen)
    else:
        write_oracle(model, name, out_dir, input_shape, classes, seed)
    check_onnxruntime(name, out_dir)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


def make_handmade(out_dir: str, opset: int) -> None:
    import handmade

    name = f"handmade_opset{opset}"
    torch.manual_seed(50 + opset)
    onnx.save(handmade.graph(handmade.Weights(seed=7), opset), os.path.join(out_dir, f"{name}.onnx"))
    write_oracle(handmade.Module(seed=7), name, out_dir, handmade.INPUT_SHAPE, handmade.CLASSES, seed=7)
    check_onnxruntime(name, out_dir)
    print(f"wrote {name}.onnx")


def make_unsupported(out_dir: str) -> None:
    """A valid ONNX file whose second node uses an operator Fovea does not implement (Erf)."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])
    nodes = [
        helper.make_node("Relu", ["input"], ["r"], name="/act/Relu"),
        helper.make_node("Erf", ["r"], ["logits"], name="/gelu/Erf"),
    ]
    graph = helper.make_graph(nodes, "unsupported", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="fovea-oracle")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, "unsupported_op.onnx"))
    print("wrote unsupported_op.onnx")


def small(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    make("tiny_cnn", TinyCNN, out_dir, (3, 16, 16), 5, seed=1)
    # The same network in older and newer opsets: Clip's min/max as attributes (opset 9) vs inputs,
    # Squeeze/Unsqueeze axes as attribute vs input (13), and opset 21 via onnx's converter.
    make("tiny_cnn_opset9", TinyCNN, out_dir, (3, 16, 16), 5, seed=1, opset=9)
    make("tiny_cnn_opset21", TinyCNN, out_dir, (3, 16, 16), 5, seed=1, convert_to=21)
    make("tiny_ops", TinyOps, out_dir, (3, 16, 16), 7, seed=2)
    make("tiny_ops_opset11", TinyOps, out_dir, (3, 16, 16), 7, seed=2, opset=11)
    # Without constant folding the exporter leaves Shape/Gather/Unsqueeze/Concat chains and Constant nodes.
    make("tiny_ops_unfolded", TinyOps, out_dir, (3, 16, 16), 7, seed=2, fold=False)
    make("tiny_fashion", TinyFashion, out_dir, (1, 28, 28), 10, seed=3, fold=False, metadata={
        "fovea.mean": json.dumps([0.2860]),
        "fovea.std": json.dumps([0.3530]),
        "fovea.input_size": json.dumps([28, 28]),
        "fovea.classes": json.dumps(FASHION_CLASSES),
    })
    make("tiny_mlp", TinyMLP, out_dir, (2, 5, 5), 4, seed=4)
    for opset in (9, 11, 13, 21):
        make_handmade(out_dir, opset)
    make_unsupported(out_dir)


def torchvision_models():
    import torchvision.models as tvm

    # Cheapest first, so a partial run (`--only`) still covers the most.
    return {
        "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
        "squeezenet1_0": lambda: tvm.squeezenet1_0(weights=None),
        "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
        "resnet18": lambda: tvm.resnet18(weights=None),
        "alexnet": lambda: tvm.alexnet(weights=None),
        # transform_input=True adds the Gather/Unsqueeze/Mul/Add/Concat input transform.
        "googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=True, transform_input=True),
        "resnet50": lambda: tvm.resnet50(weights=None),
        "vgg11": lambda: tvm.vgg11(weights=None),
        "vgg16": lambda: tvm.vgg16(weights=None),
    }


IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def large(out_dir: str, only: list[str] | None, tries: int = 12, screen: int = 48) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for i, (name, build) in enumerate(torchvision_models().items()):
        if only and name not in only:
            continue
        meta = None
        if name == "squeezenet1_1":
            meta = {
                "fovea.mean": json.dumps(IMAGENET_MEAN),
                "fovea.std": json.dumps(IMAGENET_STD),
                "fovea.input_size": json.dumps([224, 224]),
                "fovea.classes": json.dumps([f"class {k}" for k in range(1000)]),
            }
        make(name, build, out_dir, (3, 224, 224), 1000, seed=100 + i, metadata=meta, calibrate=True, tries=tries,
             screen=screen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also export the torchvision models to tools/oracle/out")
    parser.add_argument("--only", nargs="*", help="torchvision model names to (re)generate")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--tries", type=int, default=12,
                        help="flip-free candidate inputs per image given the full stability check (torchvision "
                             "models); 0 skips the search (no float64 passes) and takes the first input")
    parser.add_argument("--screen", type=int, default=48,
                        help="candidate inputs per image screened for float32-vs-float64 kink flips (forward only)")
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    if not args.skip_small:
        small(SMALL_DIR)
    if args.large:
        large(LARGE_DIR, args.only, args.tries, args.screen)


if __name__ == "__main__":
    main()
