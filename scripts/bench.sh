#!/bin/sh
# Benchmarks (docs/bench.md). Builds a Release tree in build-bench/,
# generates a synthetic log of MESSAGES detection messages (default 1e6,
# about 4 objects each, 16 cameras) once, and prints replay throughput
# against cJSON parsing alone, both measured in this run. JUNCTION=1: every
# camera is a junction (issue 15's rules: movements, arrows, a waiting
# area, guide lanes, solid lines, a yield line), in its own log and scene.
# ROUNDS (default 2): parse-only/replay rounds, the best of each kept; more
# rounds steady the ratio on a busy machine.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
messages=${MESSAGES:-1000000}
junction=${JUNCTION:-0}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=ON >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
dir=build-bench/data
mkdir -p "$dir"
if [ "$junction" = 1 ]; then
    log="$dir/bench-junction-$messages.jsonl"
    scene="$dir/scene-junction.json"
    flag=--junction
else
    log="$dir/bench-$messages.jsonl"
    scene="$dir/scene.json"
    flag=
fi
if [ ! -s "$log" ] || [ ! -s "$scene" ]; then
    echo "generating $log ..."
    # shellcheck disable=SC2086 # $flag is empty or one word
    build-bench/ordercam-gen bench --out "$log" --scene "$scene" --cameras 16 \
        --objects 4 --messages "$messages" --seed 1 $flag
fi
echo "load before: $(uptime)"
build-bench/tests/bench/bench_replay "$scene" "$log" "${ROUNDS:-2}"
echo "load after:  $(uptime)"
