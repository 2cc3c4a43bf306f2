# Sourced by Benchmarks/run.sh: the scenarios eventd-payment-pg and eventd-store-pg.
#
#   eventd-payment-pg  the daemon with only plugins/payment (transactional: wallet state, ledger
#                      and outbox per event, group commit per partition batch) on the PostgreSQL
#                      store ([store] backend = "postgresql"), a server on the same machine started
#                      by .ci/postgres.sh in the run's directory with fsync on (POSTGRES_FSYNC=on).
#                      PG_N valid mission.started events (default 20000, produced with kcat); a transactional plugin is much slower than echo;
#                      the figure is the entries that arrived between the first count seen (a whole
#                      batch already in) and the last, over that time (polled every 50 ms).
#                      Target: >= 10,000 events/s (issue #12).
#
#   eventd-store-pg    the same harness with the C fixture plugin tx-counter instead (PG_PLUGIN=tx-counter;
#                      needs `make fixtures`; per event a state read and write of "seen/<id>" and
#                      "total" and a follow-up, almost no CPU of its own): the PostgreSQL store's
#                      own ceiling.
PG_N=${PG_N:-20000}

run_payment_pg() {  # run_payment_pg REP
    local rep=$1 name=eventd-payment-pg d n_saved=$N schema=eventd_payment
    [[ ${PG_PLUGIN:-payment} == tx-counter ]] && { name=eventd-store-pg; schema=eventd_tx_counter; }
    d=$WORK/$name-$rep; mkdir -p "$d/etc/plugins.d" "$d/plugins"
    # The same release build as eventd-payment (built, or brought up to date, by run.sh's build step).
    local payment_so=$OUT/plugin-payment/release/libpayment.so
    if [[ $name == eventd-store-pg ]]; then
        local fixture=$ROOT/.build-plugins/fixtures/libfixture-tx-counter.so
        [[ -f $fixture ]] || die "$name: $fixture is missing: run \`make fixtures\` first"
        cp "$fixture" "$d/plugins/"
        printf '[plugin]\nenabled = true\n' >"$d/etc/plugins.d/tx-counter.toml"
    elif [[ ${SKIP_BUILD:-0} != 1 ]]; then
        log "building plugin payment (release)"
        rm -rf "$OUT/plugin-payment"
        swift build -c release --package-path "$ROOT/plugins/payment" --scratch-path "$OUT/plugin-payment" >"$OUT/build-payment.log" 2>&1 \
            || { tail -30 "$OUT/build-payment.log" >&2; die "payment plugin build failed"; }
    fi
    if [[ $name == eventd-payment-pg ]]; then
        [[ -f $payment_so ]] || die "$name: $payment_so is missing: run without SKIP_BUILD=1 once"
        cp "$payment_so" "$d/plugins/"
        cp "$DAEMON_SRC/etc/devtrip-eventd/plugins.d/payment.toml" "$d/etc/plugins.d/"
    fi
    N=$PG_N
    local url; url=$(POSTGRES_FSYNC=${POSTGRES_FSYNC:-on} bash "$ROOT/.ci/postgres.sh" start "$d/pg" | tail -n1) || die "$name: PostgreSQL did not start"
    "$BIN/mockbroker" "$PARTITIONS" mission-events mission-events.dlq payment-events notification-events auth-events counter-events \
        user-events subscription-events evaluation-events evaluation.completed >"$d/mock.out" 2>"$d/mock.err" &
    MOCK_PID=$!; PIDS+=("$MOCK_PID")
    wait_until 10 has_line "$d/mock.out" : || die "mock broker did not start: $(cat "$d/mock.err")"
    BROKERS=$(head -1 "$d/mock.out")
    cp "${EVENTD_TOML:-$DAEMON_SRC/etc/devtrip-eventd/eventd.toml}" "$d/etc/eventd.toml"
    set_consumer_props "$d/etc/eventd.toml"
    sed -i "s|^backend = \"sqlite\"|backend = \"postgresql\"|; s|^url = \"\"|url = \"${url//&/\\&}\"|" "$d/etc/eventd.toml"
    # shellcheck disable=SC2086
    env $DAEMON_ENV "$DAEMON" --config "$d/etc/eventd.toml" --brokers "$BROKERS" --plugin-dir "$d/plugins" \
        --state-dir "$d/state" --runtime-dir "$d/run" --control-socket "$d/run/control.sock" >"$d/daemon.log" 2>&1 &
    local pid=$!; PIDS+=("$pid")
    wait_until 60 has_line "$d/daemon.log" "partitions assigned" || die "$name: daemon never got partitions: $(tail -5 "$d/daemon.log")"
    local cpu0 perf_pid=; cpu0=$(cpu_ticks "$pid")
    perf_start "$pid" "$d"
    # Ledger entries, counted every 50 ms by one psql session (\watch): a psql process per poll
    # took 12 % of the machine's CPU from the daemon and the server it measures. The loop forks
    # nothing; the progress page (for the error message) is written with printf.
    : >"$d/progress"; truncate -s 4096 "$d/progress"
    (
        first=0
        while read -r count; do
            [[ $count =~ ^[0-9]+$ ]] || continue
            now=${EPOCHREALTIME/./}000
            # The first count seen is a whole batch already committed: the window holds the rest.
            ((first == 0 && count > 0)) && { first=$now; first_count=$count; echo "first_ns=$first" >"$d/watch.out"; }
            le=""; for ((b = 0; b < 8; b++)); do printf -v byte '\\x%02x' $(((count >> (8 * b)) & 255)); le+=$byte; done
            printf "$le" 1<>"$d/progress"
            if ((count >= N)); then echo "first_ns=$first last_ns=$now window=$((count - first_count))" >"$d/watch.out"; exit 0; fi
        done < <(printf 'SELECT count(*) FROM %s.ledger \\watch 0.05\n' "$schema" | psql "$url" -XAt 2>/dev/null)
    ) &
    local watch=$!; PIDS+=("$watch")
    # Valid payment input (the benchmark producer's events carry no ticketCost): 1,000 users, one ticket each.
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) { u = sprintf("user-%04d", i % 1000)
        printf "%s|{\"eventId\":\"bench-pg-%d\",\"eventType\":\"mission.started\",\"occurredAt\":\"2026-11-24T10:00:00Z\",\"source\":\"bench\",\"subject\":\"%s\",\"payload\":{\"userId\":\"%s\",\"missionId\":\"m-%d\",\"ticketCost\":1}}\n", u, i, u, u, i } }' >"$d/events"
    local t0 t1; t0=$(date +%s%N)
    kcat -b "$BROKERS" -P -t mission-events -K '|' -X enable.idempotence=true <"$d/events" 2>"$d/producer.err" || die "$name: kcat failed: $(cat "$d/producer.err")"
    t1=$(date +%s%N)
    PRODUCER_RATE=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / ((b - a) / 1e9) }')
    wait_until "$((60 + N / 500))" exited "$watch" || die "$name: ledger reached only $(progress_of "$d/progress") of $N"
    alive "$pid" || die "$name: daemon died: $(tail -5 "$d/daemon.log")"
    local cpu1 hwm; cpu1=$(cpu_ticks "$pid"); hwm=$(vm_hwm_kb "$pid")
    perf_stop "$perf_pid" "$name" "$d"
    stop "$pid" 30
    local summary; summary=$(grep 'stopped' "$d/daemon.log" | tail -1)
    [[ $summary =~ dead-lettered\ 0 ]] || die "$name: dead letters: $summary"
    check_topic "$name" mission-events
    record "$name" "$rep" "$(field "$d/watch.out" first_ns)" "$(field "$d/watch.out" last_ns)" "$(( (cpu1 - cpu0) * 1000000 / CLK_TCK ))" "$hwm" "$N" "$(field "$d/watch.out" window)"
    stop "$MOCK_PID"
    bash "$ROOT/.ci/postgres.sh" destroy "$d/pg"
    N=$n_saved
}
