#!/usr/bin/env python3
"""Draws docs/img/saliency.png, the README's picture, with the kernel itself: one cell run through jupyter_client
on the `fovea` kernelspec Jupyter finds (after ./scripts/test: JUPYTER_PATH=.build/notebook-kernelspec-release/
share/jupyter). Run: .venv-test/bin/python tools/make_readme_picture.py"""
import os
import sys

from jupyter_client.manager import start_new_kernel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CELL = """net = model("fashion-cnn")
img = dataset("fashion-mnist")[0]
save(saliency(net, img, method="smoothgrad", samples=25, seed=0), "docs/img/saliency.png")"""


def main():
    manager, client = start_new_kernel(kernel_name="fovea", cwd=ROOT)
    try:
        reply = client.execute_interactive(CELL, timeout=900, output_hook=lambda msg: None)
        content = reply["content"]
        if content["status"] != "ok":
            sys.exit(f"{content.get('ename')}: {content.get('evalue')}")
        print("wrote", os.path.join(ROOT, "docs/img/saliency.png"))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
