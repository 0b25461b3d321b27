#!/bin/sh
# Fuzzes TenantRelay's parsers and translators with libFuzzer (clang, ASan + UBSan):
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 600)
# Builds ./build-fuzz (TENANTRELAY_FUZZ=ON), then runs each target for the time given, niced,
# two at a time (FUZZ_JOBS), starting from tests/fuzz/corpus/<target> and
# tests/fuzz/regressions/<target>; what a run learns stays in build-fuzz/corpus/<target>.
# Crashing inputs are written to build-fuzz/findings/<target>/ and the log of each run to
# build-fuzz/findings/<target>.log; the script fails if any target crashed. FUZZ_TARGETS
# picks some of the targets. Not part of .ci/run: the inputs the fuzzers once crashed on are
# replayed by the test suite (ctest -L fuzz-replay).
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-600}
TARGETS=${FUZZ_TARGETS:-"http_request http_response request_body sse_splitter sse_usage_filter anthropic_request anthropic_response anthropic_stream anthropic_ingress_request anthropic_ingress_stream anthropic_usage_filter"}
JOBS=${FUZZ_JOBS:-2}
BUILD=build-fuzz
OUT=$BUILD/findings

OPT=-O2 scripts/build-sanitized.sh $BUILD address,undefined -DTENANTRELAY_FUZZ=ON \
    -DTENANTRELAY_BUILD_TESTS=OFF -- fuzz_all

# Longest input per target: past every limit the parsers enforce with the small limits the
# targets set, while keeping executions fast.
max_len() {
    case $1 in
    http_request | http_response) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

run_one() {
    t=$1
    mkdir -p "$OUT/$t" "$BUILD/corpus/$t" "tests/fuzz/regressions/$t"
    echo "fuzzing $t for ${SECONDS_PER_TARGET}s" >&2
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        nice -n 15 "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" \
        -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/$t/" "$BUILD/corpus/$t" "tests/fuzz/corpus/$t" \
        "tests/fuzz/regressions/$t" >"$OUT/$t.log" 2>&1; then
        echo "$t: $(grep -E '^stat::number_of_executed_units' "$OUT/$t.log" | tail -n 1)" >&2
    else
        echo "$t: FAILED, see $OUT/$t.log and $OUT/$t/" >&2
        return 1
    fi
}

status=0
running=0
pids=""
for t in $TARGETS; do
    run_one "$t" &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        for p in $pids; do wait "$p" || status=1; done
        pids=""
        running=0
    fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
