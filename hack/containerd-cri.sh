#!/usr/bin/env bash
# A throwaway containerd (Debian's containerd 1.6) serving CRI on a socket in DIR: the peer our benchmarks compare
# against. Its root, state and socket live in DIR; REGISTRY (127.0.0.1:PORT) is configured as a plain-HTTP host
# through config_path/hosts.toml; pods use the same CNI conflist as ours (cni/); PAUSE_ARCHIVE (an OCI archive from
# hack/build-pause-image.sh) is imported as its sandbox image, since registry.k8s.io is unreachable here.
# Never touches the system containerd service or /var/lib/containerd.
#
#   hack/containerd-cri.sh start DIR REGISTRY [PAUSE_ARCHIVE]    prints the socket path once CRI answers
#   hack/containerd-cri.sh stop DIR
# CNI_CONFLIST=FILE uses that conflist instead of cni/10-criruntime.conflist (e.g. to share a host-local dataDir).
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
cmd=$1 dir=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
pause_ref=localhost/criruntime/pause:bench

case $cmd in
  start)
    registry=$3 pause_archive=${4:-}
    mkdir -p "$dir/certs.d/$registry" "$dir/cni"
    cp "${CNI_CONFLIST:-$repo/cni/10-criruntime.conflist}" "$dir/cni/10-criruntime.conflist"
    cat > "$dir/certs.d/$registry/hosts.toml" <<TOML
server = "http://$registry"
[host."http://$registry"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
TOML
    cat > "$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
oom_score = 0
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  sandbox_image = "$pause_ref"
  # CAP_SYS_RESOURCE is missing here: without this the sandbox's oom_score_adj -998 cannot be applied.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
TOML
    setsid containerd --config "$dir/config.toml" > "$dir/containerd.log" 2>&1 < /dev/null &
    echo $! > "$dir/containerd.pid"
    for _ in $(seq 100); do
      if [ -S "$dir/containerd.sock" ] && grep -q "containerd successfully booted" "$dir/containerd.log"; then
        if [ -n "$pause_archive" ]; then
          ctr --address "$dir/containerd.sock" -n k8s.io images import --base-name "${pause_ref%:*}" "$pause_archive" >/dev/null
        fi
        echo "$dir/containerd.sock"
        exit 0
      fi
      kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "containerd-cri: containerd did not start; log:" >&2
    cat "$dir/containerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/containerd.pid" ]; then
      pid=$(cat "$dir/containerd.pid")
      # Kill what the peer still runs, so no shim, mount or netns outlives it.
      if [ -S "$dir/containerd.sock" ]; then
        for id in $(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
          ctr --address "$dir/containerd.sock" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1 || true
        done
      fi
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/containerd.pid"
    fi
    pkill -f "containerd-shim-runc-v2 .*-address $dir/containerd.sock" 2>/dev/null || true
    # Snapshots may hold mounts under root; unmount them before the caller deletes DIR.
    { grep -o " $dir/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
    ;;
  *) exit 2 ;;
esac
