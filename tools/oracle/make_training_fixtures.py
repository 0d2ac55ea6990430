"""PyTorch oracle for the optimisers and the training step.

Run from the repository root:  /work/torchenv/bin/python tools/oracle/make_training_fixtures.py
Writes Tests/EngineTests/Fixtures/training/:
  optimizer_steps.npz  fixed parameters/gradients and the parameters after 1..3 steps of
                       SGD (plain, momentum+weight decay, Nesterov) and Adam (plain, weight decay)
  lenet_step.npz       a LeNet (PyTorch layers, seeded init), a batch of 8 Fashion-MNIST test images
                       (normalised with mean 0.2860 / std 0.3530 inside the model), and every parameter
                       after two Adam steps (lr 1e-3) on mean cross-entropy, plus the two losses.
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
out = os.path.join("Tests", "EngineTests", "Fixtures", "training")
os.makedirs(out, exist_ok=True)

# --- Optimiser single steps on fixed values --------------------------------------------------------
param0 = np.array([[0.5, -1.25, 2.0], [0.0, 3.5, -0.75]], dtype=np.float32)
grads = [np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]], dtype=np.float32),
         np.array([[-0.05, 0.25, 1.5], [0.4, -0.1, 0.2]], dtype=np.float32),
         np.array([[0.3, 0.3, -0.3], [0.0, 0.01, -2.0]], dtype=np.float32)]

configs = {
    "sgd_plain": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum_wd": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.8, nesterov=True),
    "adam_plain": lambda p: torch.optim.Adam([p], lr=0.01),
    "adam_wd": lambda p: torch.optim.Adam([p], lr=0.002, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
}
arrays = {"param0": param0}
for i, g in enumerate(grads):
    arrays[f"grad{i + 1}"] = g
for name, make in configs.items():
    p = torch.nn.Parameter(torch.from_numpy(param0.copy()))
    opt = make(p)
    for i, g in enumerate(grads):
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        arrays[f"{name}_step{i + 1}"] = p.detach().numpy().copy()
np.savez(os.path.join(out, "optimizer_steps.npz"), **arrays)

# --- Two Adam steps of LeNet on real images ---------------------------------------------------------
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = (x - 0.2860) / 0.3530
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def idx(path):
    data = gzip.open(path).read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


root = "/usr/share/datasets/fashion-mnist"
images = idx(f"{root}/t10k-images-idx3-ubyte.gz")[:8].astype(np.float32)[:, None] / 255.0
labels = idx(f"{root}/t10k-labels-idx1-ubyte.gz")[:8].astype(np.int64)

torch.manual_seed(0)
net = LeNet()
initial = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
losses = []
for _ in range(2):
    opt.zero_grad()
    loss = F.cross_entropy(net(torch.from_numpy(images)), torch.from_numpy(labels))
    loss.backward()
    opt.step()
    losses.append(loss.item())
final = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
lenet = {"images": images, "labels": labels, "losses": np.array(losses, dtype=np.float32)}
lenet.update({f"initial/{k}": v for k, v in initial.items()})
lenet.update({f"final/{k}": v for k, v in final.items()})
np.savez_compressed(os.path.join(out, "lenet_step.npz"), **lenet)
print("losses", losses)
print("wrote", sorted(os.listdir(out)), [os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))])
