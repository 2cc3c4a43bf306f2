#!/usr/bin/env bash
# Keeps a plugin build directory from outliving an SDK change SwiftPM misses.
#
#   .ci/sdk-stamp.sh check BUILD_DIR   removes BUILD_DIR when it was built against another SDK shape
#   .ci/sdk-stamp.sh write BUILD_DIR   records the SDK shape it was just built against
#
# The shape: plugins/sdk/Package.swift, the C headers and module maps, and the list of source
# files. Seen here: after a target gained a dependency in plugins/sdk/Package.swift, the next
# incremental build of every plugin failed ("missing required module"; the one after passed),
# and after a header change one kept code compiled against the old struct layouts. Source
# edits inside existing files are left to SwiftPM, which rebuilds them correctly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
action=$1 dir=$2
shape=$(cd "$root/plugins/sdk" && { cat Package.swift; find Sources -name '*.h' -o -name '*.modulemap' | sort | xargs cat; find Sources -type f | sort; } | sha256sum | cut -c1-16)
case $action in
check)
    if [[ -d $dir && "$(cat "$dir/.sdk-shape" 2>/dev/null)" != "$shape" ]]; then
        echo "   the SDK's manifest, headers or files changed: $dir is built from scratch"
        rm -rf "$dir"
    fi ;;
write) mkdir -p "$dir" && echo "$shape" >"$dir/.sdk-shape" ;;
*) echo "usage: $0 check|write BUILD_DIR" >&2; exit 2 ;;
esac
