#!/usr/bin/env python3
"""Exports torchvision's squeezenet1_1 to notebooks/imagenet/squeezenet1_1.onnx for the notebooks' optional
ImageNet cells, with what Fovea needs to read in the file's metadata (`fovea.mean`, `fovea.std`,
`fovea.input_size`, `fovea.classes`), so `model("imagenet/squeezenet1_1.onnx")` needs no arguments.

    python3 tools/export_imagenet.py                  # pretrained weights (torchvision downloads them once)
    python3 tools/export_imagenet.py --random-weights # seeded random weights: no download, for testing the cells
    python3 tools/export_imagenet.py --output x.onnx  # elsewhere

Needs torch, torchvision and onnx (`pip install torch torchvision onnx`).
"""
import argparse
import json
import os

import onnx
import torch
import torchvision

from make_notebooks import IMAGENET_MODEL, ROOT


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.path.join(ROOT, "notebooks", IMAGENET_MODEL))
    parser.add_argument("--random-weights", action="store_true", help="seeded random weights instead of ImageNet's")
    args = parser.parse_args()

    weights = torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1
    torch.manual_seed(0)
    net = torchvision.models.squeezenet1_1(weights=None if args.random_weights else weights).eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.onnx.export(net, torch.randn(1, 3, 224, 224), args.output, dynamo=False, opset_version=17,
                      input_names=["input"], dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}})
    model = onnx.load(args.output)
    onnx.helper.set_model_props(model, {
        "fovea.mean": json.dumps([0.485, 0.456, 0.406]),
        "fovea.std": json.dumps([0.229, 0.224, 0.225]),
        "fovea.input_size": json.dumps([224, 224]),
        "fovea.classes": json.dumps(weights.meta["categories"]),
    })
    onnx.save(model, args.output)
    print(f"wrote {args.output} ({'random' if args.random_weights else 'ImageNet'} weights)")


if __name__ == "__main__":
    main()
