#!/usr/bin/env bash
# Makes (once) the pristine Debian 12 rootfs the system test boots, as a
# tarball under .build-system/, and prints its path. The tarball's name carries
# a hash of everything that shapes it, so a change here builds a new one and a
# re-run reuses it (debootstrap costs about a minute; extracting a few seconds).
# Usage: rootfs.sh [CACHE_DIR]   (default: <repo>/.build-system)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
CACHE="${1:-$REPO/.build-system}"
SUITE=bookworm
# systemd as PID 1 and what the debs need at run time (so installing them
# needs no network), kcat to publish test events, passwd for the test users.
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,librdkafka1,libsqlite3-0,libpq5,kcat,passwd

log() { echo "rootfs: $*" >&2; }

# The mirror apt on this machine uses (deb822 .sources first, then sources.list).
mirror() {
    local uri
    uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
    if [ -z "$uri" ]; then
        uri="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)"
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

MIRROR="$(mirror)"
KEY="$(printf '%s\n' "$SUITE" "$INCLUDE" "$MIRROR" "$(sed -n '/^# --- shape/,$p' "$0")" | sha256sum | cut -c1-12)"
TARBALL="$CACHE/rootfs-$SUITE-$KEY.tar"
if [ -f "$TARBALL" ]; then
    log "reusing $TARBALL"
    echo "$TARBALL"
    exit 0
fi

# --- shape of the rootfs (hashed into the tarball's name) ---------------------
mkdir -p "$CACHE"
WORK="$CACHE/rootfs-build"
rm -rf "$WORK"
log "debootstrap $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$WORK" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -n 20 "$CACHE/debootstrap.log" >&2
    exit 1
}
# apt inside the container uses the same mirror (for dependencies the
# rootfs lacks; the test itself needs none).
printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$WORK/etc/apt/sources.list"
# A machine id and a hostname: systemd boots quietly and the journal works.
systemd-machine-id-setup --root="$WORK" >/dev/null 2>&1 || true
echo devtrip-systest >"$WORK/etc/hostname"
# Root has no password; the container is only ever driven through nsenter.
# Nothing here needs a login prompt on the console.
ln -sf /dev/null "$WORK/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$WORK/etc/systemd/system/getty@.service"
# The journal in memory only: the test reads it, nothing needs it after.
mkdir -p "$WORK/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$WORK/etc/systemd/journald.conf.d/volatile.conf"
apt_clean() { rm -rf "$WORK"/var/cache/apt/archives/*.deb "$WORK"/var/lib/apt/lists/*; }
apt_clean
tar -C "$WORK" --numeric-owner -cf "$TARBALL.tmp" .
mv "$TARBALL.tmp" "$TARBALL"
rm -rf "$WORK"
log "made $TARBALL"
echo "$TARBALL"
