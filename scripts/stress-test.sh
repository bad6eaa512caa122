#!/bin/bash
# Runs the test suite (plain and AddressSanitizer + UBSan) RUNS times in a
# row (default 10) while a CPU hog keeps every core busy, and stops at the
# first failure. This proves that no test depends on an idle machine: every
# wait in the suite polls its condition with a time limit.
#   RUNS     how many times (default 10)
#   SUITES   "plain asan" (default) or one of them
# The hog is stress-ng (Debian) when present, else one busy shell loop per
# core. Output: one line per run and suite, then "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
suites=${SUITES:-plain asan}
jobs=$(nproc 2>/dev/null || echo 2)
scripts/setup.sh >/dev/null
cmake -S . -B build -DOC_WERROR=ON >/dev/null
cmake --build build -j"$jobs" >/dev/null
if [[ " $suites " == *" asan "* ]]; then
    cmake -S . -B build-asan -DOC_WERROR=ON -DOC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-asan -j"$jobs" >/dev/null
fi
HOGS=()
stop_hogs() { for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hogs EXIT
if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu "$jobs" --quiet &
    HOGS+=($!)
else
    for _ in $(seq "$jobs"); do
        sh -c 'while :; do :; done' &
        HOGS+=($!)
    done
fi
mkdir -p build/stress
passed=0
failed=0
for run in $(seq "$runs"); do
    for suite in $suites; do
        dir=build
        env=()
        if [ "$suite" = asan ]; then
            dir=build-asan
            env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
        fi
        log=build/stress/run-$run-$suite.log
        start=$(date +%s)
        if env "${env[@]}" ctest --test-dir "$dir" --output-on-failure -j"$jobs" >"$log" 2>&1; then
            passed=$((passed + 1))
            echo "run $run $suite: ok ($(($(date +%s) - start)) s)"
        else
            failed=$((failed + 1))
            echo "run $run $suite: FAILED ($(($(date +%s) - start)) s), see $log"
            grep -E "\(Failed\)|\(Timeout\)|\*\*\*" "$log" | head -10
            break 2
        fi
    done
done
echo "stress: $passed passed, $failed failed"
[ "$failed" = 0 ]
