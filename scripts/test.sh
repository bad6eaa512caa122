#!/bin/sh
# The test command (README): installs what is missing, checks the style
# (scripts/lint.sh), builds with
# -Werror, runs every test, then the whole suite again under
# AddressSanitizer + UBSan, then the libFuzzer targets for a bounded time.
#   FUZZ_SECONDS  seconds per fuzz target (default 60)
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-60}

scripts/setup.sh

echo "== lint (clang-format, named log levels)"
scripts/lint.sh

echo "== build and test (gcc, -Werror)"
cmake -S . -B build -DOC_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== AddressSanitizer + UBSan"
cmake -S . -B build-asan -DOC_WERROR=ON -DOC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzz (clang libFuzzer, ${fuzz_seconds}s per target)"
CC=clang cmake -S . -B build-fuzz -DOC_WERROR=ON -DOC_FUZZ=ON -DOC_FUZZ_SECONDS="$fuzz_seconds" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs"
ctest --test-dir build-fuzz --output-on-failure -R '^fuzz\.' -j"$jobs"
echo "== all tests passed"
