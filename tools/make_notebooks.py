#!/usr/bin/env python3
"""Writes the lecture notebooks 01 and 02 (committed without outputs). Run: python3 tools/make_notebooks.py"""
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def notebook(cells):
    out = []
    for kind, text in cells:
        cell = {"cell_type": kind, "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Fovea", "language": "fovea", "name": "fovea"},
                                       "language_info": {"name": "fovea"}}, "nbformat": 4, "nbformat_minor": 5}


UNDERSTANDING = [
    ("markdown", """
# 01 · Understanding CNNs — what did the network learn?

Lecture 12 opens by looking *inside* a trained network: the first layer's filters (oriented edges and colour
blobs), the feature maps an image produces, the image patches that excite a unit most, and the images that are
nearest in feature space. Then it asks the network what it "wants" to see (class visualisation) and how easily
it is fooled.

Everything here runs offline on **fashion-cnn**, a small CNN the kernel trains on Fashion-MNIST the first
time it is used (about a minute; cached afterwards). Look for: edge-like first-layer filters, maps that
respond to outlines and textures, patches that share a part (collars, heels, straps), and fooling images that
look unchanged to you.
"""),
    ("code", """
net = model("fashion-cnn")
data = dataset("fashion-mnist", split="test", limit=2000, seed=0)
summary(net)
"""),
    ("code", "data"),
    ("markdown", "A prediction for one test image, as a table of the top classes."),
    ("code", "img = data[7]\npredict(net, img)"),
    ("markdown", "**Filters.** The first convolution's 3×3 kernels, each normalised and enlarged."),
    ("code", "filters(net)"),
    ("markdown", "**Activation maps.** Every channel of `conv1` for the image, on one shared colour scale."),
    ("code", "activations(net, img, \"conv1\")"),
    ("code", "activations(net, img, \"conv2\", channels=[0, 1, 2, 3, 4, 5, 6, 7], scale=\"each\")"),
    ("markdown", """
**Maximally activating patches.** For one channel of `conv2`, the 16 crops of the test set that excite it
most; each crop is the unit's true receptive field (10×10 pixels after two 3×3 convolutions and a pooling).
"""),
    ("code", "patches(net, data, \"conv2\", 5, k=16)"),
    ("markdown", "**Features.** The 128-d `fc1` codes of the 2,000 images: the input of the embedding notebook (05)."),
    ("code", "feats = features(net, data, layer=\"fc1\")\nfeats.shape"),
    ("markdown", """
**Class visualisation.** Gradient ascent on the unnormalised score of a class from random noise, with the
CS231n recipe (L2 penalty, jitter, periodic blur). The image updates live while it runs.
"""),
    ("code", "classvis(net, \"Sneaker\", seed=0)"),
    ("code", "classvis(net, \"Trouser\", seed=0)"),
    ("markdown", """
**Fooling images.** Small steps along the sign of the gradient until the network predicts the target; the
difference is magnified so you can see it at all.
"""),
    ("code", "fool(net, img, \"Bag\")"),
]

ATTRIBUTION = [
    ("markdown", """
# 02 · Attribution — which pixels mattered?

Saliency maps (Simonyan et al.), guided backpropagation (Springenberg et al.), SmoothGrad and integrated
gradients explain one prediction by gradients; occlusion (Zeiler & Fergus) by hiding patches; Grad-CAM
by the evidence a convolutional layer found. The lecture's warning: pretty maps are not always faithful —
so we also measure deletion/insertion curves and run the model-randomisation sanity check (Adebayo et al.).

Look for: maps concentrated on the garment's shape; guided backprop that looks sharp (maybe *too* sharp — see
the sanity check); a deletion curve that falls fast for a good map.
"""),
    ("code", """
net = model("fashion-cnn")
data = dataset("fashion-mnist", split="test", limit=200, seed=0)
img = data[7]
predict(net, img, top=3)
"""),
    ("markdown", "**The gradient methods side by side.**"),
    ("code", "saliency(net, img)"),
    ("code", "saliency(net, img, method=\"guided\")"),
    ("code", "saliency(net, img, method=\"smoothgrad\", samples=25, seed=0)"),
    ("code", "saliency(net, img, method=\"integrated\", steps=50)"),
    ("markdown", "**Occlusion**: the drop of the class probability when a 4×4 gray patch hides each region."),
    ("code", "occlusion(net, img, patch=4, stride=2)"),
    ("markdown", "**Grad-CAM** at the last convolutional layer (default) and at the first."),
    ("code", "gradcam(net, img)"),
    ("code", "gradcam(net, img, layer=\"conv1\")"),
    ("markdown", "**Explaining another class**: what in this image speaks for *Shirt*?"),
    ("code", "saliency(net, img, target=\"Shirt\")"),
    ("markdown", "A batch: a Tensor or a dataset slice is explained row by row (`.values` is N×H×W)."),
    ("code", "r = saliency(net, data[0:4])\nr.values.shape"),
    ("markdown", "**Faithfulness**: deletion (lower AUC is better) and insertion (higher is better)."),
    ("code", "faithfulness(net, img, saliency(net, img))"),
    ("code", "faithfulness(net, img, occlusion(net, img, patch=4, stride=2))"),
    ("markdown", "**Sanity check**: randomise the weights from the top layer down; a faithful method's map should change."),
    ("code", "sanity(net, img, method=\"vanilla\", seed=0)"),
    ("code", "sanity(net, img, method=\"guided\", seed=0)"),
    ("markdown", "A neuron's view: the guided-backprop image of channel 5 of `conv2`."),
    ("code", "guided_backprop(net, img, \"conv2\", 5)"),
]

for name, cells in [("01-understanding", UNDERSTANDING), ("02-attribution", ATTRIBUTION)]:
    with open(os.path.join(ROOT, "notebooks", f"{name}.ipynb"), "w") as f:
        json.dump(notebook(cells), f, indent=1)
        f.write("\n")
