#!/usr/bin/env python3
"""Checks ONNX files exported by Fovea in onnxruntime (and the ONNX checker).

    FOVEA_ONNX_EXPORT_DIR=/tmp/fovea-export swift test --filter writeExportsForOnnxruntime
    /work/torchenv/bin/python tools/oracle/check_export.py /tmp/fovea-export

Each `<name>.onnx` that has oracle values in Tests/EngineTests/Fixtures/onnx is run on the oracle inputs
(batch 1 and 2) and compared with PyTorch's logits; `built.onnx` (a graph written with engine operators)
and `stylizer.onnx` (a fast-style-transfer network: InstanceNormalization, Resize, reflection Pad) are
compared with the engine's own output saved next to them (`<name>.input.npy`, `<name>.output.npy`). Exits non-zero on any mismatch above 1e-5.
"""

import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "onnx")


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main(directory: str) -> None:
    worst = 0.0
    for path in sorted(glob.glob(os.path.join(directory, "*.onnx"))):
        name = os.path.basename(path)[:-5]
        onnx.checker.check_model(onnx.load(path), full_check=True)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feed_name = sess.get_inputs()[0].name
        if os.path.exists(os.path.join(directory, f"{name}.input.npy")):
            x = np.load(os.path.join(directory, f"{name}.input.npy"))
            (got,) = sess.run(None, {feed_name: x})
            err = rel(got, np.load(os.path.join(directory, f"{name}.output.npy")))
            print(f"{name}: onnxruntime vs Fovea max rel err {err:.2e}")
            worst = max(worst, err)
            continue
        for batch in (1, 2):
            prefix = os.path.join(FIXTURES, f"{name}.b{batch}.")
            (got,) = sess.run(None, {feed_name: np.load(prefix + "input.npy")})
            err = rel(got, np.load(prefix + "logits.npy"))
            print(f"{name} b{batch}: onnxruntime vs PyTorch max rel err {err:.2e}")
            worst = max(worst, err)
    if worst > 1e-5:
        sys.exit(f"worst error {worst:.2e} exceeds 1e-5")
    print("all exported models agree with onnxruntime")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fovea-export")
