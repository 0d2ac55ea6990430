"""Shared helpers for the embedding oracles: Fashion-MNIST loading, PCA-50, and the quality metrics.

The metrics are defined here once and re-implemented identically in Swift
(Sources/Engine/Embedding/EmbeddingQuality.swift), so the numbers are comparable:
- knn_accuracy: 5-NN majority vote, 5 folds by index (fold = i % 5), ties -> smallest label.
- exact_kl: KL(P || Q) with P the symmetric perplexity affinities on EXACT 3*perplexity neighbours
  (openTSNE's formula) and Q the exact Student-t similarities over all pairs.
- knn_preservation: mean |kNN_high(i) ∩ kNN_low(i)| / k, k = 10, Euclidean.
- trustworthiness: Venna & Kaski, k = 10 (same as sklearn.manifold.trustworthiness).
"""
import gzip
import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion(n):
    """N = 10,000: the test set; N = 70,000: train then test. Pixels scaled to [0, 1], float32."""
    if n == 10000:
        x = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
        y = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")
    else:
        x = np.concatenate([read_idx(f"{DATA}/train-images-idx3-ubyte.gz"),
                            read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")])
        y = np.concatenate([read_idx(f"{DATA}/train-labels-idx1-ubyte.gz"),
                            read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")])
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)


def pca(x, k):
    """Exact PCA by the covariance eigendecomposition (float64); sign: largest-|.| loading positive."""
    x = x.astype(np.float64)
    mean = x.mean(0)
    xc = x - mean
    cov = xc.T @ xc / (len(x) - 1)
    w, v = np.linalg.eigh(cov)
    order = np.argsort(w)[::-1][:k]
    w, v = w[order], v[:, order]
    idx = np.argmax(np.abs(v), axis=0)
    v *= np.sign(v[idx, np.arange(k)])
    return (xc @ v).astype(np.float32), w / np.sum(np.linalg.eigvalsh(cov))


def knn(x, k, block=2048):
    """Exact k nearest neighbours (excluding self), squared distances, float64."""
    x = x.astype(np.float64)
    sq = (x * x).sum(1)
    n = len(x)
    idx = np.empty((n, k), np.int64)
    dst = np.empty((n, k))
    for s in range(0, n, block):
        d = sq[s:s + block, None] + sq[None, :] - 2 * x[s:s + block] @ x.T
        d[np.arange(len(d)), np.arange(s, s + len(d))] = np.inf
        part = np.argpartition(d, k, axis=1)[:, :k]
        pd = np.take_along_axis(d, part, 1)
        o = np.argsort(pd, axis=1, kind="stable")
        idx[s:s + block] = np.take_along_axis(part, o, 1)
        dst[s:s + block] = np.maximum(np.take_along_axis(pd, o, 1), 0)
    return idx, dst


def knn_accuracy(emb, labels, k=5, folds=5):
    n = len(emb)
    fold = np.arange(n) % folds
    e = emb.astype(np.float64)
    sq = (e * e).sum(1)
    correct = 0
    for s in range(0, n, 2048):
        d = sq[s:s + 2048, None] + sq[None, :] - 2 * e[s:s + 2048] @ e.T
        same = fold[s:s + 2048, None] == fold[None, :]
        d[same] = np.inf
        part = np.argpartition(d, k, axis=1)[:, :k]
        pd = np.take_along_axis(d, part, 1)
        # order by (distance, index) like the Swift side
        o = np.lexsort((part, pd), axis=1) if False else np.array([np.lexsort((pr, dr)) for pr, dr in zip(part, pd)])
        nn = np.take_along_axis(part, o, 1)
        votes = labels[nn]
        for r in range(len(votes)):
            counts = np.bincount(votes[r], minlength=10)
            correct += int(np.argmax(counts) == labels[s + r])
    return correct / n


def knn_preservation(high, low, k=10):
    ih, _ = knn(high, k)
    il, _ = knn(low, k)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ih, il)]))


def trustworthiness(high, low, k=10):
    n = len(high)
    ih, _ = knn(high, k)
    il, _ = knn(low, k)
    h = high.astype(np.float64)
    sq = (h * h).sum(1)
    total = 0.0
    for i in range(n):
        extra = [j for j in il[i] if j not in set(ih[i])]
        if not extra:
            continue
        d = sq[i] + sq - 2 * h @ h[i]
        d[i] = -np.inf
        for j in extra:
            # rank among the other points (1-based): how many are strictly closer, +1 (self excluded)
            total += (np.sum(d < d[j]) - 1 + 1) - k
    return 1 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * total


def perplexity_p(x, perplexity=30.0):
    """openTSNE's symmetric P from exact 3*perplexity neighbours, as a scipy CSR matrix."""
    import scipy.sparse as sp
    from openTSNE import _tsne
    k = min(len(x) - 1, int(3 * perplexity))
    idx, d2 = knn(x, k)
    cond = np.asarray(_tsne.compute_gaussian_perplexity(np.sqrt(d2), np.array([perplexity], float)))
    n = len(x)
    P = sp.csr_matrix((cond.ravel(), idx.ravel(), range(0, n * k + 1, k)), shape=(n, n))
    P = (P + P.T) / 2
    P /= P.sum()
    return P


def exact_kl(P, emb, dof=1.0):
    """KL(P||Q), Q_ij = w_ij / sum_{k != l} w_kl, w = (1 + d^2/dof)^-dof, over all pairs (float64)."""
    e = emb.astype(np.float64)
    sq = (e * e).sum(1)
    n = len(e)
    z = 0.0
    for s in range(0, n, 2048):
        d = np.maximum(sq[s:s + 2048, None] + sq[None, :] - 2 * e[s:s + 2048] @ e.T, 0)
        w = (1 + d / dof) ** -dof
        w[np.arange(len(w)), np.arange(s, s + len(w))] = 0
        z += w.sum()
    P = P.tocoo()
    d = ((e[P.row] - e[P.col]) ** 2).sum(1)
    q = (1 + d / dof) ** -dof / z
    return float(np.sum(P.data * np.log(P.data / q)))
