#!/usr/bin/env bash
# Runs each libFuzzer target built into .build-fuzz for a bounded time, from its
# seed corpus in Tests/Fuzz/corpus/<target> (read only) plus what earlier runs
# found in .build-fuzz/corpus/<target>; prints executions and crashes per target
# and fails when any target crashed. Usage: run.sh SECONDS TARGET...
set -euo pipefail
seconds=$1; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/.build-fuzz/debug
report=$root/.build-fuzz/fuzz-report.txt
# The Swift runtime's backtracer reads the crashed stack itself, which ASan reports
# as a second error on top of the real one; libFuzzer prints the stack anyway.
export SWIFT_BACKTRACE=enable=no
failed=0
printf '%-22s %12s %8s  %s\n' target executions crashes artifacts | tee "$report"
for target in "$@"; do
    flags=()
    asan=${ASAN_OPTIONS:-}
    # TOMLKit 0.6.0 never frees a parsed table (TOMLTable has no deinit): a leak of
    # the dependency per load, not a crash of ours; everything else is checked.
    if [[ $target == FuzzConfiguration ]]; then
        flags+=(-detect_leaks=0)
        asan=detect_leaks=0${asan:+:$asan}
    fi
    mkdir -p "$root/.build-fuzz/corpus/$target" "$root/.build-fuzz/artifacts/$target"
    log=$root/.build-fuzz/$target.log
    status=0
    ASAN_OPTIONS=$asan "$bin/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${flags[@]}" \
        -artifact_prefix="$root/.build-fuzz/artifacts/$target/" \
        "$root/.build-fuzz/corpus/$target" "$root/Tests/Fuzz/corpus/$target" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=0
    if (( status != 0 )); then
        crashes=1
        failed=1
    fi
    printf '%-22s %12s %8s  %s\n' "$target" "${runs:-?}" "$crashes" \
        "$( ((crashes)) && grep -o 'Test unit written to .*' "$log" | sed 's/Test unit written to //' | tail -1 || echo -)" | tee -a "$report"
    if (( crashes )); then
        grep -E 'Fatal error|Precondition failed|Assertion|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$log" | head -5 || true
        echo "  full log: $log; replay: $bin/$target <artifact>"
    fi
done
exit $failed
