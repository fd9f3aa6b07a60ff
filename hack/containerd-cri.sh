#!/usr/bin/env bash
# A throwaway containerd (Debian's containerd 1.6) serving CRI on a socket in DIR, for benchmarks that compare pulls.
# Its root, state and socket live in DIR; REGISTRY (127.0.0.1:PORT) is configured as a plain-HTTP host through
# config_path/hosts.toml. Never touches the system containerd service or /var/lib/containerd.
#
#   hack/containerd-cri.sh start DIR REGISTRY    prints the socket path once CRI answers
#   hack/containerd-cri.sh stop DIR
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
cmd=$1 dir=$2

case $cmd in
  start)
    registry=$3
    mkdir -p "$dir/certs.d/$registry" "$dir/cni"
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
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = "$dir/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
TOML
    setsid containerd --config "$dir/config.toml" > "$dir/containerd.log" 2>&1 < /dev/null &
    echo $! > "$dir/containerd.pid"
    for _ in $(seq 100); do
      if [ -S "$dir/containerd.sock" ] && grep -q "containerd successfully booted" "$dir/containerd.log"; then
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
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/containerd.pid"
    fi
    # Snapshots may hold mounts under root; unmount them before the caller deletes DIR.
    { grep -o " $dir/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
    ;;
  *) exit 2 ;;
esac
