#!/usr/bin/env bash
# Install what `make run` needs (Debian 12, run as root): the libraries the
# daemon builds against, and kcat to publish into the embedded cluster. No
# broker from outside: `make run` uses the in-process mock cluster, so the
# test broker (noida-db, .ci/setup-test-deps.sh) is not installed.
set -euo pipefail
log() { echo "setup-run-deps: $*" >&2; }
. "$(dirname "${BASH_SOURCE[0]}")/debs.sh"
ensure_debs librdkafka-dev libsystemd-dev libsqlite3-dev kcat pkg-config
