"""PyTorch's half of bench/synthesis: CS231n's style-transfer loop and google/deepdream's octave, written as
the references write them, on torchvision squeezenet1_1 seeded as tools/oracle (torch.manual_seed(100)).

Style transfer follows CS231n assignment 3 (StyleTransfer-PyTorch): content features.3 at 5e-2, style
features.1/4/6/7 at 20000/500/12/1, TV 5e-2, Adam lr 3.0 restarted at 0.1 after 90 % of the steps, pixels
clamped to ±1.5 until 95 %. One difference in PyTorch's favour: the features are computed up to features.7,
the deepest layer the losses use, where CS231n's extract_features runs the whole of `features`.
"""
import os

import numpy as np
import torch
import torchvision

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def gram_matrix(features):
    n, c, h, w = features.shape
    f = features.view(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (h * w * c)


def setup(config: dict) -> dict:
    work = config["work"]
    steps = config["style_steps"]
    dream_steps = config["dream_steps"]
    dream_layer = int(config["dream_layer"].split(".")[1])
    torch.manual_seed(100)
    full = torchvision.models.squeezenet1_1(weights=None).eval()
    features = full.features
    for p in features.parameters():
        p.requires_grad_(False)
    content = torch.from_numpy(np.load(os.path.join(work, "content.npy")))
    style = torch.from_numpy(np.load(os.path.join(work, "style.npy")))
    content_layer, content_weight = 3, 5e-2
    style_layers, style_weights, tv_weight = (1, 4, 6, 7), (20000.0, 500.0, 12.0, 1.0), 5e-2
    deepest = max(style_layers + (content_layer,))

    def extract(x, upto):
        feats = []
        for module in features[: upto + 1]:
            x = module(x)
            feats.append(x)
        return feats

    def style_transfer():
        """CS231n's style_transfer(): targets, then `steps` iterations of its loop."""
        with torch.no_grad():
            content_target = extract(content, deepest)[content_layer].clone()
            sf = extract(style, deepest)
            style_targets = [gram_matrix(sf[i]).clone() for i in style_layers]
        img = content.clone().requires_grad_()
        decay_at, clamp_until = max(1, steps * 9 // 10), max(1, steps * 19 // 20)
        optimizer = torch.optim.Adam([img], lr=3.0)
        for t in range(steps):
            if t < clamp_until:
                img.data.clamp_(-1.5, 1.5)
            optimizer.zero_grad()
            feats = extract(img, deepest)
            c = content_weight * torch.sum((feats[content_layer] - content_target) ** 2)
            s = 0
            for i, layer in enumerate(style_layers):
                s = s + style_weights[i] * torch.sum((gram_matrix(feats[layer]) - style_targets[i]) ** 2)
            tv = tv_weight * (torch.sum((img[:, :, 1:, :] - img[:, :, :-1, :]) ** 2)
                              + torch.sum((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2))
            (c + s + tv).backward()
            if t == decay_at:
                optimizer = torch.optim.Adam([img], lr=0.1)
            optimizer.step()

    low, high = (0 - MEAN) / STD, (1 - MEAN) / STD
    generator = np.random.default_rng(0)

    def deepdream_octave():
        """google/deepdream's make_step × `dream_steps` at one octave: roll by a random jitter, ascend ½‖a‖² with
        step lr·g/mean|g| (in 0…255 pixel units), roll back, clip to the valid range."""
        x = content.clone()
        jitter, lr = 32, 1.5
        for _ in range(dream_steps):
            ox, oy = generator.integers(-jitter, jitter + 1, 2)
            x = torch.roll(x, shifts=(int(oy), int(ox)), dims=(2, 3)).requires_grad_()
            a = extract(x, dream_layer)[dream_layer]
            (0.5 * (a ** 2).sum()).backward()
            g = x.grad / (255 * STD)
            with torch.no_grad():
                x = x + (lr / g.abs().mean()) * g / (255 * STD)
                x = torch.roll(x, shifts=(-int(oy), -int(ox)), dims=(2, 3))
                x = torch.max(torch.min(x, high), low)

    def export():
        """The same model for the kernel, with dynamic batch, height and width (the oracle's file is 224×224)."""
        torch.onnx.export(full, (content,), os.path.join(work, "squeezenet1_1.onnx"), dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n"}})

    def check():
        with torch.no_grad():
            np.save(os.path.join(work, "torch.features7.npy"), extract(content, 7)[7].numpy())

    return {"export": export, "check": check, "style transfer": style_transfer, "deepdream octave": deepdream_octave}
