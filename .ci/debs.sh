# Sourced by the setup scripts: installs the Debian packages that are missing
# (apt-get update only when something is), fast when all are there.
#   ensure_debs PKG...      (needs a `log` function)
ensure_debs() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
        log "Debian packages already installed"
    fi
}
