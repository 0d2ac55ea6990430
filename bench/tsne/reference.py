"""bench/tsne, Python side: openTSNE (n_jobs=2) and scipy timings on the same inputs as the Swift benchmark
(Tests/EngineTests/EmbeddingBenchmarks.swift). t-SNE timings and quality come from
tools/oracle/embedding/tsne_reference.py (reference_10000.json / reference_70000.json); this script adds
PCA 70k×784→50, exact 90-NN of 70k×50 (numpy blocked GEMM) and linear_sum_assignment for 1,024 / 2,025.
"""
import json, os, sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/oracle/embedding"))
from common import fashion, pca, knn

out = {}
if "--lap-only" not in sys.argv:
    x, _ = fashion(70000)
    t = time.time(); x50, _ = pca(x, 50); out["pca_70k_seconds_numpy_float64"] = time.time() - t
    t = time.time(); knn(x50, 90); out["knn90_70k_seconds_numpy"] = time.time() - t
ref = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/EngineTests/Fixtures/embedding_lap1024.json")))
for n, side, pts in [(1024, 32, np.array(ref["points"])),
                     (2025, 45, np.array([[(i * 0.6180339887498949) % 1 * 45, (i * 0.7548776662466927) % 1 * 45] for i in range(2025)]))]:
    grid = np.array([[c + 0.5, r + 0.5] for r in range(side) for c in range(side)])
    cost = ((pts[:, None, :] - grid[None, :, :]) ** 2).sum(-1)
    t, cpu = time.time(), time.process_time()
    r, c = linear_sum_assignment(cost)
    secs, cpu = time.time() - t, time.process_time() - cpu
    out[f"scipy_lsa_{n}"] = {"seconds": secs, "cpu_seconds": cpu, "cost": float(cost[r, c].sum())}
print(json.dumps(out, indent=2))
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_timings.json"), "w"), indent=2)
