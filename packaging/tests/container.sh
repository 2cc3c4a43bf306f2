# Sourced by system-test.sh: a Debian 12 container booted with systemd-nspawn
# (docs/systemd.md: the machines have no systemd as PID 1; nspawn's systemd does),
# driven through nsenter. One container at a time, owned by the sourcing shell.

CT_NSPAWN_PID=""   # systemd-nspawn, started by ct_boot
CT_PID=""          # the container's systemd (PID 1 inside)
CT_LOG=""

# ct_boot ROOTFS_DIR LOG: boots the tree and waits until its systemd has started up.
ct_boot() {
    local root="$1"
    CT_LOG="$2"
    systemd-nspawn --register=no --keep-unit -q -D "$root" -b --console=pipe >"$CT_LOG" 2>&1 &
    CT_NSPAWN_PID=$!
    local i
    for i in $(seq 1 100); do
        CT_PID="$(ps -o pid= --ppid "$CT_NSPAWN_PID" 2>/dev/null | tr -d ' ' | head -n1 || true)"
        [ -n "$CT_PID" ] && [ "$(cat "/proc/$CT_PID/comm" 2>/dev/null)" = systemd ] && break
        CT_PID=""
        kill -0 "$CT_NSPAWN_PID" 2>/dev/null || { cat "$CT_LOG" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$CT_PID" ] || { echo "container: no systemd under nspawn $CT_NSPAWN_PID" >&2; cat "$CT_LOG" >&2; return 1; }
    # "running" or "degraded" once start-up is over; either is fine here.
    # Before systemd listens on its bus, systemctl fails at once: ask again.
    local state=""
    for i in $(seq 1 300); do
        state="$(ct systemctl is-system-running --wait 2>/dev/null || true)"
        case "$state" in running | degraded) return 0 ;; esac
        sleep 0.2
    done
    echo "container: systemd did not finish starting up (state '$state')" >&2
    return 1
}

# ct CMD...: runs CMD inside the container as root, with a clean environment.
ct() {
    nsenter -t "$CT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# ct_poweroff: orderly shutdown; nspawn is terminated (by its PID) if that hangs.
ct_poweroff() {
    [ -n "$CT_NSPAWN_PID" ] || return 0
    if kill -0 "$CT_NSPAWN_PID" 2>/dev/null; then
        # systemctl poweroff inside; without a systemd to ask, SIGTERM to nspawn
        # (which asks the container's init to power off too).
        if [ -n "$CT_PID" ]; then
            ct systemctl --no-block poweroff >/dev/null 2>&1 || kill -TERM "$CT_NSPAWN_PID" 2>/dev/null || true
        else
            kill -TERM "$CT_NSPAWN_PID" 2>/dev/null || true
        fi
        local i
        for i in $(seq 1 150); do kill -0 "$CT_NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$CT_NSPAWN_PID" 2>/dev/null; then
            echo "container: no poweroff within 30 s; killing nspawn $CT_NSPAWN_PID" >&2
            kill -KILL "$CT_NSPAWN_PID" 2>/dev/null || true
        fi
    fi
    wait "$CT_NSPAWN_PID" 2>/dev/null || true
    CT_NSPAWN_PID=""
    CT_PID=""
}
