#!/usr/bin/env bash
# Install what `make deb` and `make test-system` need on the build machine
# (Debian 12, run as root): the daemon's build dependencies (through
# setup-test-deps.sh's package list), debhelper, lintian, and debootstrap +
# systemd-nspawn for the system test. The debs themselves are never installed
# here: the system test installs them in a debootstrap'd rootfs.
# Idempotent and fast on re-run: apt is skipped when everything is installed.
set -euo pipefail

log() { echo "setup-system-deps: $*" >&2; }

PKGS=(
    # build: debhelper 13 and its helpers; dpkg-buildpackage; fakeroot for the binary target
    debhelper dpkg-dev fakeroot
    # the daemon's own build dependencies (debian/control Build-Depends)
    librdkafka-dev libsystemd-dev libsqlite3-dev libpq-dev pkg-config
    # checks
    lintian
    # system test: rootfs creation and booting it
    debootstrap systemd-container debian-archive-keyring
)
# The system test reads JSON answers with python3 (any python3 on PATH will do).
command -v python3 >/dev/null || PKGS+=(python3)

. "$(dirname "${BASH_SOURCE[0]}")/debs.sh"
ensure_debs "${PKGS[@]}"
