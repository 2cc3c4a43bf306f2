#!/usr/bin/env bash
# The "machines" of the fleet tests: one network namespace each, on a bridge of their own
# (Linux, root, iproute2's `ip netns`). Each test run has a TAG of its own (evn + 5 hex digits),
# so parallel suites never share a name, a subnet or an interface:
#   .ci/netns.sh up TAG OWNER_PID MACHINE...
#       bridge TAG-br with 10.201.N.1/24 in this (the root) namespace, where the test's broker
#       listens; per MACHINE a namespace eventd-TAG-MACHINE whose eth0 (10.201.N.2, .3, ...)
#       is a veth whose other end, TAG-MACHINE, sits on the bridge. Prints `broker ADDRESS`,
#       then `machine NAME NAMESPACE ADDRESS` per machine. OWNER_PID is the test process:
#       once it is gone, the next `up` (or `sweep`) removes what the run left behind.
#   .ci/netns.sh cut TAG MACHINE      the machine's link down: it reaches no broker (a partition)
#   .ci/netns.sh heal TAG MACHINE     the link up again
#   .ci/netns.sh down TAG             remove the run's namespaces, links and bridge
#   .ci/netns.sh sweep                remove what runs whose owner process is gone left behind
# Exit status 3: network namespaces cannot be made here (not root, no iproute2, no
# CAP_NET_ADMIN); the tests then run their machines as plain processes of this host.
# A Unix socket path reaches across network namespaces (the test's PostgreSQL is socket only).
set -euo pipefail
# Background helpers must not keep the caller's pipes open (see postgres.sh).
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
done

records=/run/eventd-netns
usage() { echo "usage: netns.sh up TAG OWNER_PID MACHINE... | cut|heal TAG MACHINE | down TAG | sweep" >&2; exit 2; }
unavailable() { echo "netns.sh: $*" >&2; exit 3; }

valid_tag() { [[ "$1" =~ ^evn[0-9a-f]{5}$ ]] || { echo "netns.sh: bad TAG $1 (evn + 5 hex digits)" >&2; exit 2; }; }

# Everything of one run; also what a killed `up` created before it failed.
remove_run() {
    local tag="$1" ns link
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^eventd-$tag-" || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$tag-" || true); do
        ip link del "$link" 2>/dev/null || true
    done
    rm -f "$records/$tag"
}

# Runs whose owner is gone, and interfaces or namespaces of runs without a record.
sweep() {
    local record tag owner name
    for record in "$records"/evn*; do
        [ -f "$record" ] || continue
        tag="${record##*/}"
        owner="$(sed -n 's/^owner //p' "$record")"
        if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then remove_run "$tag"; fi
    done
    for name in $( (ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; ip netns list 2>/dev/null | awk '{print $1}' | sed 's/^eventd-//') \
                   | grep -o '^evn[0-9a-f]\{5\}' | sort -u); do
        [ -f "$records/$name" ] || remove_run "$name"
    done
}

up() {
    local tag="$1" owner="$2"; shift 2
    [ $# -ge 1 ] || usage
    local machine
    for machine in "$@"; do
        [[ "$machine" =~ ^[a-z0-9]{1,6}$ ]] || { echo "netns.sh: machine names are 1-6 of [a-z0-9]: $machine" >&2; exit 2; }
    done
    # The lock and the record come first: a concurrent sweep never takes a run being set up for a leftover.
    mkdir -p "$records"
    exec 9>"$records/.lock"
    flock 9
    sweep
    local n used
    used="$( (cat "$records"/evn* 2>/dev/null || true) | sed -n 's/^subnet //p'
             (ip -4 -o addr show 2>/dev/null || true) | (grep -o ' 10\.201\.[0-9]*\.' || true) | cut -d. -f3)"
    for n in $(seq 0 255) none; do grep -qx "$n" <<<"$used" || break; done
    [ "$n" != none ] || { echo "netns.sh: every 10.201.N.0/24 is in use" >&2; exit 1; }
    printf 'owner %s\nsubnet %s\n' "$owner" "$n" >"$records/$tag"
    setting_up="$tag"
    trap 'remove_run "$setting_up"' EXIT
    local net="10.201.$n"
    ip link add "$tag-br" type bridge
    ip addr add "$net.1/24" dev "$tag-br"
    ip link set "$tag-br" up
    echo "broker $net.1"
    local host=2
    for machine in "$@"; do
        local ns="eventd-$tag-$machine"
        ip netns add "$ns"
        ip link add "$tag-$machine" type veth peer name "$tag-p$host"
        ip link set "$tag-p$host" netns "$ns"
        ip -n "$ns" link set "$tag-p$host" name eth0
        ip -n "$ns" addr add "$net.$host/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip link set "$tag-$machine" master "$tag-br" up
        echo "machine $machine $ns $net.$host"
        host=$((host + 1))
    done
    trap - EXIT
}

cmd="${1:-}"
[ -n "$cmd" ] || usage
[ "$(id -u)" = 0 ] || unavailable "network namespaces need root"
command -v ip >/dev/null || unavailable "no iproute2 (ip)"
case "$cmd" in
up)
    [ $# -ge 4 ] || usage
    valid_tag "$2"
    # A namespace of our own proves CAP_SYS_ADMIN and CAP_NET_ADMIN before anything is recorded.
    probe="eventd-${2}-probe"
    ip netns add "$probe" 2>/dev/null || unavailable "ip netns add failed (no CAP_SYS_ADMIN?)"
    ip netns del "$probe" 2>/dev/null || true
    shift
    up "$@"
    ;;
cut | heal)
    [ $# -eq 3 ] || usage
    valid_tag "$2"
    ip link set "$2-$3" "$([ "$cmd" = cut ] && echo down || echo up)"
    ;;
down)
    [ $# -eq 2 ] || usage
    valid_tag "$2"
    mkdir -p "$records"
    exec 9>"$records/.lock"
    flock 9
    remove_run "$2"
    ;;
sweep)
    mkdir -p "$records"
    exec 9>"$records/.lock"
    flock 9
    sweep
    ;;
*) usage ;;
esac
