"""Gradient accuracy of openTSNE's Barnes–Hut and FFT gradients against the exact gradient, on realistic
N = 2,000 embeddings, and the fixture the Swift test measures its own approximations on.

Inputs: the first 2,000 Fashion-MNIST test images / 255, PCA-50, exact 90-NN perplexity-30 affinities.
States: openTSNE (seed 0, defaults, n_jobs=1) after early exaggeration (iteration 250) and converged (750).
Measure: ‖g̃ − g‖ / ‖g‖ over the full N×2 gradient (exaggeration 1), and the same for the repulsive half
(normalised by its exact Z) alone.

    /work/torchenv/bin/python bench/tsne/gradient_error.py      # prints errors; writes the fixture
"""
import json, os, sys
import numpy as np
from openTSNE import TSNE
from openTSNE import affinity as oaff
from openTSNE.tsne import kl_divergence_bh, kl_divergence_fft

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "../../tools/oracle/embedding"))
from common import fashion, pca  # noqa: E402

N = 2000


def exact_gradient(y, P):
    """openTSNE's gradient convention (factor 4 dropped): attractive − repulsive / Z; returns (full, repulsive)."""
    d = y[:, None, :] - y[None, :, :]
    q = 1 / (1 + (d ** 2).sum(-1))
    np.fill_diagonal(q, 0)
    z = q.sum()
    rep = ((q * q)[:, :, None] * d).sum(1) / z
    P = P.tocoo()
    diff = y[P.row] - y[P.col]
    att = np.zeros_like(y)
    np.add.at(att, P.row, (P.data / (1 + (diff ** 2).sum(1)))[:, None] * diff)
    return att - rep, rep, att


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main():
    x, _ = fashion(10000)
    x50, _ = pca(x[:N], 50)
    x50 = x50.astype(np.float64)
    aff = oaff.PerplexityBasedNN(x50, perplexity=30, method="exact", n_jobs=1, random_state=0)
    tsne = TSNE(n_jobs=1, random_state=0, negative_gradient_method="bh")
    emb = tsne.prepare_initial(x50, affinities=aff)
    emb = emb.optimize(n_iter=250, exaggeration=12, momentum=0.8)
    early = np.array(emb, dtype=np.float64)
    emb = emb.optimize(n_iter=500, momentum=0.8)
    final = np.array(emb, dtype=np.float64)
    P = aff.P
    results = {}
    for name, y in [("after_early_exaggeration", early), ("converged", final)]:
        y = np.ascontiguousarray(y)
        g, rep, att = exact_gradient(y, P)
        row = {"range": float(np.abs(y).max())}
        for label, theta in [("bh_theta_0.5", 0.5), ("bh_theta_0.25", 0.25)]:
            _, gb = kl_divergence_bh(y, P, 1, {"theta": theta})
            row[label] = {"full": rel(gb, g), "repulsive": rel(att - gb, rep)}
        for label, params in [("fft_default", dict(n_interpolation_points=3, min_num_intervals=50, ints_in_interval=1)),
                              ("fft_p5", dict(n_interpolation_points=5, min_num_intervals=50, ints_in_interval=1))]:
            _, gf = kl_divergence_fft(y, P, 1, params)
            row[label] = {"full": rel(gf, g), "repulsive": rel(att - gf, rep)}
        results[name] = row
    print(json.dumps(results, indent=2))
    json.dump(results, open(os.path.join(here, "gradient_error_opentsne.json"), "w"), indent=2)
    fixture = {
        "about": "openTSNE 1.0.4 (seed 0, BH, n_jobs=1) on the first 2,000 Fashion-MNIST test images, PCA-50: "
                 "embedding after early exaggeration (250 it) and converged (750 it); bench/tsne/gradient_error.py",
        "after_early_exaggeration": [float(v) for v in early.ravel()],
        "converged": [float(v) for v in final.ravel()],
        "opentsne_errors": results,
    }
    json.dump(fixture, open(os.path.join(here, "../../Tests/EngineTests/Fixtures/embedding_gradient2000.json"), "w"))


if __name__ == "__main__":
    main()
