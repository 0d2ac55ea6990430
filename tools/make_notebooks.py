#!/usr/bin/env python3
"""Writes the notebooks 00-tour, 01-understanding and 02-attribution (committed without outputs), so they stay
reviewable as text. Run: python3 tools/make_notebooks.py

Also the one place that says where a notebook finds the optional ImageNet model (`IMAGENET_MODEL`, relative to
notebooks/, where the kernel runs them) and how its cells are skipped without it (`imagenet_cells`);
tools/export_imagenet.py and tools/oracle/synthesis/make_notebooks.py import both from here.
"""
import hashlib
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# The ImageNet model the optional cells use, relative to notebooks/ (the notebooks' working directory).
IMAGENET_MODEL = "imagenet/squeezenet1_1.onnx"
IMAGENET_HINT = ("export it with `python3 tools/export_imagenet.py` (torch + torchvision; "
                 "README: Bringing an ImageNet model)")


def imagenet_cells(intro, code, markdown="markdown"):
    """A markdown cell, then a code cell that runs `code` only when the ImageNet model exists: `requires` skips
    the rest of the cell otherwise, with status ok and one line saying how to get the file. In `code`, the model
    is `sq` and the sample photo `cat`."""
    return [
        (markdown, intro + f"\n\nThis cell needs `notebooks/{IMAGENET_MODEL}`; without it the cell says how to make "
                           "it and is skipped."),
        ("code", f'requires("{IMAGENET_MODEL}", hint="{IMAGENET_HINT}")\n'
                 f'sq = model("{IMAGENET_MODEL}")\ncat = image("sample:chelsea")\n' + code),
    ]


def notebook(cells, name):
    """cells: (kind, text) or (kind, text, tags); ids are stable so regenerating changes nothing."""
    out = []
    for index, (kind, text, *tags) in enumerate(cells):
        metadata = {"tags": tags[0]} if tags else {}
        cell = {"cell_type": kind, "id": hashlib.sha1(f"{name}-{index}".encode()).hexdigest()[:8],
                "metadata": metadata, "source": text.strip("\n").splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Fovea", "language": "fovea", "name": "fovea"},
                                       "language_info": {"name": "fovea"}}, "nbformat": 4, "nbformat_minor": 5}


TOUR = [
    ("markdown", """
# A tour of Fovea

Fovea is a Jupyter kernel for *looking inside* convolutional networks, after CS231n lecture 12
("Visualizing and Understanding"). Cells are written in a small Python-flavoured language whose verbs are
the lecture's experiments.

This first notebook only shows the basics every later notebook relies on: values and their display,
the sample images, and pictures shown in the notebook. Run it cell by cell (Shift-Enter), or headless with
`jupyter nbconvert --to html --execute notebooks/00-tour.ipynb`.
"""),
    ("code", 'print("hello from Fovea")\n1 + 2 * 3'),
    ("markdown", "Sample images ship with Debian's `python3-skimage`; `samples()` lists the names Fovea knows."),
    ("code", "samples()"),
    ("markdown", "An image is a value: the last expression of a cell is displayed, here as a PNG."),
    ("code", 'cat = image("sample:chelsea")\ncat', ["picture"]),
    ("markdown", "`show(x)` displays a value at once, in the middle of a cell; a trailing `;` hides a cell's result."),
    ("code", 'show(image("sample:camera", size=128))\nimage("sample:coffee", size=128);', ["picture"]),
    ("markdown", "`grid` puts several images side by side."),
    ("code", 'grid([cat, image("sample:astronaut", size=300), image("sample:coffee", size=300)], cols=3)', ["picture"]),
    ("markdown", """
Every verb documents itself: `help(grid)` or `?grid` opens the pager in JupyterLab, and Tab completes
verb names and keyword arguments. The next notebooks load a network and start looking inside it.
"""),
] + imagenet_cells(
    "**An ImageNet model.** Bring torchvision's SqueezeNet (exported to ONNX, with its class names) and ask it "
    "what the photo shows.",
    "predict(sq, cat)")

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
] + imagenet_cells(
    "**The same on ImageNet.** SqueezeNet's first-layer filters are the lecture's oriented edges and colour "
    "blobs; Grad-CAM shows where it finds the cat.",
    "show(filters(sq))\ngradcam(sq, cat)")

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
] + imagenet_cells(
    "**Saliency on ImageNet**: vanilla and guided gradients of SqueezeNet's top class for the cat photo.",
    'show(saliency(sq, cat))\nsaliency(sq, cat, method="guided")')


def main():
    for name, cells in [("00-tour", TOUR), ("01-understanding", UNDERSTANDING), ("02-attribution", ATTRIBUTION)]:
        with open(os.path.join(ROOT, "notebooks", f"{name}.ipynb"), "w") as f:
            json.dump(notebook(cells, name), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
