#!/bin/sh
# Builds a throw-away release-mode package in /tmp/embbench from the embedding sources (no Package.swift change,
# no SwiftProtobuf/crypto build) and runs the Swift side of bench/tsne.
#   sh bench/tsne/run_swift_bench.sh tsne 10000 auto|barnesHut|fft
#   sh bench/tsne/run_swift_bench.sh tsne 70000 auto      (prints PCA 70k×784→50 and exact 90-NN 70k×50 too)
#   sh bench/tsne/run_swift_bench.sh lap                   (JV 1,024 / 2,025, grid split 10,000)
#   sh bench/tsne/run_swift_bench.sh profile 10000 80      (one gradient evaluation, BH vs FFT, spread ±80)
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
pkg=${EMBBENCH_DIR:-/tmp/embbench}
mkdir -p $pkg/Sources/Bench $pkg/Sources/EmbeddingCore
cp -r "$root/Sources/COpenBLAS" "$root/Sources/CZlib" $pkg/Sources/
rm -f $pkg/Sources/EmbeddingCore/*.swift
for f in "$root"/Sources/Engine/Embedding/*.swift "$root/Sources/Engine/Interruption.swift" "$root/Sources/Engine/BLAS/BLAS.swift" "$root/Sources/Engine/Ops/BatchParallel.swift" "$root/Sources/Engine/ResourceLimits.swift" "$root/Sources/Engine/Imaging/ImageLimits.swift" "$root/Sources/Engine/AtomicFile.swift" "$root/Sources/Engine/Imaging/ImageError.swift" \
         "$root"/Sources/Engine/Data/IDX.swift "$root"/Sources/Engine/Data/Zlib.swift "$root"/Sources/Engine/Data/DataError.swift "$root"/Sources/Engine/Data/FileBytes.swift; do
    ln -sf "$f" $pkg/Sources/EmbeddingCore/
done
# The engine's SeededGenerator without its Tensor extension (the bench links no Tensor).
sed '/^\/\/\/ How `Tensor.random`/,$d' "$root/Sources/Engine/Tensor/SeededGenerator.swift" > $pkg/Sources/EmbeddingCore/SeededGenerator.swift
cp "$root/bench/tsne/bench_main.swift" $pkg/Sources/Bench/main.swift
cp "$root/bench/tsne/bench_Package.swift" $pkg/Package.swift
(cd $pkg && swift build -c release)
FOVEA_ROOT="$root" exec $pkg/.build/release/Bench "$@"
