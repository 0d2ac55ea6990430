"""Writes small .npy/.npz files with NumPy so the Swift reader is checked against the real writer.

Run from the repository root:  /work/venv/bin/python tools/oracle/make_npy_fixtures.py
Output: Tests/EngineTests/Fixtures/npy/*.npy|*.npz (a few hundred bytes each). The values are
arange-based so the Swift tests can recompute them exactly.
"""
import os
import numpy as np

out = os.path.join("Tests", "EngineTests", "Fixtures", "npy")
os.makedirs(out, exist_ok=True)

f32 = (np.arange(24, dtype=np.float32) * 0.25 - 3.0).reshape(2, 3, 4)
f64 = (np.arange(6, dtype=np.float64) / 3.0).reshape(2, 3)
u8 = np.arange(0, 250, 10, dtype=np.uint8).reshape(5, 5)
i64 = np.array([3, -1, 0, 9, 2**40], dtype=np.int64)
i32 = np.array([7, -7, 100], dtype=np.int32)
scalar = np.array(2.5, dtype=np.float32)

np.save(os.path.join(out, "f32_2x3x4.npy"), f32)
np.save(os.path.join(out, "f64_2x3.npy"), f64)
np.save(os.path.join(out, "u8_5x5.npy"), u8)
np.save(os.path.join(out, "i64_5.npy"), i64)
np.save(os.path.join(out, "i32_3.npy"), i32)
np.save(os.path.join(out, "scalar.npy"), scalar)
np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(f64))
np.save(os.path.join(out, "bigendian.npy"), f64.astype(">f8"))

# A tiny image data set: 6 gray 4x4 images (uint8) and their labels, stored and deflated.
images = (np.arange(6 * 16) % 256).astype(np.uint8).reshape(6, 4, 4)
labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)
np.savez(os.path.join(out, "tiny_stored.npz"), images=images, labels=labels)
np.savez_compressed(os.path.join(out, "tiny_deflated.npz"), x_train=images, y_train=labels,
                    x_test=images[:2], y_test=labels[:2])
print("wrote", sorted(os.listdir(out)))
