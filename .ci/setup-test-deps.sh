#!/usr/bin/env bash
# Install build/test dependencies for devtrip-eventd (Debian 12, run as root).
#  1. Debian packages: librdkafka-dev libsystemd-dev libsqlite3-dev libpq-dev kcat pkg-config, postgresql
#     (the PostgreSQL store tests: a throwaway server started by .ci/postgres.sh, never the system one), stunnel4 and
#     openssl (the TLS broker test: a TLS listener in front of the mock broker, a CA made by the test), iproute2
#     (the fleet tests' machines as network namespaces, .ci/netns.sh, when run as root)
#     (+ python3-venv only if the python3 on PATH cannot already make a venv).
#  2. A venv at <repo>/.venv-noida with noida-db==0.2.3 from PyPI (local Kafka broker for tests).
#  3. Prints the noida-db binary's absolute path as the last line, and writes it
#     to <repo>/.venv-noida/NOIDA_BIN.
# Idempotent and fast on re-run: apt and pip are skipped when already satisfied.
set -euo pipefail

NOIDA_VERSION="0.2.3"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="$REPO_ROOT/.venv-noida"

log() { echo "setup-test-deps: $*" >&2; }

# --- 1. Debian packages -------------------------------------------------------
PKGS=(librdkafka-dev libsystemd-dev libsqlite3-dev libpq-dev postgresql kcat pkg-config stunnel4 openssl iproute2)

PYTHON="$(command -v python3 || true)"
# Does the python3 on PATH (possibly pyenv's) have a working venv+ensurepip?
py_venv_ok() { [ -n "$1" ] && "$1" -c 'import venv, ensurepip' >/dev/null 2>&1; }
if ! py_venv_ok "$PYTHON"; then
    # Fall back to Debian's python3, which needs python3-venv for ensurepip.
    PKGS+=(python3 python3-venv)
    PYTHON=/usr/bin/python3
fi

. "$(dirname "${BASH_SOURCE[0]}")/debs.sh"
ensure_debs "${PKGS[@]}"

# --- 2. noida-db venv ---------------------------------------------------------
installed_version() {
    [ -x "$VENV/bin/python" ] || return 0
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("noida-db"))' 2>/dev/null || true
}

if [ "$(installed_version)" != "$NOIDA_VERSION" ]; then
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "creating venv at $VENV with $PYTHON"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    log "installing noida-db==$NOIDA_VERSION"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        "noida-db==$NOIDA_VERSION" >&2
else
    log "noida-db $NOIDA_VERSION already installed in $VENV"
fi

# --- 3. locate the binary -----------------------------------------------------
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
NOIDA_BIN="$SITE/noida_db/noida-db"
if [ ! -f "$NOIDA_BIN" ]; then
    # Wheel layout may differ (platlib); search inside the venv.
    NOIDA_BIN="$(find "$VENV" -path '*/noida_db/noida-db' -type f 2>/dev/null | head -n1 || true)"
fi
if [ -z "$NOIDA_BIN" ] || [ ! -f "$NOIDA_BIN" ]; then
    log "ERROR: noida-db binary not found inside $VENV"
    exit 1
fi
[ -x "$NOIDA_BIN" ] || chmod +x "$NOIDA_BIN"
NOIDA_BIN="$(cd "$(dirname "$NOIDA_BIN")" && pwd -P)/$(basename "$NOIDA_BIN")"

printf '%s\n' "$NOIDA_BIN" > "$VENV/NOIDA_BIN.tmp" && mv -f "$VENV/NOIDA_BIN.tmp" "$VENV/NOIDA_BIN"
echo "$NOIDA_BIN"
