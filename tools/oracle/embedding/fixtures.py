"""Writes the small embedding fixtures for the Swift tests (Tests/EngineTests/Fixtures/embedding_*.json).

- embedding_pca.json: a fixed 40×6 matrix (closed-form entries, rebuilt in Swift) -> numpy eigh PCA
  (explained variance, ratios, components with the largest-|loading|-positive sign rule).
- embedding_lap1024.json: 1,024 seeded random points in [0,32)², the 32×32 grid of unit cells (centres
  (c+.5, r+.5), cell index r*32+c), and scipy.optimize.linear_sum_assignment's optimal total squared distance.
"""
import json, os
import numpy as np
from scipy.optimize import linear_sum_assignment

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../Tests/EngineTests/Fixtures")

# PCA
n, d = 40, 6
x = np.array([[np.sin(0.37 * i + 1.3 * j) + ((7 * i + 3 * j) % 11) / 10.0 + (j == 2) * 0.05 * i
               for j in range(d)] for i in range(n)], dtype=np.float32).astype(np.float64)
xc = x - x.mean(0)
cov = xc.T @ xc / (n - 1)
w, v = np.linalg.eigh(cov)
o = np.argsort(w)[::-1]
w, v = w[o], v[:, o]
idx = np.argmax(np.abs(v), axis=0)
v *= np.sign(v[idx, np.arange(d)])
json.dump({"rows": n, "cols": d, "explained_variance": w.tolist(),
           "explained_variance_ratio": (w / w.sum()).tolist(), "components": v.T.tolist(),
           "projected_first_row": (xc[0] @ v).tolist()},
          open(os.path.join(out, "embedding_pca.json"), "w"), indent=1)

# LAP 1,024
rng = np.random.default_rng(7)
pts = rng.uniform(0, 32, size=(1024, 2))
grid = np.array([[c + 0.5, r + 0.5] for r in range(32) for c in range(32)])
cost = ((pts[:, None, :] - grid[None, :, :]) ** 2).sum(-1)
r, c = linear_sum_assignment(cost)
json.dump({"points": pts.tolist(), "grid_cols": 32, "grid_rows": 32, "optimal_cost": float(cost[r, c].sum())},
          open(os.path.join(out, "embedding_lap1024.json"), "w"))
print("pca ratios", (w / w.sum())[:3], "lap cost", cost[r, c].sum())
