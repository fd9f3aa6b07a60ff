#!/usr/bin/env bash
# Installs what CriRuntime needs to build, run and test, from Debian's packages. Idempotent: it installs only
# what is missing and runs apt-get update at most once. Usage: hack/install-deps.sh [--bench]
#   --bench  also the peers the benchmarks compare against (containerd).
set -euo pipefail

packages=(
  # build
  gcc make pkg-config libseccomp-dev libjson-c-dev
  # run: monitor, OCI runtimes, CNI plugins, netns and firewall tools
  conmon runc crun containernetworking-plugins iproute2 iptables
  # test: busybox rootfs, a real registry and real image tools, the CRI wire check
  python3 busybox-static docker-registry skopeo umoci apache2-utils openssl zstd curl jq protobuf-compiler python3-protobuf
  # test: a grpc-go client that sends the socket path as :authority, as kubelet/crictl <= 1.30 do
  golang-go golang-google-grpc-dev
  # test: moby/spdystream, the SPDY library under kubelet, kubectl and crictl, for a streaming client like theirs
  golang-github-docker-spdystream-dev
)
[ "${1:-}" = "--bench" ] && packages+=(containerd)

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-deps: the .NET 10 SDK is required (dotnet on PATH) and is not a Debian package; install it first" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services (docker-registry, containerd): tests start their own instances.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
