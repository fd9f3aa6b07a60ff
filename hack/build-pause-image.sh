#!/usr/bin/env bash
# Builds a pause image from a static pause binary into an OCI archive, for runtimes that need a pause image
# (the containerd peer of the benchmarks). Usage: hack/build-pause-image.sh PAUSE_BINARY OUT.tar
set -euo pipefail
binary=${1:?PAUSE_BINARY}; out=${2:?OUT.tar}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:bench"
umoci unpack --image "$work/oci:bench" "$work/bundle" >/dev/null
install -m 0755 "$binary" "$work/bundle/rootfs/pause"
umoci repack --image "$work/oci:bench" "$work/bundle"
umoci config --image "$work/oci:bench" --config.entrypoint /pause --config.user 65535:65535
tar -C "$work/oci" -cf "$out" .
