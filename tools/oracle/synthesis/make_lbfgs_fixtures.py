#!/usr/bin/env python3
"""Oracle for the L-BFGS optimiser (issue 6): torch.optim.LBFGS on CS231n's style-transfer loss through the
seeded 3-conv network of make_fixtures.py (its net.onnx weights and inputs are read back, so both scripts
agree), and on the Rosenbrock function.

    /work/torchenv/bin/python tools/oracle/synthesis/make_lbfgs_fixtures.py

Writes Tests/EngineTests/Fixtures/synthesis/lbfgs.json and lbfgs_*.npy:
  plain        one step(closure) with neural-style's settings: lr 1, history 100, max_iter 12, tolerances −1
               (no early stop), no line search; the loss at every closure call and the final image
  history      two consecutive step() calls of max_iter 5 with history_size 3 (history trimming, state
               carried between steps), default tolerances

The style loss (weights up to 20000) is stiff: perturbing its gradient by 3e-6·max|g| moves the loss after 12
iterations by 3e-3, so float32 summation order alone separates implementations by that much after a few
iterations (the Swift test allows it); the strong-Wolfe line search, whose cubic interpolation can sit on a
float32 tie there, is checked on Rosenbrock instead.
  rosenbrock   strong-Wolfe L-BFGS on (1 − x)² + 100 (y − x²)² from (−1.5, 2), max_iter 40: every iterate
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "synthesis")

import sys  # noqa: E402

sys.path.insert(0, HERE)
from make_fixtures import Net, content_loss, gram_matrix, style_loss, tv_loss  # noqa: E402


def load_net():
    net = Net().eval()
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
               for t in onnx.load(os.path.join(OUT, "net.onnx")).graph.initializer}
    net.load_state_dict(weights)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def npy(name):
    return torch.from_numpy(np.load(os.path.join(OUT, name)))


def main():
    torch.set_num_threads(1)
    values = json.load(open(os.path.join(OUT, "values.json")))
    net = load_net()
    content, style, image = npy("content.npy"), npy("style.npy"), npy("image.npy")
    with torch.no_grad():
        content_target = net.features(content)[values["content_layer"]]
        sf = net.features(style)
        style_targets = [gram_matrix(sf[layer]) for layer in values["style_layers"]]

    def total(img):
        feats = net.features(img)
        return (content_loss(values["content_weight"], feats[values["content_layer"]], content_target)
                + style_loss(feats, values["style_layers"], style_targets, values["style_weights"])
                + tv_loss(img, values["tv_weight"]))

    def run(steps, **options):
        img = image.clone().requires_grad_()
        optimizer = torch.optim.LBFGS([img], **options)
        losses = []

        def closure():
            optimizer.zero_grad()
            loss = total(img)
            loss.backward()
            losses.append(loss.item())
            return loss

        for _ in range(steps):
            optimizer.step(closure)
        return losses, img.detach().numpy().astype(np.float32)

    out = {}
    cases = {
        "plain": (1, dict(lr=1, max_iter=12, history_size=100, tolerance_grad=-1, tolerance_change=-1)),
        "history": (2, dict(lr=1, max_iter=5, history_size=3)),
    }
    for name, (steps, options) in cases.items():
        losses, final = run(steps, **options)
        np.save(os.path.join(OUT, f"lbfgs_{name}.npy"), final)
        out[name] = {"losses": losses, "steps": steps,
                     "options": {k: v for k, v in options.items()}}

    xy = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.LBFGS([xy], lr=1, max_iter=40, line_search_fn="strong_wolfe")
    iterates = []

    def rosenbrock():
        optimizer.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        iterates.append([xy[0].item(), xy[1].item(), loss.item()])
        return loss

    optimizer.step(rosenbrock)
    out["rosenbrock"] = {"evaluations": iterates, "final": xy.detach().tolist()}
    with open(os.path.join(OUT, "lbfgs.json"), "w") as f:
        json.dump(out, f, indent=1)
    for name in cases:
        print(name, len(out[name]["losses"]), out[name]["losses"][0], "→", out[name]["losses"][-1])
    print("rosenbrock", len(iterates), "evaluations, final", out["rosenbrock"]["final"])


if __name__ == "__main__":
    main()
