#!/usr/bin/env bash
# Starts or stops containerd (Debian's package, with its CRI plugin) as a benchmark peer, isolated in DIR:
# its own root, state, socket, CNI config (the same conflist as ours) and a pause image imported from a local
# OCI archive (registry.k8s.io is unreachable here).
#   hack/containerd-peer.sh start DIR PAUSE_ARCHIVE [REGISTRY_HOST:PORT]   prints the CRI endpoint
#   hack/containerd-peer.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?DIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
pause_ref=localhost/criruntime/pause:bench

case $cmd in
start)
  archive=${3:?PAUSE_ARCHIVE}; registry=${4:-}
  command -v containerd >/dev/null || { echo "containerd is not installed (hack/install-deps.sh --bench)" >&2; exit 1; }
  mkdir -p "$dir/cni" "$dir/certs.d"
  cp "$repo/cni/10-criruntime.conflist" "$dir/cni/"
  if [ -n "$registry" ]; then
    mkdir -p "$dir/certs.d/$registry"
    printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n' \
      "$registry" "$registry" > "$dir/certs.d/$registry/hosts.toml"
  fi
  cat > "$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
oom_score = 0
[grpc]
  address = "$dir/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_ref"
  stream_server_port = "0"
  # CAP_SYS_RESOURCE is missing here: without this, the sandbox's oom_score_adj -998 fails to apply.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
TOML
  containerd --config "$dir/config.toml" > "$dir/containerd.log" 2>&1 &
  echo $! > "$dir/containerd.pid"
  for _ in $(seq 1 100); do [ -S "$dir/containerd.sock" ] && break; sleep 0.1; done
  ctr --address "$dir/containerd.sock" -n k8s.io images import --base-name "${pause_ref%:*}" "$archive" >/dev/null
  echo "unix://$dir/containerd.sock"
  ;;
stop)
  if [ -f "$dir/containerd.pid" ]; then
    pid=$(cat "$dir/containerd.pid")
    # Remove what the peer still runs, so no shim, mount or netns outlives it.
    if [ -S "$dir/containerd.sock" ]; then
      for id in $(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
        ctr --address "$dir/containerd.sock" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1 || true
      done
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/containerd.pid"
  fi
  pkill -f "containerd-shim-runc-v2 -namespace k8s.io -id .* -address $dir/containerd.sock" 2>/dev/null || true
  grep -o " $dir/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  ;;
*) echo "usage: $0 start DIR PAUSE_ARCHIVE [REGISTRY] | stop DIR" >&2; exit 2 ;;
esac
