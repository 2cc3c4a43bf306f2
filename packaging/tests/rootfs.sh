#!/usr/bin/env bash
# Makes (once) the pristine Debian 12 rootfs the system test boots, as a
# tarball under .build-system/, and prints its path. The tarball's name carries
# a hash of everything that shapes it, so a change here builds a new one and a
# re-run reuses it (debootstrap costs about a minute; extracting a few seconds).
# Usage: rootfs.sh [CACHE_DIR]   (default: <repo>/.build-system)
#        rootfs.sh --print-mirror  (the mirror it would use, and nothing else)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
CACHE="${1:-$REPO/.build-system}"
SUITE=bookworm
# systemd as PID 1 and what the debs need at run time (so installing them
# needs no network), kcat to publish test events, passwd for the test users.
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,librdkafka1,libsqlite3-0,libpq5,kcat,passwd

log() { echo "rootfs: $*" >&2; }

# The Debian mirror apt on this machine uses for $SUITE, never a fixed one:
# the first enabled deb822 stanza (/etc/apt/sources.list.d/*.sources) of
# Types "deb" whose Suites name $SUITE, else the first one-line "deb" entry
# (sources.list, *.list) for $SUITE; else, for a machine on another release,
# the same search for any suite that is not a security one. DEBIAN_MIRROR
# overrides; APT_ETC (default /etc/apt) is where the sources are read.
APT_ETC="${APT_ETC:-/etc/apt}"
mirror() {
    local uri=""
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    for want in "$SUITE" ANY; do
        uri="$(awk -v want="$want" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
                    n = split(suites, s, " ")
                    for (i = 1; i <= n; i++)
                        if ((want == "ANY" && s[i] !~ /security/) || s[i] == want) { split(uris, u, " "); print u[1]; found = 1; exit }
                }
                types = ""; suites = ""; uris = ""; enabled = ""
            }
            FNR == 1 { flush() }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
            /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
            /^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = tolower($0) }
            END { if (!found) flush() }' "$APT_ETC"/sources.list.d/*.sources 2>/dev/null || true)"
        [ -n "$uri" ] && break
        uri="$(awk -v want="$want" '
            $1 != "deb" { next }
            { i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } }
            (want == "ANY" && $(i + 1) !~ /security/) || $(i + 1) == want { print $i; exit }' \
            "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list 2>/dev/null || true)"
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        log "no Debian mirror for $SUITE in $APT_ETC/sources.list{,.d/*.sources,.d/*.list}; set DEBIAN_MIRROR"
        return 1
    fi
    echo "$uri"
}

MIRROR="$(mirror)"
if [ "${1:-}" = "--print-mirror" ]; then echo "$MIRROR"; exit 0; fi
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
