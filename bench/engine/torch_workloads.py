"""PyTorch's half of bench/engine: the same models, inputs and training run as the Fovea cells in bench.py.

The torchvision models are rebuilt with the seeds tools/oracle/make_fixtures.py used (squeezenet1_1: 100,
vgg16: 108), so they hold the very weights of tools/oracle/out/*.onnx that the kernel imports; `check_*`
writes PyTorch's logits so the driver can confirm both sides compute the same thing.
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530  # Preprocessing.fashionMNIST


def fashion_cnn() -> nn.Module:
    """Fovea's built-in fashion-cnn (Sources/Engine/Models/Architectures.swift), layer for layer."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def setup(config: dict) -> dict:
    work = config["work"]
    models: dict[str, nn.Module] = {}
    x1 = torch.from_numpy(np.load(os.path.join(work, "x1.npy")))
    x32 = torch.from_numpy(np.load(os.path.join(work, "x32.npy")))
    targets = config["targets"]
    data: dict[str, torch.Tensor] = {}

    def build(name: str, seed: int, make):
        def prepare():
            torch.manual_seed(seed)
            models[name] = make(weights=None).eval()
            # Input gradients only: without this, backward would also compute every weight's gradient.
            for p in models[name].parameters():
                p.requires_grad_(False)
        return prepare

    def forward(name: str, x: torch.Tensor):
        def run():
            with torch.no_grad():
                models[name](x)
        return run

    def saliency(name: str):
        """Forward + input gradient of the target score, reduced as `saliency` does (max |g| over channels)."""
        def run():
            x = x1.clone().requires_grad_()
            models[name](x)[0, targets[name]].backward()
            x.grad.abs().amax(dim=1)
        return run

    def check(name: str):
        def run():
            with torch.no_grad():
                np.save(os.path.join(work, f"torch.{name}.logits.npy"), models[name](x1).numpy())
        return run

    def load_fashion():
        images = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))
        limit = config.get("train_limit") or len(labels)
        data["images"] = torch.from_numpy(images[:limit].astype(np.float32) / 255).unsqueeze(1)
        data["labels"] = torch.from_numpy(labels[:limit].astype(np.int64))

    def train_epoch(limit=None):
        """One epoch of Adam (lr 1e-3, batch 64) on shuffled Fashion-MNIST, normalised per batch and with the
        running loss and accuracy that Fovea's `train` reports; a fresh model each time, as `train("fashion-cnn", …)`."""
        def run():
            torch.manual_seed(0)
            net = fashion_cnn()
            optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
            images, labels = data["images"], data["labels"]
            n = len(labels) if limit is None else min(limit, len(labels))
            order = torch.randperm(n)
            loss_sum, correct = 0.0, 0
            for start in range(0, n, 64):
                idx = order[start:start + 64]
                x = (images[idx] - FASHION_MEAN) / FASHION_STD
                y = labels[idx]
                logits = net(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * len(idx)
                correct += int((logits.argmax(1) == y).sum())
        return run

    return {
        "prepare_squeezenet1_1": build("squeezenet1_1", 100, torchvision.models.squeezenet1_1),
        "prepare_vgg16": build("vgg16", 108, torchvision.models.vgg16),
        "prepare_fashion": load_fashion,
        "check_squeezenet1_1": check("squeezenet1_1"),
        "check_vgg16": check("vgg16"),
        "squeezenet1_1 forward b1": forward("squeezenet1_1", x1),
        "squeezenet1_1 forward b32": forward("squeezenet1_1", x32),
        "squeezenet1_1 saliency b1": saliency("squeezenet1_1"),
        "vgg16 saliency b1": saliency("vgg16"),
        "fashion-cnn epoch": train_epoch(),
        "fashion-cnn warm-up": train_epoch(limit=2048),
    }
