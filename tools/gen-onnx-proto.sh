#!/usr/bin/env bash
# Regenerates Sources/Engine/ONNX/onnx.pb.swift from tools/onnx-proto/onnx.proto.
#
# The generated file is committed, so building Fovea never needs protoc. Run this only when the
# .proto changes (copy a newer one from the Python onnx package: site-packages/onnx/onnx.proto).
#
# Needs: protoc (Debian: protobuf-compiler) and protoc-gen-swift from swift-protobuf 1.39.0, the
# version Package.swift resolves. If PROTOC_GEN_SWIFT is not set, the plugin is built in a scratch
# directory outside the repository from the swift-protobuf checkout (SWIFT_PROTOBUF_GIT, default the
# package's GitHub URL).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROTO_DIR="$ROOT/tools/onnx-proto"
OUT_DIR="$ROOT/Sources/Engine/ONNX"
VERSION="1.39.0"

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

if [[ -z "${PROTOC_GEN_SWIFT:-}" ]]; then
    SCRATCH="${TMPDIR:-/tmp}/fovea-swift-protobuf-$VERSION"
    if [[ ! -x "$SCRATCH/.build/release/protoc-gen-swift" ]]; then
        rm -rf "$SCRATCH"
        git clone -q "${SWIFT_PROTOBUF_GIT:-https://github.com/apple/swift-protobuf.git}" "$SCRATCH"
        git -C "$SCRATCH" checkout -q "$VERSION"
        (cd "$SCRATCH" && swift build -c release --product protoc-gen-swift)
    fi
    PROTOC_GEN_SWIFT="$SCRATCH/.build/release/protoc-gen-swift"
fi

mkdir -p "$OUT_DIR"
protoc \
    --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
    --proto_path="$PROTO_DIR" \
    --swift_opt=Visibility=Internal \
    --swift_out="$OUT_DIR" \
    "$PROTO_DIR/onnx.proto"
echo "wrote $OUT_DIR/onnx.pb.swift"
