"""Reference t-SNE runs with openTSNE (n_jobs=2, seed 0) on Fashion-MNIST PCA-50, with timings and metrics.

Usage: python tsne_reference.py N [methods...]   (N = 10000 or 70000; methods: fft bh)
Writes tools/oracle/embedding/reference_N.json (committed) and /tmp/opentsne_N_method.npy.
"""
import json, os, sys, time
import numpy as np
from openTSNE import TSNE
from common import fashion, pca, perplexity_p, exact_kl, knn_accuracy, knn_preservation, trustworthiness

n = int(sys.argv[1])
methods = sys.argv[2:] or ["fft", "bh"]
x, y = fashion(n)
t = time.time(); x50, ratios = pca(x, 50); t_pca = time.time() - t
np.save(f"/tmp/fashion_pca50_{n}.npy", x50)
P = perplexity_p(x50)
out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"reference_{n}.json")
result = json.load(open(out_path)) if os.path.exists(out_path) else {}
result["n"] = n
result["pca50_explained_variance_first3"] = [float(r) for r in ratios[:3]]
for m in methods:
    t = time.time()
    emb = np.asarray(TSNE(n_jobs=2, random_state=0, negative_gradient_method=m).fit(x50))
    secs = time.time() - t
    np.save(f"/tmp/opentsne_{n}_{m}.npy", emb)
    r = {"seconds": secs, "kl_exact": exact_kl(P, emb), "knn5_accuracy": knn_accuracy(emb, y)}
    if n <= 10000:
        r["knn10_preservation"] = knn_preservation(x50, emb)
        r["trustworthiness10"] = trustworthiness(x50, emb)
    result[m] = r
    print(m, r, flush=True)
    json.dump(result, open(out_path, "w"), indent=2)
