"""Finding and removing the kinks that make a fixture input's float32 gradient ill-defined.

The input gradient of a ReLU/Clip/max-pool network is piecewise constant in the network's decisions: which
units are on, which value wins each pooling window. A decision whose margin is within float32 rounding
(~1e-6 of its layer's scale after a few dozen layers) can go either way in any correct float32
implementation, and when it does the gradient jumps. Comparing two implementations on such an input
measures rounding luck, not correctness.

Flip screening (float32 vs float64 forward passes) finds only the decisions that happened to flip in
PyTorch's rounding; another implementation rounds differently and flips others (googlenet: an
`inception3b` pooling window whose two largest values are 2e-8 of the layer's scale apart passed PyTorch's
screen and flipped in Fovea). So this module looks at every decision's margin in float64 instead, keeps
the ones close enough to a kink to flip (within `CLOSENESS` times the float32 rounding measured in their
layer) *and* whose flip would move the input gradient measurably (`impact` of its largest element), and moves
the input off them (`push_off`). On the torchvision models nearly every near decision that gradient reaches
matters: one flip typically moves the input gradient by 1e-2 … 1e-1 of its largest element.

Estimating a flip's impact: flipping unit u changes the input gradient by g_u · ∂p_u/∂x, where g_u is the
gradient arriving at the unit's output (one backward pass gives it for every unit at once) and ∂p_u/∂x its
pre-activation's input gradient. The latter is estimated per layer from one unit (`layer_sensitivity`,
cached across candidates: it depends on the weights far more than on the input), with a safety factor.
"""

from __future__ import annotations

import math

import onnx
import torch
import torch.nn.functional as F

# A decision is "near" its kink when its float64 margin is below this many times float32's rounding
# error in its layer (PyTorch's, measured; another implementation's summation order, or a Winograd
# convolution, rounds a few times worse).
CLOSENESS = 3.0
# ... and matters when flipping it could move the input gradient by more than this fraction of its largest
# element (the fixtures' acceptance bound is 1e-3, float32-vs-float64 agreement is required to 1e-5).
IMPACT = 1e-5
# Per-layer sensitivities come from one unit; units of a layer differ (borders, channels), so the
# estimate is inflated by this factor.
SAFETY = 10.0
# The guard band: while near decisions are pushed off, every decision within this many near bounds of its kink is
# held where it is (`push_off`), so that the step cannot bring it near. Without it, mobilenet_v2 (~280 near
# decisions per random input, the ReLU6 units of 17 inverted-residual blocks) stalled at ~20–30: each step brought
# as many decisions near as it cleared. With it (from the fifth step on): 351 → 166 → 60 → 29 → 32 → 7 → 0.
GUARD = 4.0


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pool_windows(node: onnx.NodeProto, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For a 2-D MaxPool node on `x` [N, C, H, W]: each window's values [N, C, K, L] and their flat indices
    into `x` (-1 for padding), windows in output order (ceil_mode and asymmetric pads included)."""
    a = _attrs(node)
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    n, c, h, w = x.shape

    def out_size(size, k, s, d, p0, p1):
        span = size + p0 + p1 - d * (k - 1) - 1
        o = (span + (s - 1 if a.get("ceil_mode", 0) else 0)) // s + 1
        if a.get("ceil_mode", 0) and (o - 1) * s >= size + p0:
            o -= 1  # the last window must start inside the input or its leading padding
        return o

    oh, ow = out_size(h, kh, sh, dh, pt, pb), out_size(w, kw, sw, dw, pl, pr)
    extra_b = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (h + pt + pb))
    extra_r = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (w + pl + pr))
    pads = (pl, pr + extra_r, pt, pb + extra_b)
    index = torch.arange(n * c * h * w, dtype=torch.float64).reshape(n * c, 1, h, w)
    values = F.pad(x.detach().reshape(n * c, 1, h, w), pads, value=-math.inf)
    index = F.pad(index, pads, value=-1)
    unfold = dict(kernel_size=(kh, kw), dilation=(dh, dw), stride=(sh, sw))
    v, i = F.unfold(values, **unfold), F.unfold(index, **unfold)
    assert v.shape[-1] == oh * ow, f"{node.name}: {v.shape[-1]} windows, the pool has {oh}×{ow}"
    return v.reshape(n, c, kh * kw, oh * ow), i.reshape(n, c, kh * kw, oh * ow).long()


class Decision:
    """One near-kink decision: a unit's pre-activation against a bound (ReLU, Clip), or the difference of
    a pooling window's two largest values. `value(values)` is its signed margin (float64, differentiable),
    `near_by` the margin below which it counts as near."""

    def __init__(self, kind: str, name: str, first: int, second: int | float, near_by: float, layer: str):
        self.kind, self.name, self.first, self.second, self.near_by, self.layer = kind, name, first, second, near_by, layer
        self.impact = 0.0  # estimated change of the input gradient if it flipped, relative to its largest element

    @property
    def key(self) -> tuple:
        return (self.kind, self.name, self.first, self.second)

    def value(self, values: dict) -> torch.Tensor:
        flat = values[self.name].reshape(-1)
        if self.kind == "unit":
            return flat[self.first] - self.second
        return flat[self.first] - flat[self.second]

    def __repr__(self) -> str:
        return f"{self.kind} {self.layer}[{self.first}]"


def layer_sensitivity(graph64, x: torch.Tensor, name: str, flat: int, cache: dict) -> float:
    """max |∂v/∂x| for value `name`'s element `flat`, cached per value name (an estimate for its layer)."""
    if name not in cache:
        x64 = x.double().detach().requires_grad_()
        v = graph64.run(x64)[name].reshape(-1)[flat]
        (g,) = torch.autograd.grad(v, x64)
        cache[name] = g.abs().max().item()
    return cache[name]


def near_kinks(graph32, graph64, x: torch.Tensor, target: torch.Tensor, cache: dict,
               closeness: float = CLOSENESS, impact: float = IMPACT, within: float = 1.0) -> list[Decision]:
    """The decisions of `graph64` (onnx_torch, float64) at `x` (one image) within `closeness` times
    float32's rounding of a kink whose flip could move the gradient of logits[target] by more than
    `impact` of its largest element. Float32's rounding of a layer is measured, as the largest difference
    between `graph32`'s and `graph64`'s values relative to the layer's scale: it grows with depth, from
    ~1e-7 at the first convolution to ~1e-6 thirty layers on. With `within` > 1, the decisions within that many
    near bounds (each still has `near_by` = its near bound): the guard band of `push_off`."""
    with torch.no_grad():
        values32 = graph32.run(x.float())
    values = graph64.run(x.double(), retain=True)
    score = values[graph64.output_name].reshape(-1)[int(target)]
    score.backward()
    x_grad = values[graph64.input_name].grad.abs().max().item()
    found: dict[tuple, Decision] = {}
    for node in graph64.model.graph.node:
        if node.op_type not in ("Relu", "Clip", "MaxPool"):
            continue
        pre_name, out_name = node.input[0], node.output[0]
        pre, out = values[pre_name].detach(), values[out_name]
        if out.grad is None:
            continue
        scale = pre.abs().max().item()
        if scale == 0:
            continue
        rounding = (values32[pre_name].double() - pre).abs().max().item() / scale
        near_by = closeness * max(rounding, 1e-8) * scale
        upstream = out.grad.detach()
        candidates: list[tuple[Decision, float]] = []
        if node.op_type in ("Relu", "Clip"):
            bounds = [0.0] if node.op_type == "Relu" else [
                float(values[node.input[k]]) for k in (1, 2) if len(node.input) > k and node.input[k]]
            flat_pre, flat_up = pre.reshape(-1), upstream.reshape(-1).abs()
            for bound in bounds:
                near = ((flat_pre - bound).abs() < within * near_by) & (flat_up > 0)
                for k in near.nonzero().reshape(-1).tolist():
                    candidates.append((Decision("unit", pre_name, k, bound, near_by, node.name), flat_up[k].item()))
        elif pre.dim() == 4:
            v, idx = _pool_windows(node, pre)
            top, where = v.topk(2, dim=2)
            gap = top[:, :, 0] - top[:, :, 1]
            up = upstream.reshape(gap.shape).abs()
            # A window whose largest value is exactly 0 (all of a ReLU's units off) passes no gradient. An
            # exact tie is a value copied by an earlier pooling: float32 copies it exactly too, and both
            # candidates lead back to the same unit.
            near = (gap < within * near_by) & (gap > 0) & (up > 0) & (top[:, :, 0] != 0)
            for n, c, l in near.nonzero().tolist():
                first = int(idx[n, c, where[n, c, 0, l], l])
                second = int(idx[n, c, where[n, c, 1, l], l])
                if second < 0:
                    continue  # the runner-up is padding (-inf): no tie
                candidates.append((Decision("pair", pre_name, first, second, near_by, node.name), up[n, c, l].item()))
        for decision, g in candidates:
            sensitivity = layer_sensitivity(graph64, x, decision.name, decision.first, cache)
            decision.impact = g * sensitivity * SAFETY / x_grad
            if decision.impact > impact:
                # Overlapping windows share pairs: one step per decision.
                found.setdefault(decision.key, decision)
    return list(found.values())


def push_off(graph64, x: torch.Tensor, decisions: list[Decision], gradients: dict) -> tuple[torch.Tensor, set]:
    """Moves the input so that each decision's margin becomes at least twice its closeness bound (on the side chosen
    below): the smallest step that does so for all of them at once to first order (G the gradients of the margins,
    step = Gᵀ (G Gᵀ)⁻¹ Δ). Independent steps per decision are not enough where decisions share inputs
    (mobilenet_v2's depthwise layers: each step undid others), so the caller passes every decision it has
    pinned so far and the guard band (`GUARD`), and the ones already in place stay there (Δ = 0). `gradients`
    caches each decision's margin gradient by key (one float64 backward pass each): steps are 1e-6 … 1e-4 of the
    input's scale, too small to change them. The input stays a random draw in every other respect. Returned in
    float32, with the keys of the inert decisions: margins that do not depend on the input at all (a depthwise unit
    whose inputs are all clipped to zero is its bias), which no input moves and no implementation rounds differently."""
    x64 = x.double().detach().requires_grad_()
    values = graph64.run(x64)
    rows, margins = [], []
    for d in decisions:
        m = d.value(values)
        if d.key not in gradients:
            (grad,) = torch.autograd.grad(m, x64, retain_graph=True)
            gradients[d.key] = grad.detach().reshape(-1)
        rows.append(gradients[d.key])
        margins.append(m.item())
    g = torch.stack(rows)
    size = g.abs().amax(dim=1)
    live = size > 1e-9 * size.max()
    inert = {d.key for d, alive in zip(decisions, live.tolist()) if not alive}
    if not live.any():
        return x, inert
    g = g[live]
    margins = torch.tensor([m for m, alive in zip(margins, live.tolist()) if alive], dtype=torch.float64)
    bounds = torch.tensor([d.near_by for d, alive in zip(decisions, live.tolist()) if alive], dtype=torch.float64)
    gram = g @ g.T
    # A tiny ridge: two decisions can have (nearly) the same gradient, e.g. a pool pair and its unit.
    gram += torch.eye(len(g), dtype=gram.dtype) * 1e-12 * gram.diagonal().max()
    # Either side of a kink is as good: each decision goes to the side it is on, unless two decisions with nearly
    # the same gradient sit on opposite sides (mobilenet_v2's neighbouring depthwise units), where separating them
    # takes a step orders of magnitude longer than moving both the same way. So the sides are chosen greedily:
    # flip the decision that pulls hardest while that shortens the step.
    sides = torch.where(margins >= 0, 1.0, -1.0).double()

    def solve(sides):
        # Each decision ends at least twice its bound from its kink; one already farther stays where it is.
        goal = torch.where(sides * margins >= 2 * bounds, margins, sides * 2 * bounds)
        a = torch.linalg.solve(gram, goal - margins)
        return a, (a @ gram @ a).item()

    a, norm = solve(sides)
    for _ in range(min(16, len(sides))):
        k = int(a.abs().argmax())
        sides[k] = -sides[k]
        b, flipped = solve(sides)
        if flipped >= norm:
            sides[k] = -sides[k]
            break
        a, norm = b, flipped
    step = (g.T @ a).reshape(x64.shape)
    return (x.double() + step).float(), inert
