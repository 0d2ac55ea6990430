#!/usr/bin/env python3
"""Oracle fixtures for the synthesis experiments (issue 6), computed with PyTorch as CS231n's
StyleTransfer-PyTorch notebook does (content_loss, gram_matrix(normalize=True), style_loss, tv_loss, Adam).

    /work/torchenv/bin/python tools/oracle/synthesis/make_fixtures.py

Writes Tests/EngineTests/Fixtures/synthesis/ (small, committed, seeded so re-running gives the same files):
  net.onnx            a seeded 3-conv+ReLU network (conv1..relu3; dynamic N, H, W)
  content.npy style.npy image.npy   inputs [1, 3, 20, 24] in input space
  values.json         content, style, TV losses; the Gram matrix of relu1 for the style image
  grad_*.npy          gradients of each term and of the total with respect to `image`
  adam_step.npy       the image after one step of CS231n's loop (clamp to ±1.5, loss, Adam lr 3.0)
  dream_grad.npy      the input gradient of ½‖relu2‖² (DeepDream's objective) at `image`

and Tests/EngineTests/Fixtures/synthesis/squeezenet1_1/ (issue 6's acceptance check): the same files for
torchvision's squeezenet1_1 with seeded weights (torch.manual_seed(100), the seed of tools/oracle/out's
squeezenet1_1), CS231n's settings (content features.3 at 5e-2, style features.1/4/6/7 at 20000/500/12/1, TV
5e-2), inputs [1, 3, 64, 80] and DeepDream at features.7. Only `features[:8]` is exported (CS231n's losses
never look deeper), wrapped so the layer names are the full model's (`features.3`, `features.3.expand1x1`…):
480 kB instead of the full model's 5 MB, and the same numbers.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torchvision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "synthesis")
SQUEEZENET_OUT = os.path.join(OUT, "squeezenet1_1")

CONTENT_LAYER = "relu2"
CONTENT_WEIGHT = 5e-2
STYLE_LAYERS = ["relu1", "relu2", "relu3"]
STYLE_WEIGHTS = [20000.0, 5000.0, 1000.0]
TV_WEIGHT = 5e-2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.relu3 = nn.ReLU()

    def features(self, x):
        out = {}
        x = self.relu1(self.conv1(x)); out["relu1"] = x
        x = self.relu2(self.conv2(x)); out["relu2"] = x
        x = self.relu3(self.conv3(x)); out["relu3"] = x
        return out

    def forward(self, x):
        return self.features(x)["relu3"]


# CS231n's functions, verbatim in substance.
def content_loss(content_weight, content_current, content_original):
    return content_weight * torch.sum((content_current - content_original) ** 2)


def gram_matrix(features, normalize=True):
    n, c, h, w = features.shape
    f = features.view(n, c, h * w)
    g = torch.bmm(f, f.transpose(1, 2))
    if normalize:
        g = g / (h * w * c)
    return g


def style_loss(feats, style_layers, style_targets, style_weights):
    loss = 0
    for i, layer in enumerate(style_layers):
        loss = loss + style_weights[i] * torch.sum((gram_matrix(feats[layer]) - style_targets[i]) ** 2)
    return loss


def tv_loss(img, tv_weight):
    return tv_weight * (torch.sum((img[:, :, 1:, :] - img[:, :, :-1, :]) ** 2)
                        + torch.sum((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2))


class SqueezeNetFeatures(nn.Module):
    """torchvision squeezenet1_1's `features[:depth]` under the attribute name `features`, so the exporter's
    module paths (and Fovea's layer names) are the full model's; `features(x)` returns every layer's output
    by name, as CS231n's extract_features does."""

    def __init__(self, depth: int = 8):
        super().__init__()
        self.features = torchvision.models.squeezenet1_1(weights=None).features[:depth]

    def named_features(self, x):
        out = {}
        for i, module in enumerate(self.features):
            x = module(x)
            out[f"features.{i}"] = x
        return out

    def forward(self, x):
        return self.features(x)


def write_oracle(out_dir, features, content, style, image, settings, dream_layer, gram_key, features64=None):
    """Losses, gradients, one Adam step and DeepDream's gradient for `features` (input → {layer: activation}).

    With `features64` (the same network in float64) the Adam step is also written in float64
    (`adam_step64.npy`): Adam's first step is lr·g/(|g| + 1e-8), so at a pixel whose gradient is a few 1e-6
    a rounding-level change of g moves the step by 1e-4 of the image's scale, and PyTorch's own float32 and
    float64 steps differ by that much; a float32 implementation may match either."""
    content_layer, content_weight = settings["content_layer"], settings["content_weight"]
    style_layers, style_weights, tv_weight = settings["style_layers"], settings["style_weights"], settings["tv_weight"]
    with torch.no_grad():
        content_target = features(content)[content_layer].clone()
        sf = features(style)
        style_targets = [gram_matrix(sf[layer]).clone() for layer in style_layers]

    def terms(img):
        feats = features(img)
        c = content_loss(content_weight, feats[content_layer], content_target)
        s = style_loss(feats, style_layers, style_targets, style_weights)
        t = tv_loss(img, tv_weight)
        return c, s, t

    values = {}
    for name in ["content", "style", "tv", "total"]:
        img = image.clone().requires_grad_()
        c, s, t = terms(img)
        loss = {"content": c, "style": s, "tv": t, "total": c + s + t}[name]
        loss.backward()
        values[name] = loss.item()
        np.save(os.path.join(out_dir, f"grad_{name}.npy"), img.grad.numpy().astype(np.float32))
    values[gram_key] = style_targets[0][0].numpy().astype(np.float64).tolist()
    values.update(content_layer=content_layer, content_weight=content_weight, style_layers=style_layers,
                  style_weights=style_weights, tv_weight=tv_weight)

    # One step of CS231n's loop: clamp (t < 190), loss, backward, Adam(lr=3.0).step().
    img = image.clone()
    img.requires_grad_()
    optimizer = torch.optim.Adam([img], lr=3.0)
    img.data.clamp_(-1.5, 1.5)
    optimizer.zero_grad()
    c, s, t = terms(img)
    (c + s + t).backward()
    optimizer.step()
    np.save(os.path.join(out_dir, "adam_step.npy"), img.detach().numpy().astype(np.float32))
    if features64 is not None:
        with torch.no_grad():
            content_target = features64(content.double())[content_layer].clone()
            sf = features64(style.double())
            style_targets = [gram_matrix(sf[layer]).clone() for layer in style_layers]
        img64 = image.double().clone().requires_grad_()
        optimizer = torch.optim.Adam([img64], lr=3.0)
        img64.data.clamp_(-1.5, 1.5)
        feats = features64(img64)
        (content_loss(content_weight, feats[content_layer], content_target)
         + style_loss(feats, style_layers, style_targets, style_weights) + tv_loss(img64, tv_weight)).backward()
        optimizer.step()
        step64 = img64.detach().numpy()
        np.save(os.path.join(out_dir, "adam_step64.npy"), step64.astype(np.float32))
        values["adam_float32_vs_float64"] = float(np.abs(img.detach().numpy() - step64).max() / np.abs(step64).max())

    # DeepDream's objective: ½‖a‖², gradient with respect to the input.
    img = image.clone().requires_grad_()
    a = features(img)[dream_layer]
    (0.5 * (a ** 2).sum()).backward()
    values["dream_objective"] = (0.5 * (a ** 2).sum()).item()
    np.save(os.path.join(out_dir, "dream_grad.npy"), img.grad.numpy().astype(np.float32))

    for name, t in [("content", content), ("style", style), ("image", image)]:
        np.save(os.path.join(out_dir, f"{name}.npy"), t.numpy().astype(np.float32))
    with open(os.path.join(out_dir, "values.json"), "w") as f:
        json.dump(values, f, indent=1)
    print(out_dir, {k: v for k, v in values.items() if not isinstance(v, list)})


def small_net():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    net = Net().eval()
    shape = (1, 3, 20, 24)
    content = torch.randn(shape)
    style = torch.randn(shape) * 0.8 + 0.1
    image = torch.randn(shape) * 0.7
    torch.onnx.export(net, content, os.path.join(OUT, "net.onnx"), dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}, "output": {0: "n", 2: "oh", 3: "ow"}})
    settings = dict(content_layer=CONTENT_LAYER, content_weight=CONTENT_WEIGHT, style_layers=STYLE_LAYERS,
                    style_weights=STYLE_WEIGHTS, tv_weight=TV_WEIGHT)
    write_oracle(OUT, net.features, content, style, image, settings, "relu2", "gram_relu1")


def squeezenet():
    torch.manual_seed(100)
    os.makedirs(SQUEEZENET_OUT, exist_ok=True)
    net = SqueezeNetFeatures().eval()
    g = torch.Generator().manual_seed(6)
    shape = (1, 3, 64, 80)
    content = torch.randn(shape, generator=g)
    style = torch.randn(shape, generator=g) * 0.8 + 0.1
    image = torch.randn(shape, generator=g) * 0.7
    torch.onnx.export(net, content, os.path.join(SQUEEZENET_OUT, "net.onnx"), dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}, "output": {0: "n", 2: "oh", 3: "ow"}})
    settings = dict(content_layer="features.3", content_weight=5e-2,
                    style_layers=["features.1", "features.4", "features.6", "features.7"],
                    style_weights=[20000.0, 500.0, 12.0, 1.0], tv_weight=5e-2)
    net64 = SqueezeNetFeatures().eval()
    net64.load_state_dict(net.state_dict())
    net64.double()
    write_oracle(SQUEEZENET_OUT, net.named_features, content, style, image, settings, "features.7", "gram_first",
                 features64=net64.named_features)


def main():
    small_net()
    squeezenet()


if __name__ == "__main__":
    main()
