#!/bin/sh
# Benchmarks (docs/bench.md). Builds a Release tree in build-bench/,
# generates a synthetic log of MESSAGES detection messages (default 1e6,
# about 4 objects each, 16 cameras) once, and prints replay throughput
# against cJSON parsing alone, both measured in this run.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
messages=${MESSAGES:-1000000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=ON >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
dir=build-bench/data
mkdir -p "$dir"
log="$dir/bench-$messages.jsonl"
if [ ! -s "$log" ]; then
    echo "generating $log ..."
    build-bench/ordercam-gen bench --out "$log" --scene "$dir/scene.json" --cameras 16 \
        --objects 4 --messages "$messages" --seed 1
fi
build-bench/tests/bench/bench_replay "$dir/scene.json" "$log"
