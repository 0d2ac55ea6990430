#!/usr/bin/env python3
"""Writes notebooks/03-deepdream.ipynb and notebooks/04-style.ipynb (no outputs) from the cells below, so the
notebooks stay reviewable as text. Run: python3 tools/oracle/synthesis/make_notebooks.py"""
import hashlib
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from make_notebooks import imagenet_cells  # noqa: E402  (where the optional ImageNet model lives, and its skip)

DEEPDREAM = [
    ("md", """# DeepDream (lecture 12 §2)

DeepDream (Mordvintsev et al., google/deepdream) runs gradient *ascent* on the image to make a chosen layer
fire more: it maximises ½‖a‖² of the layer's activations, so whatever the layer already sees gets amplified.
The reference recipe: steps of `lr · g / mean|g|`, a random roll (jitter) before each step, an octave pyramid
(the smallest copy first, the added detail carried up to the next size) and clipping to valid pixels.

Offline we use `model("random-multiscale")`: random multi-scale filters, no pretrained weights. With an
imported ImageNet model (e.g. torchvision's squeezenet1_1 exported to ONNX) the same cells work with layer names
such as `features.7`. Sizes here are small so the notebook runs in well under two minutes on a CPU."""),
    ("code", """seed(0)
net = model("random-multiscale")
net.layers"""),
    ("code", """cat = image("sample:chelsea", size=96)
cat"""),
    ("md", """Each call shows one live output (image, step k/N, objective) that updates in place while it runs;
interrupting the kernel stops it within a second and keeps the last image in `_`."""),
    ("code", """dream = deepdream(net, cat, "relu7", steps=6, octaves=3)
dream"""),
    ("code", """print("objective at the last step:", dream.objective, "after", dream.steps, "steps")
dream.values.shape"""),
    ("md", """Wider filters respond to larger structures: dreaming at the 15×15 bank paints coarser patterns. The
defaults are the reference's (10 steps per octave, 4 octaves, scale 1.4, lr 1.5, jitter 32 scaled to the
image size)."""),
    ("code", """deepdream(net, cat, "relu15", steps=6, octaves=3, lr=2.0, seed=1)"""),
    ("md", """With a pretrained network, e.g. SqueezeNet exported from torchvision:

```
sq = model("squeezenet1_1.onnx")
deepdream(sq, image("sample:chelsea", size=224), "features.7")
```"""),
] + imagenet_cells(
    "**DeepDream with SqueezeNet**, when its ONNX export is there: the same verb on a pretrained network's "
    "`features.7` block paints ImageNet motifs into the photo.",
    'deepdream(sq, image("sample:chelsea", size=160), "features.7", steps=5, octaves=3, seed=0)', markdown="md")

STYLE = [
    ("md", """# Feature inversion, texture synthesis and style transfer (lecture 12 §3)

All of these optimise the pixels of an image so that its features match targets:
- **feature inversion** (Mahendran & Vedaldi): match one layer's features of an image, plus a total-variation
  prior, from noise;
- **texture synthesis** (Gatys et al.): match Gram matrices G = FFᵀ/(C·H·W) of several layers, from noise;
- **style transfer** (Gatys et al.): content loss w·Σ(F−P)² at one layer + style loss Σ_l w_l·Σ(G−A)² +
  TV loss, with CS231n's Adam schedule (lr 3.0, then 0.1 for the last 10 % of the steps).

Offline we use `model("random-multiscale")` (random multi-scale filters, which Ustyuzhaninov et al. showed to be
enough for textures). For models other than SqueezeNet the weights are *relative*: each term is divided by the
size of its target, so 1 means "as important as the other terms". Sizes are small to keep the notebook fast."""),
    ("code", """seed(0)
net = model("random-multiscale")
cat = image("sample:chelsea", size=48)
rocket = image("sample:rocket", size=48)
show(grid([cat, rocket], cols=2));"""),
    ("md", "## Texture synthesis\nStyle loss only, from uniform noise."),
    ("code", """tex = texture(net, image("sample:brick"), size=48, steps=40)
tex"""),
    ("code", """print("loss", tex.initial_loss, "->", tex.loss)"""),
    ("md", """## Feature inversion
Reconstructions from a narrow (3×3) and a wide (15×15) filter bank, next to the target: the wider the
receptive field, the less of the exact layout survives."""),
    ("code", """invert(net, cat, ["relu3", "relu15"], steps=40)"""),
    ("md", "## Style transfer"),
    ("code", """st = style_transfer(net, cat, rocket, size=48, steps=40)
st"""),
    ("md", """Keep the content's colours (luminance-only transfer, neural-style's `original_colors`), or blend two
styles: their Gram targets are mixed with the `blend` weights."""),
    ("code", """style_transfer(net, cat, rocket, size=48, steps=40, original_colors=true)"""),
    ("code", """style_transfer(net, cat, [rocket, image("sample:coffee", size=48)], blend=[0.7, 0.3], size=48, steps=40)"""),
    ("md", """### L-BFGS
neural-style optimises with L-BFGS instead of Adam (`optimizer="lbfgs"`: PyTorch's `torch.optim.LBFGS`,
history 100, lr 1, one loss evaluation per iteration plus what the strong-Wolfe line search needs). It
usually needs fewer iterations for the same loss."""),
    ("code", """lb = style_transfer(net, cat, rocket, size=48, steps=20, optimizer="lbfgs")
print("L-BFGS loss", lb.initial_loss, "->", lb.loss, "in", lb.steps, "iterations; Adam (40 steps):", st.loss)
lb"""),
    ("md", """## The content/style trade-off
Rows are content weights, columns multiply every style layer's weight: more content keeps the cat, more style
paints it over."""),
    ("code", """style_grid(net, cat, rocket, content_weights=[0.3, 3], style_weights=[0.3, 3], steps=25, size=32)"""),
    ("md", """## With SqueezeNet
With torchvision's squeezenet1_1 exported to ONNX, CS231n's settings apply unchanged (content `features.3` at
5e-2, style `features.1/4/6/7` at 20000/500/12/1, TV 5e-2, size 192):

```
sq = model("squeezenet1_1.onnx")
style_transfer(sq, image("sample:chelsea"), image("sample:rocket"))
```"""),
    ("md", """## Fast style transfer
Every image above took its own optimisation. Johnson et al. (2016) train a feed-forward *transformer* network
once, with the same perceptual loss, on many pictures; afterwards one forward pass stylises any picture.
The network: a 9×9 convolution, two stride-2 convolutions, residual blocks, two ×2 nearest-neighbour
upsamplings with convolutions and a final 9×9 convolution, with instance normalisation throughout.

`stylizer(net, style, data)` trains it on random crops of the pictures in `data` (`"samples"` = seven of the
sample photographs, or a folder, a list of images, a dataset). Johnson trained widths 32/64/128 with 5 residual
blocks for 40 000 steps of 4 COCO images at 256 px on a GPU; the defaults here (widths 16/32/64, 3 blocks, 150
steps of one 96-px crop, and a network that starts as the identity) fit a notebook cell on two CPU cores. So
few steps through random filters change colours and fine texture rather than repaint the picture; with an
imported SqueezeNet as `net` and more `steps` the effect grows. The live output shows the current stylised
training crop."""),
    ("code", """fast = stylizer(net, image("sample:ihc", size=96), "samples")
fast"""),
    ("md", "The cat and the other motorcycle picture were not among the training pictures:"),
    ("code", """unseen = [image("sample:chelsea", size=160), image("sample:motorcycle_right", size=160)]
show(grid(unseen + stylize(fast, unseen), cols=2, titles=["chelsea", "motorcycle", "stylized", "stylized"]));"""),
    ("md", """The stylizer is an ordinary network: `save` writes it as ONNX (pixels in [0, 1] in and out, sides multiples
of 4), which onnxruntime or PyTorch run unchanged."""),
    ("code", """save(fast, "stylizer.onnx")
fast.model"""),
]


def notebook(cells, name):
    out = []
    for k, (kind, text) in enumerate(cells):
        lines = text.split("\n")
        source = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        cid = hashlib.sha1(f"{name}-{k}".encode()).hexdigest()[:8]
        if kind == "md":
            out.append({"cell_type": "markdown", "id": cid, "metadata": {}, "source": source})
        else:
            out.append({"cell_type": "code", "execution_count": None, "id": cid, "metadata": {}, "outputs": [],
                        "source": source})
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Fovea", "language": "fovea", "name": "fovea"},
                                       "language_info": {"name": "fovea"}}, "nbformat": 4, "nbformat_minor": 5}


for cells, name in [(DEEPDREAM, "03-deepdream"), (STYLE, "04-style")]:
    with open(os.path.join(ROOT, "notebooks", name + ".ipynb"), "w") as f:
        json.dump(notebook(cells, name), f, indent=1, ensure_ascii=False)
        f.write("\n")
