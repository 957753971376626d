#!/usr/bin/env bash
# Regenerates Sources/GridWire/Generated/ from Protocol/grid.proto.
# Needs protoc (apt-get install -y protobuf-compiler). protoc-gen-swift is taken from $PROTOC_GEN_SWIFT
# when set, else built once from the swift-protobuf version Package.swift resolves (about 10 minutes
# on 2 cores; kept in .build-protoc/).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }
plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
  swift build -c release --scratch-path .build-protoc --product protoc-gen-swift
  plugin=.build-protoc/release/protoc-gen-swift
fi

out=Sources/GridWire/Generated
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  --swift_out="$out" -I Protocol Protocol/grid.proto
echo "wrote $out/grid.pb.swift"
