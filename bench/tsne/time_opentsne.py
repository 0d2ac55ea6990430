"""Times openTSNE (n_jobs=2, seed 0) alone on Fashion-MNIST PCA-50 (same PCA as the oracle), for side-by-side
runs with the Swift bench under the same machine load.  Usage: python time_opentsne.py N fft|bh"""
import os, sys, time
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/oracle/embedding"))
from common import fashion, pca
from openTSNE import TSNE
n, m = int(sys.argv[1]), sys.argv[2]
x, _ = fashion(n)
x50, _ = pca(x, 50)
t = time.time()
TSNE(n_jobs=2, random_state=0, negative_gradient_method=m).fit(x50)
print(f"openTSNE {n} {m}: {time.time() - t:.2f} s", flush=True)
