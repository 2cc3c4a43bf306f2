#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests (Debian 12's postgresql-15, run unprivileged from a temporary directory):
#   .ci/postgres.sh start DIR   initdb (first time) and start a server in DIR, listening only on
#                               the Unix socket DIR/.s.PGSQL.5432; prints the libpq URL of database
#                               "eventd" (created) as the last line
#   .ci/postgres.sh stop DIR    stop it (fast shutdown); DIR stays
#   .ci/postgres.sh restart DIR stop and start again (the fault tests)
#   .ci/postgres.sh destroy DIR stop it and remove DIR
#   .ci/postgres.sh url DIR     the URL only
# POSTGRES_FSYNC=on makes it durable against power loss (off by default: tests kill processes, not machines).
# POSTGRES_OPTIONS adds server options (e.g. "-c log_min_duration_statement=3" when profiling a benchmark).
# Runs as the `postgres` user when started as root (the server refuses root), as the caller
# otherwise. Trust authentication on the socket only: never a server anyone else reaches.
set -euo pipefail
# The server outlives this script: it must not inherit the caller's descriptors (a test runner's
# pipe or socket it waits on for EOF would then never close).
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
done

cmd="${1:?usage: postgres.sh start|stop|restart|url DIR}"
dir="${2:?usage: postgres.sh start|stop|restart|url DIR}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server (apt-get install postgresql; make deps installs it)" >&2; exit 1; }
url="postgresql:///eventd?host=$dir&user=postgres"

as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        # The server user must reach DIR: every parent traversable.
        local p="$dir"
        while [ "$p" != / ]; do p="$(dirname "$p")"; chmod o+x "$p" 2>/dev/null || true; done
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c fsync=${POSTGRES_FSYNC:-off} -c max_connections=200 ${POSTGRES_OPTIONS:-}" start >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    as_server "$bin/psql" -h "$dir" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'eventd'" | grep -q 1 \
        || as_server "$bin/createdb" -h "$dir" -U postgres eventd
}

stop() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case "$cmd" in
start) start; echo "$url" ;;
stop) stop ;;
restart) stop; start; echo "$url" ;;
destroy) stop; rm -rf "$dir" ;;
url) echo "$url" ;;
*) echo "postgres.sh: unknown command $cmd" >&2; exit 2 ;;
esac
