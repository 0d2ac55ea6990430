#!/usr/bin/env python3
"""Writes the six notebooks of notebooks/ (committed without outputs) from the cells below, so they stay reviewable
as text. Run: python3 tools/make_notebooks.py

Conventions scripts/check_notebooks.py enforces when it runs them:
- the first cell is markdown: what the lecture says and what to look for;
- every code cell is a visualization and must show a picture, unless it is tagged `text` (set-up, a table, a
  shape, a printed number);
- a cell tagged `imagenet` (made by `imagenet_cells`) uses the optional ImageNet model: it shows a picture when the
  model is there and otherwise ends at its `requires` line, printing how to get the file.

Also the one place that says where a notebook finds the optional ImageNet model (`IMAGENET_MODEL`, relative to
notebooks/, where the kernel runs them); tools/export_imagenet.py imports it from here.
"""
import hashlib
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# The ImageNet model the optional cells use, relative to notebooks/ (the notebooks' working directory).
IMAGENET_MODEL = "imagenet/squeezenet1_1.onnx"
IMAGENET_HINT = ("export it with `python3 tools/export_imagenet.py` (torch + torchvision; "
                 "README: Bringing an ImageNet model)")

# Tags (cell metadata) scripts/check_notebooks.py reads.
TEXT = ["text"]          # a code cell that shows no picture on purpose
IMAGENET = ["imagenet"]  # a code cell that needs IMAGENET_MODEL

# What the kernel says in kernel_info, written into the notebooks too: JupyterLab and nbconvert highlight a
# notebook with it before any kernel has run (the language's syntax is a subset of Python's).
LANGUAGE_INFO = {"name": "fovea", "mimetype": "text/x-fovea", "file_extension": ".fovea",
                 "pygments_lexer": "python", "codemirror_mode": "python"}


def imagenet_cells(intro, code):
    """A markdown cell, then a code cell that runs `code` only when the ImageNet model exists: `requires` skips
    the rest of the cell otherwise, with status ok and one line saying how to get the file. In `code`, the model
    is `sq` and the sample photo `cat`."""
    return [
        ("markdown", intro + f"\n\nThis cell needs `notebooks/{IMAGENET_MODEL}`; without it the cell says how to "
                             "make it and is skipped."),
        ("code", f'requires("{IMAGENET_MODEL}", hint="{IMAGENET_HINT}")\n'
                 f'sq = model("{IMAGENET_MODEL}")\ncat = image("sample:chelsea")\n' + code, IMAGENET),
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
                                       "language_info": LANGUAGE_INFO}, "nbformat": 4, "nbformat_minor": 5}


TOUR = [
    ("markdown", """
# 00 · A tour of Fovea

CS231n lecture 12, "Visualizing and Understanding", asks what a convolutional network has learned and answers
with pictures: the first layer's filters, the feature maps an image produces, the patches that excite a unit
most, saliency and class activation maps that say which pixels a prediction used, images *optimised* to excite
a class or a layer (class visualisation, DeepDream), images whose features match another's (style transfer),
and 2-D maps of the codes of the last layer (t-SNE). This tour shows each kind of picture once, in ten cells;
notebooks 01–05 take the lecture one section at a time.

Everything runs offline: `fashion-cnn`, a small CNN the kernel trains on Fashion-MNIST the first time it is used
(a few minutes, cached afterwards), `random-multiscale`, a network of random filters, and the sample photos.
Look for: edge-like filters, maps that follow the garment's outline, saliency on the shape rather than the
background, a class visualisation that looks like the class, and a dream and a style that come from the filters.
Cells are written in a small Python-flavoured language; run them with Shift-Enter, or headless with
`jupyter nbconvert --to html --execute notebooks/00-tour.ipynb`.
"""),
    ("markdown", "**Pictures are values.** A sample photo by name (`samples()` lists them), several side by side with `grid`."),
    ("code", """
cat = image("sample:chelsea")
grid([cat, image("sample:astronaut", size=300), image("sample:coffee", size=300)], cols=3)
"""),
    ("markdown", "**Filters.** The built-in Fashion-MNIST network and 500 test images; its first layer's 3×3 kernels."),
    ("code", """
net = model("fashion-cnn")
data = dataset("fashion-mnist", split="test", limit=500, seed=0)
img = data[7]
filters(net)
"""),
    ("markdown", "**Activation maps**: every channel of the first convolution for one test image."),
    ("code", 'activations(net, img, "conv1")'),
    ("markdown", "**Maximally activating patches**: the crops of the test images that excite one `conv2` channel most."),
    ("code", 'patches(net, data, "conv2", 5, k=16)'),
    ("markdown", "**Saliency** (SmoothGrad): the pixels whose change moves the predicted class's score most."),
    ("code", 'saliency(net, img, method="smoothgrad", samples=25, seed=0)'),
    ("markdown", "**Grad-CAM**: where the last convolutional layer found evidence for the class."),
    ("code", "gradcam(net, img)"),
    ("markdown", "**Class visualisation**: an image optimised from noise to score high for *Sneaker*; it updates live."),
    ("code", 'classvis(net, "Sneaker", seed=0)'),
    ("markdown", "**DeepDream**: gradient ascent that amplifies what a layer of random multi-scale filters already sees."),
    ("code", """
seed(0)
dreamer = model("random-multiscale")
deepdream(dreamer, image("sample:chelsea", size=96), "relu7", steps=6, octaves=3)
"""),
    ("markdown", "**Style transfer**: the cat's features with the rocket photo's Gram matrices (style)."),
    ("code", 'style_transfer(dreamer, image("sample:chelsea", size=48), image("sample:rocket", size=48), size=48, steps=40)'),
    ("markdown", "**Embedding**: t-SNE of the 128-d `fc1` codes of the 500 test images, one colour per class."),
    ("code", 'tsne(features(net, data, layer="fc1"), labels=data, seed=0)'),
    ("markdown", """
Every verb documents itself: `help(grid)` or `?grid` opens the pager in JupyterLab, and Tab completes verb names
and keyword arguments. `docs/verbs.md` lists them all.
"""),
] + imagenet_cells(
    "**An ImageNet model.** Bring torchvision's SqueezeNet (exported to ONNX, with its class names), ask it what "
    "the photo shows and which pixels it used.",
    "show(predict(sq, cat))\nsaliency(sq, cat)")

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
""", TEXT),
    ("code", "data"),
    ("markdown", "A prediction for one test image, as a table of the top classes."),
    ("code", """
img = data[7]
predict(net, img)
""", TEXT),
    ("markdown", "**Filters.** The first convolution's 3×3 kernels, each normalised and enlarged."),
    ("code", "filters(net)"),
    ("markdown", "**Activation maps.** Every channel of `conv1` for the image, on one shared colour scale."),
    ("code", 'activations(net, img, "conv1")'),
    ("code", 'activations(net, img, "conv2", channels=[0, 1, 2, 3, 4, 5, 6, 7], scale="each")'),
    ("markdown", """
**Maximally activating patches.** For one channel of `conv2`, the 16 crops of the test set that excite it
most; each crop is the unit's true receptive field (10×10 pixels after two 3×3 convolutions and a pooling).
"""),
    ("code", 'patches(net, data, "conv2", 5, k=16)'),
    ("markdown", "**Features.** The 128-d `fc1` codes of the 2,000 images: the input of the embedding notebook (05)."),
    ("code", """
feats = features(net, data, layer="fc1")
feats.shape
""", TEXT),
    ("markdown", """
**Class visualisation.** Gradient ascent on the unnormalised score of a class from random noise, with the
CS231n recipe (L2 penalty, jitter, periodic blur). The image updates live while it runs.
"""),
    ("code", 'classvis(net, "Sneaker", seed=0)'),
    ("code", 'classvis(net, "Trouser", seed=0)'),
    ("markdown", """
**Fooling images.** Small steps along the sign of the gradient until the network predicts the target; the
difference is magnified so you can see it at all.
"""),
    ("code", 'fool(net, img, "Bag")'),
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
""", TEXT),
    ("markdown", "**The gradient methods side by side.**"),
    ("code", "saliency(net, img)"),
    ("code", 'saliency(net, img, method="guided")'),
    ("code", 'saliency(net, img, method="smoothgrad", samples=25, seed=0)'),
    ("code", 'saliency(net, img, method="integrated", steps=50)'),
    ("markdown", "**Occlusion**: the drop of the class probability when a 4×4 gray patch hides each region."),
    ("code", "occlusion(net, img, patch=4, stride=2)"),
    ("markdown", "**Grad-CAM** at the last convolutional layer (default) and at the first."),
    ("code", "gradcam(net, img)"),
    ("code", 'gradcam(net, img, layer="conv1")'),
    ("markdown", "**Explaining another class**: what in this image speaks for *Shirt*?"),
    ("code", 'saliency(net, img, target="Shirt")'),
    ("markdown", "A batch: a Tensor or a dataset slice is explained row by row (`.values` is N×H×W)."),
    ("code", """
r = saliency(net, data[0:4])
r.values.shape
""", TEXT),
    ("markdown", "**Faithfulness**: deletion (lower AUC is better) and insertion (higher is better)."),
    ("code", "faithfulness(net, img, saliency(net, img))"),
    ("code", "faithfulness(net, img, occlusion(net, img, patch=4, stride=2))"),
    ("markdown", "**Sanity check**: randomise the weights from the top layer down; a faithful method's map should change."),
    ("code", 'sanity(net, img, method="vanilla", seed=0)'),
    ("code", 'sanity(net, img, method="guided", seed=0)'),
    ("markdown", "A neuron's view: the guided-backprop image of channel 5 of `conv2`."),
    ("code", 'guided_backprop(net, img, "conv2", 5)'),
] + imagenet_cells(
    "**Saliency on ImageNet**: vanilla and guided gradients of SqueezeNet's top class for the cat photo.",
    'show(saliency(sq, cat))\nsaliency(sq, cat, method="guided")')

DEEPDREAM = [
    ("markdown", """
# DeepDream (lecture 12 §2)

DeepDream (Mordvintsev et al., google/deepdream) runs gradient *ascent* on the image to make a chosen layer
fire more: it maximises ½‖a‖² of the layer's activations, so whatever the layer already sees gets amplified.
The reference recipe: steps of `lr · g / mean|g|`, a random roll (jitter) before each step, an octave pyramid
(the smallest copy first, the added detail carried up to the next size) and clipping to valid pixels.

Offline we use `model("random-multiscale")`: random multi-scale filters, no pretrained weights. With an
imported ImageNet model (e.g. torchvision's squeezenet1_1 exported to ONNX) the same cells work with layer names
such as `features.7`. Sizes here are small so the notebook runs in well under two minutes on a CPU.

Look for: patterns that grow out of the photo's own edges and textures rather than replacing them, detail added at
every octave, and coarser motifs from the wider filter bank.
"""),
    ("code", """
seed(0)
net = model("random-multiscale")
net.layers
""", TEXT),
    ("code", """
cat = image("sample:chelsea", size=96)
cat
"""),
    ("markdown", """
Each call shows one live output (image, step k/N, objective) that updates in place while it runs;
interrupting the kernel stops it within a second and keeps the last image in `_`.
"""),
    ("code", """
dream = deepdream(net, cat, "relu7", steps=6, octaves=3)
dream
"""),
    ("code", """
print("objective at the last step:", dream.objective, "after", dream.steps, "steps")
dream.values.shape
""", TEXT),
    ("markdown", """
Wider filters respond to larger structures: dreaming at the 15×15 bank paints coarser patterns. The
defaults are the reference's (10 steps per octave, 4 octaves, scale 1.4, lr 1.5, jitter 32 scaled to the
image size).
"""),
    ("code", 'deepdream(net, cat, "relu15", steps=6, octaves=3, lr=2.0, seed=1)'),
    ("markdown", """
With a pretrained network, e.g. SqueezeNet exported from torchvision:

```
sq = model("imagenet/squeezenet1_1.onnx")
deepdream(sq, image("sample:chelsea", size=224), "features.7")
```
"""),
] + imagenet_cells(
    "**DeepDream with SqueezeNet**, when its ONNX export is there: the same verb on a pretrained network's "
    "`features.7` block paints ImageNet motifs into the photo.",
    'deepdream(sq, image("sample:chelsea", size=160), "features.7", steps=5, octaves=3, seed=0)')

STYLE = [
    ("markdown", """
# Feature inversion, texture synthesis and style transfer (lecture 12 §3)

All of these optimise the pixels of an image so that its features match targets:
- **feature inversion** (Mahendran & Vedaldi): match one layer's features of an image, plus a total-variation
  prior, from noise;
- **texture synthesis** (Gatys et al.): match Gram matrices G = FFᵀ/(C·H·W) of several layers, from noise;
- **style transfer** (Gatys et al.): content loss w·Σ(F−P)² at one layer + style loss Σ_l w_l·Σ(G−A)² +
  TV loss, with CS231n's Adam schedule (lr 3.0, then 0.1 for the last 10 % of the steps).

Offline we use `model("random-multiscale")` (random multi-scale filters, which Ustyuzhaninov et al. showed to be
enough for textures). For models other than SqueezeNet the weights are *relative*: each term is divided by the
size of its target, so 1 means "as important as the other terms". Sizes are small to keep the notebook fast.

Look for: a texture with the brick photo's statistics but none of its layout; reconstructions that keep less of
the layout the wider the filters; the cat's outline painted with the rocket photo's colours and strokes; L-BFGS
reaching a lower loss than Adam in fewer iterations; and a stylizer that repaints new photos in one pass.
"""),
    ("code", """
seed(0)
net = model("random-multiscale")
cat = image("sample:chelsea", size=48)
rocket = image("sample:rocket", size=48)
show(grid([cat, rocket], cols=2));
"""),
    ("markdown", """
## Texture synthesis
Style loss only, from uniform noise.
"""),
    ("code", """
tex = texture(net, image("sample:brick"), size=48, steps=40)
tex
"""),
    ("code", 'print("loss", tex.initial_loss, "->", tex.loss)', TEXT),
    ("markdown", """
## Feature inversion
Reconstructions from a narrow (3×3) and a wide (15×15) filter bank, next to the target: the wider the
receptive field, the less of the exact layout survives.
"""),
    ("code", 'invert(net, cat, ["relu3", "relu15"], steps=40)'),
    ("markdown", "## Style transfer"),
    ("code", """
st = style_transfer(net, cat, rocket, size=48, steps=40)
st
"""),
    ("markdown", """
Keep the content's colours (luminance-only transfer, neural-style's `original_colors`), or blend two
styles: their Gram targets are mixed with the `blend` weights.
"""),
    ("code", "style_transfer(net, cat, rocket, size=48, steps=40, original_colors=true)"),
    ("code", 'style_transfer(net, cat, [rocket, image("sample:coffee", size=48)], blend=[0.7, 0.3], size=48, steps=40)'),
    ("markdown", """
### L-BFGS
neural-style optimises with L-BFGS instead of Adam (`optimizer="lbfgs"`: PyTorch's `torch.optim.LBFGS`,
history 100, lr 1, one loss evaluation per iteration plus what the strong-Wolfe line search needs). It
usually needs fewer iterations for the same loss.
"""),
    ("code", """
lb = style_transfer(net, cat, rocket, size=48, steps=20, optimizer="lbfgs")
print("L-BFGS loss", lb.initial_loss, "->", lb.loss, "in", lb.steps, "iterations; Adam (40 steps):", st.loss)
lb
"""),
    ("markdown", """
## The content/style trade-off
Rows are content weights, columns multiply every style layer's weight: more content keeps the cat, more style
paints it over.
"""),
    ("code", "style_grid(net, cat, rocket, content_weights=[0.3, 3], style_weights=[0.3, 3], steps=25, size=32)"),
    ("markdown", """
## With SqueezeNet
With torchvision's squeezenet1_1 exported to ONNX, CS231n's settings apply unchanged (content `features.3` at
5e-2, style `features.1/4/6/7` at 20000/500/12/1, TV 5e-2, size 192):

```
sq = model("imagenet/squeezenet1_1.onnx")
style_transfer(sq, image("sample:chelsea"), image("sample:rocket"))
```
"""),
    ("markdown", """
## Fast style transfer
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
training crop.
"""),
    ("code", """
fast = stylizer(net, image("sample:ihc", size=96), "samples")
fast
"""),
    ("markdown", "The cat and the other motorcycle picture were not among the training pictures:"),
    ("code", """
unseen = [image("sample:chelsea", size=160), image("sample:motorcycle_right", size=160)]
show(grid(unseen + stylize(fast, unseen), cols=2, titles=["chelsea", "motorcycle", "stylized", "stylized"]));
"""),
    ("markdown", """
The stylizer is an ordinary network: `save` writes it as ONNX (pixels in [0, 1] in and out, sides multiples
of 4), which onnxruntime or PyTorch run unchanged.
"""),
    ("code", """
save(fast, "stylizer.onnx")
fast.model
""", TEXT),
] + imagenet_cells(
    "**Style transfer with SqueezeNet**, when its ONNX export is there: CS231n's layers and weights apply by "
    "default (content `features.3`, style `features.1/4/6/7`), here on a small image and few steps.",
    'style_transfer(sq, image("sample:chelsea", size=128), image("sample:rocket", size=128), size=128, steps=30)')

EMBEDDINGS = [
    ("markdown", """
# Visualizing the last layer: embeddings of CNN codes

CS231n lecture 12 looks at what a trained network's last hidden layer ("CNN codes") has learned by laying the
codes of many images out in 2-D. Nearby points should be images the network finds similar, so a good feature
space shows **one cluster per class** — much cleaner than the raw pixels do.

Here: the 128-D `fc1` activations of the small Fashion-MNIST CNN (`fashion-cnn`) for 2,000 test images.

What to look for:
- **PCA** (linear) already separates some classes (trousers, bags, footwear) but the clothing tops overlap.
- **t-SNE** (non-linear, keeps neighbourhoods) shows tight, mostly pure clusters; the mixed regions are the
  classes the network confuses (shirt / T-shirt / pullover / coat).
- The **t-SNE grid** snaps each thumbnail to a cell: you can *see* what each region of the space contains, and
  how images change gradually across a cluster.
- **Nearest neighbours** in feature space share the class even when the pixels differ (pose, brightness);
  nearest neighbours in pixel space just match the silhouette and brightness.
"""),
    ("code", """
net = model("fashion-cnn")
data = dataset("fashion-mnist", split="test", limit=2000, seed=0)
feats = features(net, data, layer="fc1")
feats.shape
""", TEXT),
    ("markdown", """
## PCA of the CNN codes
The first two principal components, coloured by the true class. `.explained` is the fraction of the variance each component carries.
"""),
    ("code", """
p = pca(feats, labels=data)
p
"""),
    ("code", "p.explained", TEXT),
    ("markdown", "For comparison, PCA of the raw pixels of the same images:"),
    ("code", "pca(data)"),
    ("markdown", """
## t-SNE of the CNN codes
The scatter and the KL divergence update live while it runs; interrupt to keep the current embedding in `_`.
"""),
    ("code", """
emb = tsne(feats, labels=data, seed=0)
emb
"""),
    ("markdown", """
## t-SNE grid
The same embedding, each image snapped to its own cell of a 45×45 grid (exact assignment minimising the total squared distance; the title reports the cost ratio).
"""),
    ("code", "tsne_grid(emb, data, cols=45, thumb=28)"),
    ("markdown", """
## Nearest neighbours: feature space vs pixel space
For each query (first column) the 6 nearest images by `fc1` features (rows marked *feature*) and by raw pixels (rows marked *pixel*).
"""),
    ("code", """
nn = neighbors(feats, data, [0, 3, 10, 25, 42], k=6)
nn
"""),
    ("code", "nn.values"),
    ("markdown", """
## A test image among the training images
The lecture's version of the same picture: the query is a *test* image the network never saw, and the neighbours come from the *training* set.
"""),
    ("code", """
train = dataset("fashion-mnist", split="train", limit=5000, seed=0)
neighbors(net, train, data[3], k=6, layer="fc1")
"""),
] + imagenet_cells(
    "**An ImageNet model's codes.** The same pictures from SqueezeNet's 1000-D pooled output (`classifier.3`), for "
    "300 of the test images: each is made RGB and resized to SqueezeNet's input, as a single image would be. "
    "Clothes are far from ImageNet's photos, so expect looser clusters than `fashion-cnn`'s own codes give.",
    """clothes = data[0:300]
codes = features(sq, clothes, layer="classifier.3")
show(neighbors(codes, clothes, [0, 3, 10], k=6))
tsne(codes, labels=clothes, seed=0)""")


NOTEBOOKS = [("00-tour", TOUR), ("01-understanding", UNDERSTANDING), ("02-attribution", ATTRIBUTION),
             ("03-deepdream", DEEPDREAM), ("04-style", STYLE), ("05-embeddings", EMBEDDINGS)]


def main():
    for name, cells in NOTEBOOKS:
        with open(os.path.join(ROOT, "notebooks", f"{name}.ipynb"), "w") as f:
            json.dump(notebook(cells, name), f, indent=1, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
