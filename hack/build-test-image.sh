#!/usr/bin/env bash
# Builds test images with real tools (umoci for the OCI layout, skopeo to push) and pushes them to a registry.
#
#   hack/build-test-image.sh busybox HOST:PORT/REPO:TAG [USER]
#       Debian's busybox-static with every applet hard-linked to /bin/busybox (as the busybox image is made);
#       USER sets the config's User (default unset, i.e. root).
#   hack/build-test-image.sh busybox-config HOST:PORT/REPO:TAG UMOCI_CONFIG_ARG...
#       The busybox image with more `umoci config` arguments (e.g. --config.entrypoint /bin/echo).
#   hack/build-test-image.sh random HOST:PORT/REPO:TAG SIZE_MB LAYERS
#       LAYERS layers of random (incompressible) data totalling SIZE_MB, for pull benchmarks.
#
# Environment: DEST_CREDS=user:password for a registry with auth; FORMAT=v2s2 pushes Docker schema 2 media types
# instead of OCI. Pushes accept any TLS certificate.
set -euo pipefail

usage() { sed -n '2,13p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
kind=$1 dest=$2
work=$(mktemp -d /tmp/criruntime-image-XXXXXX)
trap 'rm -rf "$work"' EXIT

umoci init --layout "$work/oci"
umoci new --image "$work/oci:img"

add_layer() { # $1: function that fills $work/bundle/rootfs
  rm -rf "$work/bundle"
  umoci unpack --image "$work/oci:img" "$work/bundle" >/dev/null
  "$1" "$work/bundle/rootfs"
  umoci repack --image "$work/oci:img" "$work/bundle"
}

fill_busybox() {
  local rootfs=$1
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list-full); do
    [ -e "$rootfs/$applet" ] && continue
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln "$rootfs/bin/busybox" "$rootfs/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
  # staff lists nobody as a member: a container running as nobody gets it as a supplementary group
  printf 'root:x:0:\nnobody:x:65534:\nstaff:x:50:nobody\n' > "$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
}

layer_mb=0 layer_no=0
fill_random() {
  head -c "$((layer_mb * 1024 * 1024))" /dev/urandom > "$1/layer-$layer_no.bin"
}

case $kind in
  busybox)
    add_layer fill_busybox
    umoci config --image "$work/oci:img" --config.cmd sh \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ${3:+--config.user "$3"}
    ;;
  busybox-config)
    add_layer fill_busybox
    umoci config --image "$work/oci:img" --config.cmd sh \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    umoci config --image "$work/oci:img" "${@:3}"
    ;;
  random)
    [ $# -eq 4 ] || usage
    layer_mb=$(($3 / $4))
    for layer_no in $(seq "$4"); do add_layer fill_random; done
    umoci config --image "$work/oci:img" --config.cmd /layer-1.bin
    ;;
  *) usage ;;
esac
umoci gc --layout "$work/oci"
skopeo copy -q --dest-tls-verify=false ${DEST_CREDS:+--dest-creds "$DEST_CREDS"} ${FORMAT:+--format "$FORMAT"} "oci:$work/oci:img" "docker://$dest"
