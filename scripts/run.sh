#!/bin/sh
# The main job on embedded defaults (README): installs what is missing,
# builds, replays the sample event log through the engine and prints the
# violations and the tally table.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
mkdir -p out
build/ordercam-replay --config samples/scene.json --log samples/sample.jsonl.gz \
    --out out/violations.jsonl --tallies out/tallies.jsonl
echo
echo "violations: out/violations.jsonl ($(wc -l <out/violations.jsonl) records)"
echo "tallies per camera, type and minute: out/tallies.jsonl"
