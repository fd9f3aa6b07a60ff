#!/usr/bin/env bash
# Build a minimal busybox root filesystem from Debian's busybox-static.
# Usage: hack/build-test-rootfs.sh OUTDIR
# Idempotent: re-running refreshes the applet links and leaves the rest alone.
# Applets are HARD links to /bin/busybox (Debian's busybox-static runs applets
# in-process; a symlinked /bin/ls masked by a test would mask busybox itself).
set -euo pipefail
out=${1:?usage: $0 OUTDIR}
bb=${BUSYBOX:-/bin/busybox}
if [ ! -x "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null
  fi
fi
[ -x "$bb" ] || { echo "busybox-static not installed ($bb)" >&2; exit 1; }
mkdir -p "$out"/{bin,sbin,etc,dev,proc,sys,tmp,root,run,var/tmp,usr/bin,usr/sbin,home}
chmod 1777 "$out/tmp" "$out/var/tmp"
# Copy (not link) busybox so hard links stay inside OUTDIR's filesystem.
if ! cmp -s "$bb" "$out/bin/busybox" 2>/dev/null; then
  cp "$bb" "$out/bin/busybox.tmp" && mv -f "$out/bin/busybox.tmp" "$out/bin/busybox"
fi
chmod 0755 "$out/bin/busybox"
for applet in $("$out/bin/busybox" --list); do
  [ "$applet" = busybox ] && continue
  ln -f "$out/bin/busybox" "$out/bin/$applet"
done
[ -e "$out/bin/sh" ] || ln -f "$out/bin/busybox" "$out/bin/sh"
cat > "$out/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$out/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
[ -e "$out/etc/hostname" ] || echo rootfs > "$out/etc/hostname"
[ -e "$out/etc/resolv.conf" ] || : > "$out/etc/resolv.conf"
[ -e "$out/etc/hosts" ] || echo "127.0.0.1 localhost" > "$out/etc/hosts"
exit 0
