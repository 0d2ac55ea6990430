#!/bin/sh
# Builds a throw-away release package in /tmp/convbench that links Sources/Engine (no Package.swift change; the
# protobuf checkout of this repository's .build) and runs bench/engine/conv_bench_main.swift. See its header.
#   sh bench/engine/conv_bench.sh vgg 5
#   LAYER="vgg 64" MODE=wino sh bench/engine/conv_bench.sh layers 15
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
pkg=${CONVBENCH_DIR:-/tmp/convbench}
protobuf="$root/.build/checkouts/swift-protobuf"
[ -d "$protobuf" ] || { echo "run 'swift build' once in $root first (needs .build/checkouts/swift-protobuf)"; exit 1; }
mkdir -p $pkg/Sources/Bench
for lib in COpenBLAS CPNG CJPEG CFreeType CZlib; do rm -rf "$pkg/Sources/$lib"; cp -r "$root/Sources/$lib" $pkg/Sources/; done
ln -sfn "$root/Sources/Engine" $pkg/Sources/Engine
cp "$root/bench/engine/conv_bench_main.swift" $pkg/Sources/Bench/main.swift
sed "s#SWIFT_PROTOBUF#$protobuf#" "$root/bench/engine/conv_bench_Package.swift" > $pkg/Package.swift
(cd $pkg && swift build -c release)
cd "$root" && FOVEA_ORACLE="${FOVEA_ORACLE:-$root/tools/oracle/out}" exec $pkg/.build/release/Bench "$@"
