#!/usr/bin/env bash
# Builds the Debian packages (docs/debian-packaging.md).
#   build-debs.sh                 devtrip-eventd and devtrip-eventd-dev from packaging/debian,
#                                 then devtrip-eventd-plugin-<name> for every plugins/<name>
#                                 (each SwiftPM package there but the SDK), into dist/
#   build-debs.sh plugin NAME [SOURCE_DIR [VERSION [OUT_DIR]]]
#                                 one plugin package (default: plugins/NAME, the daemon's
#                                 version, dist/), e.g. a rebuild for an upgrade test
# A plugin package is built with the plugin template's debian/ directory (the
# one devtrip-eventd-dev ships to plugin teams), so every plugin here is
# packaged the way a team packages its own. Its configuration is
# etc/devtrip-eventd/plugins.d/<name>.toml; its description the first comment
# line there ("# <name>: what it does.").
# Swift build directories persist under .build-deb/ so a re-run is incremental.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# DEB_STAGE: another staging directory (the system test's rebuilds keep out of make deb's).
STAGE="${DEB_STAGE:-$REPO/.build-deb}"
DIST="$REPO/dist"
DEBIAN="$REPO/packaging/debian"
VERSION="$(dpkg-parsechangelog -l "$DEBIAN/changelog" -SVersion)"
MAINTAINER="$(sed -n 's/^Maintainer: //p' "$DEBIAN/control" | head -n1)"
# Build and lintian output go to a log; shown in full when a step fails.
T0=$SECONDS
log() { echo "build-debs: [$((SECONDS - T0)) s] $*" >&2; }
run_logged() {
    local logfile="$1"; shift
    if ! "$@" >"$logfile" 2>&1; then
        tail -n 60 "$logfile" >&2
        log "FAILED: $* (full log: $logfile)"
        return 1
    fi
}

plugins() {
    local p
    for p in "$REPO"/plugins/*/Package.swift; do
        p="$(basename "$(dirname "$p")")"
        [ "$p" = sdk ] || echo "$p"
    done
}

build_daemon() {
    local dir="$STAGE/daemon/devtrip-eventd-$VERSION"
    rm -rf "$STAGE/daemon"
    mkdir -p "$dir"
    cp -r "$DEBIAN" "$dir/debian"
    log "devtrip-eventd $VERSION (swift build -c release, then dpkg-buildpackage)"
    (cd "$dir" && run_logged "$STAGE/daemon.log" env EVENTD_SRC="$REPO" SWIFT_SCRATCH="$STAGE/swift" \
        dpkg-buildpackage -us -uc -b)
    mv "$STAGE"/daemon/*.deb "$STAGE"/daemon/*.changes "$STAGE"/daemon/*.buildinfo "$OUT"/
    find "$STAGE/daemon" -maxdepth 1 -name '*.ddeb' -exec mv {} "$OUT"/ \;
}

# build_plugin NAME SOURCE_DIR VERSION
build_plugin() {
    local name="$1" src="$2" version="$3"
    local config="$REPO/etc/devtrip-eventd/plugins.d/$name.toml"
    [ -f "$src/Package.swift" ] || { log "no $src/Package.swift"; return 1; }
    [ -f "$config" ] || { log "plugin $name has no configuration $config: add it (every plugin ships one)"; return 1; }
    local summary
    summary="$(sed -n "1s/^# *$name: *\(.*[^.]\)\.\?\$/\1/p" "$config")"
    local top="$STAGE/plugin-$name" dir="$STAGE/plugin-$name/devtrip-eventd-plugin-$name-$version"
    rm -rf "$top"/*.deb "$top"/*.ddeb "$top"/*.changes "$top"/*.buildinfo "$top"/devtrip-eventd-plugin-*
    mkdir -p "$dir"
    cp -r "$DEBIAN/plugin-template/debian" "$dir/debian"
    (
        cd "$dir/debian"
        for f in $(grep -rl my-plugin .); do sed -i "s/my-plugin/$name/g" "$f"; done
        for f in *my-plugin*; do [ -e "$f" ] && mv "$f" "${f//my-plugin/$name}"; done
        # Built here against the repository's SDK, not an installed devtrip-eventd-dev.
        sed -i '/^ *devtrip-eventd-dev,$/d; s/^Maintainer: .*/Maintainer: '"$MAINTAINER"'/' control
        # The configuration's first line says what the plugin does.
        if [ -n "$summary" ]; then
            awk -v line=" ${summary^}." '{print} /^Description: / {print line; print " ."}' control >control.new
            mv control.new control
        fi
        cat >changelog <<CHANGELOG
devtrip-eventd-plugin-$name ($version) bookworm; urgency=medium

  * Built from the devtrip-eventd repository, plugins/$name.

 -- $MAINTAINER  $(date -R)
CHANGELOG
    )
    log "devtrip-eventd-plugin-$name $version"
    (cd "$dir" && run_logged "$top/build.log" env \
        PLUGIN_PACKAGE_PATH="$src" PLUGIN_CONFIG="$config" \
        EVENTD_ABI_HEADER="$REPO/plugins/sdk/Sources/CEventdPlugin/include/devtrip_eventd_plugin.h" \
        EVENTD_SWIFT_RUNTIME_DIR="$REPO/.build-deb/daemon/devtrip-eventd-$VERSION/debian/devtrip-eventd/usr/lib/devtrip-eventd/swift" \
        SWIFT_SCRATCH="$top/swift" \
        dpkg-buildpackage -us -uc -b)
    mv "$top"/*.deb "$top"/*.changes "$top"/*.buildinfo "$OUT"/
    find "$top" -maxdepth 1 -name '*.ddeb' -exec mv {} "$OUT"/ \;
}

lint() {
    log "lintian"
    local changes
    for changes in "$@"; do
        local out rc=0
        out="$(lintian --fail-on error,warning "$changes" 2>&1)" || rc=$?
        # (its "running with root privileges is not recommended" is noise here)
        printf '%s\n' "$out" | grep -v -e '^running with root privileges' -e '^$' >&2 || true
        [ "$rc" = 0 ] || { log "lintian failed on $changes"; return 1; }
    done
}

mkdir -p "$STAGE"
case "${1:-all}" in
    all)
        OUT="$DIST"
        mkdir -p "$OUT"
        rm -f "$OUT"/*.deb "$OUT"/*.ddeb "$OUT"/*.changes "$OUT"/*.buildinfo
        build_daemon
        for p in ${DEB_PLUGINS:-$(plugins)}; do build_plugin "$p" "$REPO/plugins/$p" "$VERSION"; done
        lint "$OUT"/*.changes
        ls -l "$OUT"/*.deb >&2
        ;;
    plugin)
        name="${2:?plugin NAME}"
        OUT="${5:-$DIST}"
        mkdir -p "$OUT"
        build_plugin "$name" "$(cd "${3:-$REPO/plugins/$name}" && pwd -P)" "${4:-$VERSION}"
        ;;
    *)
        sed -n '2,13p' "$0" >&2
        exit 64
        ;;
esac
