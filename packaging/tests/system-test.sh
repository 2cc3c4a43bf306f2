#!/usr/bin/env bash
# The system test (`make test-system`): the debs from dist/ installed, run,
# upgraded and purged in a booted Debian 12 container (systemd-nspawn on a
# cached debootstrap rootfs), never on this machine. Needs root, the tools
# of .ci/setup-system-deps.sh, and `make deb` done first.
#
# It checks, in order: install; the service is active and shows STATUS=;
# systemd-analyze security exposure <= 2.0; an admin-group member can use
# devtrip-eventctl and another user cannot; `systemctl reload` returns only
# when the reload is done (and fails when a plugin is refused); upgrading a
# plugin package switches the live version with no restart; installing and
# removing a plugin package built from devtrip-eventd-dev's template loads
# and unloads it; `systemctl stop` drains and exits cleanly; a wedged
# handler makes the watchdog kill and restart the daemon; purge removes
# what the packages brought and nothing else.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SYS="$REPO/.build-system"
ROOT="$SYS/root"
DIST="${DIST:-$REPO/dist}"  # the debs under test
VERSION="$(dpkg-parsechangelog -l "$REPO/packaging/debian/changelog" -SVersion)"
# The rebuilt echo plugin: a higher package version and another version string.
ECHO_V2_VERSION="$VERSION+systest2"
ECHO_V2_STRING="1.0.0-systest2"
# The daemon package again at a higher version (same files), for the upgrade step.
DAEMON_V2_VERSION="$VERSION+systest2"
RUNTIME=/usr/lib/devtrip-eventd/swift
SWIFT_FLAGS=(-c release -Xswiftc -no-toolchain-stdlib-rpath --disable-local-rpath -Xlinker -rpath -Xlinker "$RUNTIME")
# shellcheck source=container.sh
. "$REPO/packaging/tests/container.sh"

T0=$(date +%s.%N)
STEP_T0=$T0
STEP=""
FAILED=0
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step_end() { [ -z "$STEP" ] || echo "   ($(elapsed "$STEP_T0") s)"; }
step() { step_end; STEP="$*"; STEP_T0=$(date +%s.%N); echo "== $STEP"; }
OK_COUNT=0
ok() { OK_COUNT=$((OK_COUNT + 1)); echo "   ok: $*"; }
# check_failed WHAT: a failed check that later steps do not depend on; the run
# goes on and fails at the end, so one run shows every broken behaviour.
FAILED_CHECKS=()
check_failed() { echo "   FAILED: $*" >&2; FAILED_CHECKS+=("[$STEP] $*"); }
fail() {
    echo "FAIL [$STEP]: $*" >&2
    FAILED=1
    if [ -n "$CT_PID" ]; then
        echo "--- systemctl status, last journal lines of devtrip-eventd:" >&2
        ct systemctl status devtrip-eventd --no-pager >&2 || true
        ct journalctl -u devtrip-eventd --no-pager -n 40 -o short-precise >&2 || true
    fi
    exit 1
}
cleanup() {
    ct_poweroff
    if [ "$FAILED" = 0 ]; then rm -rf "$ROOT"; else echo "container tree kept for inspection: $ROOT" >&2; fi
}
trap 'FAILED=1' ERR
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "system test: needs root (debootstrap, systemd-nspawn)" >&2; exit 1; }
mkdir -p "$SYS"
exec 9>"$SYS/test-system.lock"
flock -n 9 || { echo "system test: another run holds $SYS/test-system.lock" >&2; exit 1; }

DAEMON_DEB="$(ls "$DIST"/devtrip-eventd_"$VERSION"_*.deb 2>/dev/null || true)"
DEV_DEB="$(ls "$DIST"/devtrip-eventd-dev_"$VERSION"_all.deb 2>/dev/null || true)"
mapfile -t PLUGIN_DEBS < <(ls "$DIST"/devtrip-eventd-plugin-*_"$VERSION"_*.deb 2>/dev/null | grep -v -- -dbgsym_ || true)
[ -n "$DAEMON_DEB" ] && [ -n "$DEV_DEB" ] && [ "${#PLUGIN_DEBS[@]}" -gt 0 ] ||
    { echo "system test: no debs of $VERSION in dist/ (run make deb)" >&2; exit 1; }
PLUGINS=()
for deb in "${PLUGIN_DEBS[@]}"; do PLUGINS+=("$(dpkg-deb -f "$deb" Package | sed 's/^devtrip-eventd-plugin-//')"); done

# --- on this machine: what the container gets ---------------------------------
step "rootfs (cached) and test builds"
TARBALL="$(bash "$REPO/packaging/tests/rootfs.sh" "$SYS")"
mkdir -p "$SYS/debs"
rm -f "$SYS"/debs/*.deb
# 1. echo again with another version string, packaged with a higher version.
src="$SYS/echo-v2"
rm -rf "$src" && mkdir -p "$src"
cp -a "$REPO"/plugins/echo/Package.swift "$REPO"/plugins/echo/Sources "$REPO"/plugins/echo/Tests "$src"/
sed -i "s|path: \"../sdk\"|path: \"$REPO/plugins/sdk\"|" "$src/Package.swift"
sed -i "s/static let version = \"[^\"]*\"/static let version = \"$ECHO_V2_STRING\"/" "$src/Sources/Echo/EchoPlugin.swift"
grep -q "$ECHO_V2_STRING" "$src/Sources/Echo/EchoPlugin.swift" || fail "could not set echo's version string"
DEB_STAGE="$SYS/deb-stage" bash "$REPO/.ci/build-debs.sh" plugin echo "$src" "$ECHO_V2_VERSION" "$SYS/debs"
# 2. the plugin template, as a team builds it from the installed devtrip-eventd-dev.
dev="$SYS/dev-root"
rm -rf "$dev" "$SYS/template" && mkdir -p "$dev" "$SYS/template"
dpkg-deb -x "$DEV_DEB" "$dev"
dpkg-deb -x "$DAEMON_DEB" "$dev"
cp -a "$dev/usr/share/devtrip-eventd-dev/plugin-template" "$SYS/template/devtrip-eventd-plugin-my-plugin"
(cd "$SYS/template/devtrip-eventd-plugin-my-plugin" &&
    DEVTRIP_EVENTD_SDK="$dev/usr/share/devtrip-eventd-dev/sdk" \
    EVENTD_ABI_HEADER="$dev/usr/include/devtrip-eventd/devtrip_eventd_plugin.h" \
    EVENTD_SWIFT_RUNTIME_DIR="$dev$RUNTIME" SWIFT_SCRATCH="$SYS/template-swift" \
    dpkg-buildpackage -us -uc -b -d >"$SYS/template.log" 2>&1) || { tail -n 30 "$SYS/template.log" >&2; fail "plugin template did not build"; }
cp "$SYS"/template/devtrip-eventd-plugin-my-plugin_*.deb "$SYS/debs/"
# 3. the loader fixture that blocks forever on one event id (the wedge), same toolchain and RUNPATH.
swift build "${SWIFT_FLAGS[@]}" --package-path "$REPO/Tests/Fixtures/plugins" --scratch-path "$SYS/fixtures" \
    --product fixture-counter >"$SYS/fixtures.log" 2>&1 || { tail -n 30 "$SYS/fixtures.log" >&2; fail "fixture-counter did not build"; }
# 4. devtrip-eventd at a higher version: the same files repacked.
rm -rf "$SYS/daemon-v2" && dpkg-deb -R "$DAEMON_DEB" "$SYS/daemon-v2"
sed -i "s/^Version: .*/Version: $DAEMON_V2_VERSION/" "$SYS/daemon-v2/DEBIAN/control"
dpkg-deb --root-owner-group -b "$SYS/daemon-v2" \
    "$SYS/debs/devtrip-eventd_${DAEMON_V2_VERSION}_$(dpkg-deb -f "$DAEMON_DEB" Architecture).deb" >/dev/null
ok "echo $ECHO_V2_VERSION, devtrip-eventd-plugin-my-plugin, fixture-counter, devtrip-eventd $DAEMON_V2_VERSION"

step "boot Debian 12 under systemd-nspawn"
rm -rf "$ROOT" && mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$TARBALL"
mkdir -p "$ROOT/root/debs" "$ROOT/root/debs-v2"
cp "$DAEMON_DEB" "${PLUGIN_DEBS[@]}" "$ROOT/root/debs/"
cp "$SYS"/debs/*.deb "$ROOT/root/debs-v2/"
ct_boot "$ROOT" "$SYS/nspawn.log"
ok "container systemd is PID $CT_PID on this machine ($(ct systemctl is-system-running || true))"

# --- helpers that read the container ------------------------------------------
prop() { ct systemctl show -p "$1" --value devtrip-eventd.service; }
plugins_json() { ct devtrip-eventctl plugin-list --json; }
# plugin_version NAME: the live version, or "-" when not loaded.
plugin_version() {
    plugins_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((p["version"] for p in d["result"]["plugins"] if p["name"] == sys.argv[1]), "-"))' "$1"
}
cursor() { ct journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'; }
# journal_since CURSOR: "MESSAGE | SUMMARY" lines of devtrip-eventd and of systemd about it.
journal_since() {
    ct journalctl --after-cursor="$1" -o json --no-pager |
        python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    unit = e.get("_SYSTEMD_UNIT", "") + e.get("UNIT", "")
    if "devtrip-eventd" in unit:
        print(e.get("MESSAGE", ""), "|", e.get("SUMMARY", ""))'
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local limit="$1" what="$2"; shift 2
    local t; t=$(date +%s)
    until "$@" >/dev/null 2>&1; do
        [ $(($(date +%s) - t)) -lt "$limit" ] || fail "$what: not within $limit s"
        sleep 0.2
    done
}
snapshot() {  # every path the packages could touch, minus what always changes
    ct sh -c 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
        -o -path /var/tmp -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
        -o -path /var/lib/systemd -o -path /root \) -prune -o -print; find /var/lib/systemd -path "*deb-systemd-*"' |
        grep -v -E '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-$' | sort
}

# --- in the container ----------------------------------------------------------
step "install devtrip-eventd and ${#PLUGINS[@]} plugin package(s): ${PLUGINS[*]}"
ct useradd -M -s /usr/sbin/nologin alice
ct useradd -M -s /usr/sbin/nologin bob
snapshot >"$SYS/before.list"
ct sh -c 'apt-get install -y /root/debs/*.deb' >"$SYS/install.log" 2>&1 || { cat "$SYS/install.log" >&2; fail "apt-get install"; }
grep -E '^(Creating|Created|Setting up|Processing triggers)|reload|loaded' "$SYS/install.log" | sed 's/^/   | /'
for p in devtrip-eventd "${PLUGINS[@]/#/devtrip-eventd-plugin-}"; do
    [ "$(ct dpkg-query -W -f='${Status}' "$p")" = "install ok installed" ] || fail "$p is not installed"
done
ok "all installed"

step "the service is active and shows STATUS="
wait_for 30 "devtrip-eventd active" ct systemctl is-active --quiet devtrip-eventd
status_line="$(ct systemctl status devtrip-eventd --no-pager | grep -E '^ +Status: "' || true)"
[ -n "$status_line" ] || fail "no Status: line in systemctl status"
echo "   |$status_line"
MAIN_PID="$(prop MainPID)"
[ "$(prop NRestarts)" = 0 ] || fail "NRestarts is not 0 after install"
for p in "${PLUGINS[@]}"; do
    [ "$(plugin_version "$p")" != - ] || fail "plugin $p is not loaded: $(ct devtrip-eventctl plugin-list)"
done
ok "active, MainPID $MAIN_PID, NRestarts 0, plugins loaded: ${PLUGINS[*]}"

step "systemd-analyze security"
security="$(ct systemd-analyze security devtrip-eventd.service --no-pager | tail -n 1)"
echo "   |$security"
exposure="$(echo "$security" | sed -n 's/.*devtrip-eventd.service: \([0-9.]*\).*/\1/p')"
[ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "exposure '$exposure' is not 2.0 or lower"
ok "exposure $exposure"

step "devtrip-eventctl: the admin group may, others may not"
ct usermod -a -G devtrip-eventd-admin alice
ct ls -l /run/devtrip-eventd/control.sock | sed 's/^/   | /'
rc_alice=0; out_alice="$(ct runuser -u alice -- devtrip-eventctl status 2>&1)" || rc_alice=$?
rc_bob=0; out_bob="$(ct runuser -u bob -- devtrip-eventctl status 2>&1)" || rc_bob=$?
if [ "$rc_alice" != 0 ]; then
    check_failed "alice (in devtrip-eventd-admin) cannot use devtrip-eventctl: exit $rc_alice: $out_alice"
    ct journalctl -u devtrip-eventd -b --no-pager -o cat | grep -i 'control socket' | sed 's/^/   | /' || true
elif [ "$rc_bob" = 0 ]; then
    check_failed "bob (not in devtrip-eventd-admin) could use devtrip-eventctl"
else
    ok "alice: exit 0; bob: exit $rc_bob ($out_bob)"
fi

step "systemctl reload returns when the reload is done"
install -m 0644 "$SYS/fixtures/release/libfixture-counter.so" "$ROOT/usr/lib/devtrip-eventd/plugins/1/libfixture-counter.so"
printf '[plugin]\nenabled = true\n\n[settings]\nblock_id = "wedge"\n' >"$ROOT/etc/devtrip-eventd/plugins.d/counter.toml"
c="$(cursor)"
t=$(date +%s.%N)
ct systemctl reload devtrip-eventd || fail "systemctl reload"
took=$(elapsed "$t")
# No waiting: the plugin must be live the moment systemctl returns.
[ "$(plugin_version counter)" = 0.0.1 ] || fail "counter not loaded when systemctl reload returned"
# Into a file first: grep -q would stop reading early, and pipefail would count the reader's broken pipe.
journal_since "$c" >"$SYS/reload.journal"
grep -q '^reload done' "$SYS/reload.journal" || fail "no 'reload done' in the journal"
ok "counter live when systemctl reload returned ($took s)"
printf 'not an ELF file\n' >"$ROOT/usr/lib/devtrip-eventd/plugins/1/libbroken.so"
rc=0; ct systemctl reload devtrip-eventd 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "systemctl reload succeeded with a refused plugin"
ct systemctl is-active --quiet devtrip-eventd || fail "service not active after a refused reload"
[ "$(prop MainPID)" = "$MAIN_PID" ] || fail "MainPID changed on a refused reload"
rm "$ROOT/usr/lib/devtrip-eventd/plugins/1/libbroken.so"
ct systemctl reload devtrip-eventd || fail "systemctl reload after removing the refused file"
ok "a refused plugin fails systemctl reload (exit $rc); the daemon keeps running (MainPID $MAIN_PID)"

step "upgrading a plugin package switches the live version, no restart"
before="$(plugin_version echo)"
ct sh -c 'apt-get install -y /root/debs-v2/devtrip-eventd-plugin-echo_*.deb' >"$SYS/upgrade.log" 2>&1 || { cat "$SYS/upgrade.log" >&2; fail "apt-get install (upgrade)"; }
grep -E '^(Unpacking|Setting up|Processing triggers)|reloaded|loaded' "$SYS/upgrade.log" | sed 's/^/   | /'
after="$(plugin_version echo)"
[ "$after" = "$ECHO_V2_STRING" ] || fail "echo is $after after the upgrade, not $ECHO_V2_STRING"
[ "$(prop MainPID)" = "$MAIN_PID" ] && [ "$(prop NRestarts)" = 0 ] || fail "the daemon restarted (MainPID $(prop MainPID), NRestarts $(prop NRestarts))"
ok "echo $before -> $after; MainPID $MAIN_PID, NRestarts 0"

step "a plugin package built from devtrip-eventd-dev's template: install, remove, purge"
ct sh -c 'apt-get install -y /root/debs-v2/devtrip-eventd-plugin-my-plugin_*.deb' >"$SYS/template-install.log" 2>&1 ||
    { cat "$SYS/template-install.log" >&2; fail "apt-get install my-plugin"; }
[ "$(plugin_version my-plugin)" = 1.0.0 ] || fail "my-plugin not live after its package was installed"
ct apt-get remove -y devtrip-eventd-plugin-my-plugin >"$SYS/template-remove.log" 2>&1 || { cat "$SYS/template-remove.log" >&2; fail "apt-get remove"; }
[ "$(plugin_version my-plugin)" = - ] || fail "my-plugin still live after its package was removed"
ct test -f /etc/devtrip-eventd/plugins.d/my-plugin.toml || fail "remove took my-plugin's conffile"
ct apt-get purge -y devtrip-eventd-plugin-my-plugin >/dev/null 2>&1 || fail "apt-get purge my-plugin"
ct test ! -e /etc/devtrip-eventd/plugins.d/my-plugin.toml || fail "purge left my-plugin's conffile"
[ "$(prop MainPID)" = "$MAIN_PID" ] && [ "$(prop NRestarts)" = 0 ] || fail "the daemon restarted"
ok "loaded on install, unloaded on remove, conffile gone on purge; MainPID $MAIN_PID, NRestarts 0"

step "upgrading devtrip-eventd keeps the admin's configuration"
ct sh -c 'echo "# edited by the admin (system test)" >>/etc/devtrip-eventd/eventd.toml'
ct sh -c 'apt-get install -y /root/debs-v2/devtrip-eventd_*.deb' >"$SYS/daemon-upgrade.log" 2>&1 ||
    { cat "$SYS/daemon-upgrade.log" >&2; fail "apt-get install (daemon upgrade)"; }
[ "$(ct dpkg-query -W -f='${Version}' devtrip-eventd)" = "$DAEMON_V2_VERSION" ] || fail "devtrip-eventd not upgraded"
ct grep -q '^# edited by the admin' /etc/devtrip-eventd/eventd.toml || check_failed "the admin's edit of eventd.toml was lost"
ct sh -c '! ls /etc/devtrip-eventd/*.dpkg-* 2>/dev/null' || check_failed "dpkg left $(ct sh -c 'ls /etc/devtrip-eventd/*.dpkg-*')"
wait_for 30 "devtrip-eventd active after its upgrade" ct systemctl is-active --quiet devtrip-eventd
[ "$(plugin_version echo)" = "$ECHO_V2_STRING" ] || check_failed "echo is $(plugin_version echo) after the daemon upgrade"
new_pid="$(prop MainPID)"
ok "devtrip-eventd $VERSION -> $DAEMON_V2_VERSION, eventd.toml edit kept, restarted (MainPID $MAIN_PID -> $new_pid), plugins live"
MAIN_PID="$new_pid"

bootstrap() { ct cat /var/lib/devtrip-eventd/embedded.bootstrap; }
publish() {  # publish TOPIC < one record per line
    ct kcat -b "$(bootstrap)" -P -t "$1" -q
}

events() {  # events FROM TO: mission.started envelopes, one per line
    local i
    for i in $(seq "$1" "$2"); do
        printf '{"eventId":"e-%d","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z","source":"systest","subject":"u-%d","payload":{}}\n' "$i" "$i"
    done
}

step "lines about a traced event carry TRACE_ID in the journal"
# A completion without its fields, with a W3C traceparent: ai-evaluation rejects it and the
# daemon's dead-letter line carries the trace id as the structured field TRACE_ID.
trace=0af7651916cd43dd8448eb211c80319c
printf 'u-t|{"eventId":"traced-1","eventType":"mission.completed","occurredAt":"2026-11-24T10:00:00Z","source":"systest","subject":"u-t","payload":{"userId":"u-t"}}\n' |
    ct kcat -b "$(bootstrap)" -P -t mission.completed -K '|' -H "traceparent=00-$trace-b7ad6b7169203331-01" -q
traced_lines() { ct journalctl -u devtrip-eventd TRACE_ID="$trace" -o cat --no-pager | grep 'event dead-lettered'; }
wait_for 30 "a dead-letter line with TRACE_ID=$trace" traced_lines
ok "journalctl TRACE_ID=$trace: $(traced_lines | wc -l) dead-letter line(s)"

step "systemctl stop drains and exits cleanly"
# Every group consuming first (a group join on the mock cluster takes ~3 s),
# then a burst that is still in flight when the stop comes.
events 1 100 | publish mission-events
# (echo-group and counter-group are this test's; other plugins' groups join as quickly)
first_consumed() {
    ct devtrip-eventctl status --json | python3 -c '
import json, sys
groups = {g["name"]: g["counters"]["consumed"] for g in json.load(sys.stdin)["result"]["groups"]}
sys.exit(0 if min(groups.get("echo-group", 0), groups.get("counter-group", 0)) >= 100 else 1)'
}
wait_for 30 "the first 100 events consumed by echo-group and counter-group" first_consumed
events 101 5100 | publish mission-events
c="$(cursor)"
t=$(date +%s.%N)
ct systemctl stop devtrip-eventd || fail "systemctl stop"
took=$(elapsed "$t")
[ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ] ||
    fail "stop: Result=$(prop Result) ExecMainCode=$(prop ExecMainCode) ExecMainStatus=$(prop ExecMainStatus)"
journal_since "$c" >"$SYS/stop.journal"
grep -q '^stopping: draining' "$SYS/stop.journal" || fail "no 'stopping: draining' line"
stopped="$(grep '^stopped |' "$SYS/stop.journal" || true)"
[ -n "$stopped" ] || fail "no 'stopped' line"
! grep -q 'undelivered' "$SYS/stop.journal" || fail "records left undelivered at exit"
# Drained: every record a group took was finished (handled, skipped or dead-lettered).
echo "$stopped" | awk '{ for (i = 1; i <= NF; i++) { v = $(i + 1); sub(/,/, "", v); n[$i] = v } }
    END { exit !(n["consumed"] == n["handled"] + n["skipped"] + n["dead-lettered"] && n["consumed"] > 0) }' ||
    check_failed "consumed and finished records differ at exit: $stopped"
ok "Result=success, exit 0 in $took s; $stopped"

step "a wedged handler: the watchdog kills and restarts the daemon"
mkdir -p "$ROOT/etc/systemd/system/devtrip-eventd.service.d"
printf '[Service]\nWatchdogSec=3s\n' >"$ROOT/etc/systemd/system/devtrip-eventd.service.d/systest-watchdog.conf"
ct systemctl daemon-reload
ct systemctl start devtrip-eventd
pid1="$(prop MainPID)"
restarts0="$(prop NRestarts)"
[ "$(plugin_version counter)" = 0.0.1 ] || fail "counter (block_id=wedge) not loaded"
c="$(cursor)"
t=$(date +%s.%N)
echo '{"eventId":"wedge","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}' | publish mission-events
restarted() { [ "$(prop NRestarts)" -gt "$restarts0" ] && [ "$(prop MainPID)" != "$pid1" ] && [ "$(prop MainPID)" != 0 ] && ct systemctl is-active --quiet devtrip-eventd; }
wait_for 60 "watchdog restart" restarted
took=$(elapsed "$t")
ct journalctl --after-cursor="$c" -u devtrip-eventd --no-pager -o cat | grep -E 'Watchdog timeout|Killing process|Failed with result|Scheduled restart' | sed 's/^/   | /'
ok "MainPID $pid1 -> $(prop MainPID), NRestarts $restarts0 -> $(prop NRestarts), active again after $took s"

step "purge removes what the packages brought, nothing else"
# The test's own additions go first: purge leaves files it did not install.
rm -r "$ROOT/etc/systemd/system/devtrip-eventd.service.d"
rm "$ROOT/usr/lib/devtrip-eventd/plugins/1/libfixture-counter.so" "$ROOT/etc/devtrip-eventd/plugins.d/counter.toml"
ct systemctl daemon-reload
mapfile -t installed < <(ct dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'devtrip-eventd*' | awk '$1 ~ /^[ir]/ {print $2}')
ct apt-get purge -y "${installed[@]}" >"$SYS/purge.log" 2>&1 || { cat "$SYS/purge.log" >&2; fail "apt-get purge"; }
ct sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" != devtrip-eventd ] || exit 1; done' ||
    fail "devtrip-eventd still running after purge"
ct systemctl cat devtrip-eventd.service >/dev/null 2>&1 && fail "the unit is still known to systemd"
snapshot >"$SYS/after.list"
if ! diff -u "$SYS/before.list" "$SYS/after.list" >"$SYS/purge.diff"; then
    cat "$SYS/purge.diff" >&2
    fail "the file system differs from before the install"
fi
ct getent passwd devtrip-eventd >/dev/null && ct getent group devtrip-eventd-admin >/dev/null ||
    fail "system user or admin group gone"
ok "purged ${installed[*]}; every path as before install; the devtrip-eventd user and admin group stay (Debian keeps system accounts)"

step_end
STEP=""
if [ "${#FAILED_CHECKS[@]}" -gt 0 ]; then
    FAILED=1
    printf 'FAILED: %s\n' "${FAILED_CHECKS[@]}" >&2
    echo "system test FAILED (${#FAILED_CHECKS[@]} check(s)) in $(elapsed "$T0") s" >&2
    echo "system: $OK_COUNT passed, ${#FAILED_CHECKS[@]} failed"
    exit 1
fi
echo "system test passed in $(elapsed "$T0") s"
echo "system: $OK_COUNT passed, 0 failed"
