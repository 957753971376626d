#!/usr/bin/env bash
# Builds the libFuzzer targets in Tests/Fuzz and runs each for a while (Tests/Fuzz/README.md).
#
#   scripts/fuzz.sh [seconds] [--parallel] [--no-build] [target...]
#
#   seconds      how long each target runs (default 600)
#   --parallel   run two targets at once (never more)
#   --no-build   use the binaries already built
#   target       FuzzFrameDecoder, FuzzEnvelope, FuzzHandshake, FuzzLocalAPI (default: all four)
#
# Each target fuzzes a working copy of its seed corpus (Tests/Fuzz/corpus/<target>, left as it
# is) in Tests/Fuzz/.build-fuzz/corpus/<target>; crash, timeout and OOM inputs go to
# Tests/Fuzz/.build-fuzz/artifacts/<target>/, full logs to Tests/Fuzz/.build-fuzz/logs/.
# Prints each target's executions, exec/s, coverage and outcome; exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(FuzzFrameDecoder FuzzEnvelope FuzzHandshake FuzzLocalAPI)
PACKAGE=Tests/Fuzz
SCRATCH=$PACKAGE/.build-fuzz

duration=600
parallel=no
build=yes
targets=()
for arg in "$@"; do
    case "$arg" in
        --parallel) parallel=yes ;;
        --no-build) build=no ;;
        -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
        Fuzz*) targets+=("$arg") ;;
        *[!0-9]* | '') echo "fuzz.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
        *) duration=$arg ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

# One build directory of its own; never the root package's .build.
swift_build() {
    swift build --package-path "$PACKAGE" --scratch-path "$SCRATCH" -c debug -Xswiftc -sanitize="$1" "${@:2}"
}
sanitizers=fuzzer,address
if [ "$build" = yes ]; then
    echo "== building with -sanitize=$sanitizers"
    # (gold warns once per ASan symbol it cannot export: thousands of harmless lines.)
    if ! swift_build "$sanitizers" 2>&1 | { grep -v "Cannot export local symbol" || true; }; then
        echo "== the build with AddressSanitizer failed; building with -sanitize=fuzzer only"
        sanitizers=fuzzer
        swift_build "$sanitizers" 2>&1 | { grep -v "Cannot export local symbol" || true; }
    fi
fi
bin=$(swift_build "$sanitizers" --show-bin-path)

# Swift's crash backtracer would race libFuzzer's and ASan's handlers; let those report.
# Leak checking is off: LSan cannot see object pointers that Swift packs into enum payloads
# (spare bits), so it reports long-lived fixtures as leaks.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

run_target() {
    local target=$1
    local corpus=$SCRATCH/corpus/$target artifacts=$SCRATCH/artifacts/$target/ log=$SCRATCH/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    cp -n "$PACKAGE/corpus/$target"/* "$corpus"/ 2>/dev/null || true
    local status=0 started=$SECONDS
    "$bin/$target" "$corpus" \
        -max_total_time="$duration" -print_final_stats=1 -artifact_prefix="$artifacts" \
        -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 >"$log" 2>&1 || status=$?
    echo "$status $((SECONDS - started))" >"$log.status"
}

summarize() {
    local target=$1 log=$SCRATCH/logs/$1.log
    local status wall execs rate seconds last crash
    read -r status wall <"$log.status"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' || true)
    crash=$(grep -oE 'Test unit written to .*' "$log" | tail -1 | sed 's/.* to //' || true)
    printf '%-17s executions %s, %s exec/s, %s, fuzzed %s s (wall %s s)\n' "$target" "${execs:-?}" "${rate:-?}" \
        "${last:-no coverage line}" "${seconds:-?}" "$wall"
    if [ "$status" = 0 ]; then
        echo "                  no crash, no timeout"
    else
        echo "                  FAILED (exit $status): $(grep -m1 -E '==ERROR|Fatal error|harness check|ALARM|out-of-memory|deadly signal' "$log" || echo 'see log')"
        grep -m2 -E '^ +#[0-9]+ .*(Swift runtime failure|/Sources/Grid)' "$log" | sed 's/^ */                  at /' || true
        echo "                  reproducer: ${crash:-none written}; log: $log"
    fi
}

echo "== fuzzing ${targets[*]} for $duration s each$([ "$parallel" = yes ] && echo ', two at a time'), sanitizers $sanitizers"
if [ "$parallel" = yes ]; then
    for ((i = 0; i < ${#targets[@]}; i += 2)); do
        run_target "${targets[i]}" &
        if [ $((i + 1)) -lt ${#targets[@]} ]; then run_target "${targets[i + 1]}" & fi
        wait
    done
else
    for target in "${targets[@]}"; do run_target "$target"; done
fi

echo "== results"
failed=0
for target in "${targets[@]}"; do
    summarize "$target"
    read -r status _ <"$SCRATCH/logs/$target.log.status"
    [ "$status" = 0 ] || failed=1
done
exit $failed
