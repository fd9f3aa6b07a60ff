#!/usr/bin/env bash
# Runs Debian's docker-registry (/usr/bin/docker-registry) as a throwaway process on a free loopback port, never as
# the system service. Everything lives in DIR: config.yml, data/, registry.pid, registry.log, and with --tls the CA
# (ca.pem) and server certificate generated with openssl.
#
#   hack/test-registry.sh start DIR [--tls] [--htpasswd USER:PASSWORD] [--token REALM ROOTCERT] [--port N]
#       prints 127.0.0.1:PORT once the registry answers /v2/
#   hack/test-registry.sh stop DIR
set -euo pipefail

usage() { sed -n '2,9p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2

stop() {
  if [ -f "$dir/registry.pid" ]; then
    pid=$(cat "$dir/registry.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/registry.pid"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

make_tls() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=criruntime test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}

start() {
  local tls=0 htpasswd="" realm="" rootcert="" port=""
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1 ;;
      --htpasswd) htpasswd=$2; shift ;;
      --token) realm=$2 rootcert=$3; shift 2 ;;
      --port) port=$2; shift ;;
      *) usage ;;
    esac
    shift
  done
  mkdir -p "$dir/data"
  port=${port:-$(free_port)}
  {
    printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: 127.0.0.1:%s\n  secret: criruntime-test\n' "$port"
    if [ $tls = 1 ]; then
      make_tls
      printf '  tls:\n    certificate: %s/server.pem\n    key: %s/server.key\n' "$dir" "$dir"
    fi
    if [ -n "$htpasswd" ]; then
      htpasswd -Bbn "${htpasswd%%:*}" "${htpasswd#*:}" > "$dir/htpasswd"
      printf 'auth:\n  htpasswd:\n    realm: criruntime-test\n    path: %s/htpasswd\n' "$dir"
    elif [ -n "$realm" ]; then
      printf 'auth:\n  token:\n    realm: %s\n    service: criruntime-test\n    issuer: criruntime-test\n    rootcertbundle: %s\n' "$realm" "$rootcert"
    fi
  } > "$dir/config.yml"

  # setsid: the registry must outlive this script but not hold its stdout open.
  setsid /usr/bin/docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$dir/registry.pid"
  scheme=http
  [ $tls = 1 ] && scheme=https
  for _ in $(seq 100); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/v2/" || true)
    if [ "$code" = 200 ] || [ "$code" = 401 ]; then
      echo "127.0.0.1:$port"
      return 0
    fi
    kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "test-registry: docker-registry did not come up; log:" >&2
  cat "$dir/registry.log" >&2
  stop
  exit 1
}

case $cmd in
  start) start "$@" ;;
  stop) stop ;;
  *) usage ;;
esac
