#!/usr/bin/env python3
"""Oracle fixtures for the attribution experiments (issue 5), made with PyTorch + Captum.

Run with a Python that has torch, captum, onnx (e.g. tools' venv):
    python tools/oracle/attribution/make_attribution_fixtures.py [--large]

Writes (small, committed):
  Tests/EngineTests/Fixtures/captum/tiny.json        Captum's own BasicModel_ConvNet_One_Conv: guided backprop,
                                                      Grad-CAM, occlusion (several windows/strides), saliency, IG
  Tests/EngineTests/Fixtures/captum/fashion.onnx     a small CNN trained here on Fashion-MNIST (seed 0)
  Tests/EngineTests/Fixtures/captum/fashion.*.npy    inputs and Captum outputs on it
With --large (not committed; tools/oracle/out/captum/): the same on torchvision squeezenet1_1 with seeded weights.
Everything is seeded, so re-running gives the same files.
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from captum.attr import GuidedBackprop, IntegratedGradients, LayerGradCam, NoiseTunnel, Occlusion, Saliency
from captum.testing.helpers.basic_models import BasicModel_ConvNet_One_Conv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SMALL = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "captum")
LARGE = os.path.join(ROOT, "tools", "oracle", "out", "captum")
FASHION = "/usr/share/datasets/fashion-mnist"


def tolist(t):
    return t.detach().double().numpy().tolist()


def tiny():
    """Captum's BasicModel_ConvNet_One_Conv with its fixed weights, the input Captum's tests use."""
    torch.manual_seed(0)
    net = BasicModel_ConvNet_One_Conv().eval()
    inp = 1.0 * torch.arange(16, dtype=torch.float).view(1, 1, 4, 4)
    batch = torch.cat([inp, torch.flip(inp, dims=[3]) * 0.5 + 3.0])
    out = {"input": tolist(batch), "logits": tolist(net(batch))}
    out["guided"] = {str(t): tolist(GuidedBackprop(net).attribute(batch, target=t)) for t in range(4)}
    out["saliency"] = {str(t): tolist(Saliency(net).attribute(batch, target=t, abs=True)) for t in range(4)}
    out["gradcam"] = {str(t): tolist(LayerGradCam(net, net.conv1).attribute(batch, target=t, relu_attributions=True))
                      for t in range(4)}
    out["gradcam_relu1"] = {str(t): tolist(LayerGradCam(net, net.relu1).attribute(batch, target=t, relu_attributions=True))
                            for t in range(4)}
    out["ig"] = {str(t): tolist(IntegratedGradients(net).attribute(batch, target=t, n_steps=50,
                                                                   method="riemann_trapezoid")) for t in range(4)}
    occ = []
    for window, stride, fill in [((1, 2, 2), (1, 1, 1), 0.0), ((1, 2, 2), (1, 2, 2), 0.0), ((1, 3, 3), (1, 2, 2), 1.5),
                                 ((1, 1, 4), (1, 1, 3), 0.0), ((1, 4, 4), (1, 1, 1), -2.0), ((1, 3, 2), (1, 2, 1), 0.0)]:
        for target in range(4):
            a = Occlusion(net).attribute(batch, sliding_window_shapes=window, strides=stride, baselines=fill,
                                         target=target)
            occ.append({"window": list(window[1:]), "stride": list(stride[1:]), "fill": fill, "target": target,
                        "attribution": tolist(a)})
    out["occlusion"] = occ
    os.makedirs(SMALL, exist_ok=True)
    with open(os.path.join(SMALL, "tiny.json"), "w") as f:
        json.dump(out, f)


def read_idx(name):
    with gzip.open(os.path.join(FASHION, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc2(self.relu3(self.fc1(torch.flatten(x, 1))))


MEAN, STD = 0.2860, 0.3530


def trained_fashion():
    torch.manual_seed(0)
    images = torch.tensor(read_idx("train-images-idx3-ubyte.gz")[:20000], dtype=torch.float32).unsqueeze(1) / 255
    labels = torch.tensor(read_idx("train-labels-idx1-ubyte.gz")[:20000], dtype=torch.long)
    x = (images - MEAN) / STD
    net = FashionNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for epoch in range(2):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(net(x[idx]), labels[idx]).backward()
            opt.step()
    net.eval()
    test = torch.tensor(read_idx("t10k-images-idx3-ubyte.gz")[:32], dtype=torch.float32).unsqueeze(1) / 255
    return net, stable_rows((test - MEAN) / STD, net, count=4)


def stable_rows(x, net, count, tolerance=1e-5):
    """The first `count` rows whose gradients and integrated gradients PyTorch computes alike in float32 and
    float64 (within `tolerance` of their maximum). A path point of integrated gradients that lands within rounding
    of a ReLU or max-pool kink makes the float32 answer itself uncertain by far more than the 1e-3 the tests
    check (the first Fashion-MNIST test image: 4.7e-3 between two machines' float32 runs, 2.1e-2 to float64)."""
    import copy
    wide = copy.deepcopy(net).double()
    target = net(x).argmax(1)

    def attributions(model, inputs):
        return (Saliency(model).attribute(inputs, target=target, abs=True),
                IntegratedGradients(model).attribute(inputs, target=target, n_steps=50, method="riemann_trapezoid",
                                                     internal_batch_size=25))
    kept = []
    for row, (narrow, precise) in enumerate(zip(zip(*attributions(net, x)), zip(*attributions(wide, x.double())))):
        errors = [float((a.double() - b).abs().max() / b.abs().max().clamp_min(1e-30)) for a, b in zip(narrow, precise)]
        print(f"  test image {row}: float32 vs float64 saliency {errors[0]:.1e}, integrated gradients {errors[1]:.1e}")
        if max(errors) <= tolerance:
            kept.append(row)
        if len(kept) == count:
            break
    assert len(kept) == count, f"only {len(kept)} stable rows"
    return x[kept]


def attribute_all(net, x, out_dir, prefix, layer, occlusion_settings, ig_steps=50):
    """Captum outputs for the top class of each row."""
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        logits = net(x)
    target = logits.argmax(1)
    save = lambda name, t: np.save(os.path.join(out_dir, f"{prefix}.{name}.npy"), t.detach().numpy().astype(np.float32))
    save("input", x)
    save("logits", logits)
    np.save(os.path.join(out_dir, f"{prefix}.target.npy"), target.numpy().astype(np.int64))
    save("saliency", Saliency(net).attribute(x, target=target, abs=True))
    save("guided", GuidedBackprop(net).attribute(x, target=target))
    save("integrated", IntegratedGradients(net).attribute(x, target=target, n_steps=ig_steps,
                                                         method="riemann_trapezoid", internal_batch_size=25))
    save("gradcam", LayerGradCam(net, layer).attribute(x, target=target, relu_attributions=True))
    prob = lambda inp: F.softmax(net(inp), dim=1)
    for window, stride, fill in occlusion_settings:
        c = x.shape[1]
        a = Occlusion(prob).attribute(x, sliding_window_shapes=(c, window, window), strides=(c, stride, stride),
                                      baselines=fill, target=target, perturbations_per_eval=64)
        save(f"occlusion_w{window}_s{stride}", a)


def export(net, example, path):
    torch.onnx.export(net, example, path, dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also squeezenet1_1 (written to tools/oracle/out)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    tiny()
    net, x = trained_fashion()
    export(net, x, os.path.join(SMALL, "fashion.onnx"))
    attribute_all(net, x, SMALL, "fashion", net.conv2, [(7, 3, 0.0), (4, 2, 0.0)])
    if args.large:
        import torchvision
        torch.manual_seed(0)
        sq = torchvision.models.squeezenet1_1(weights=None).eval()
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
        os.makedirs(LARGE, exist_ok=True)
        export(sq, x, os.path.join(LARGE, "squeezenet1_1.onnx"))
        attribute_all(sq, x, LARGE, "squeezenet1_1", sq.features[12], [(32, 16, 0.0)])


if __name__ == "__main__":
    main()
