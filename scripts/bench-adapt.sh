#!/bin/sh
# Input-format benchmark (docs/bench.md): engine throughput fed by each
# adapter against the native format on the same frames. Builds a Release
# tree in build-bench/, generates a synthetic log of MESSAGES detection
# messages (default 200,000; 16 cameras, about 4 objects each), renders it
# in each format with ordercam-gen convert, and runs bench_adapt.
set -eu
cd "$(dirname "$0")/.."
messages=${MESSAGES:-200000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target ordercam-gen bench_adapt >/dev/null
dir=build-bench/data-adapt
mkdir -p "$dir"
log="$dir/native-$messages.jsonl"
if [ ! -s "$log" ]; then
    echo "generating $log ..."
    build-bench/ordercam-gen bench --out "$log" --scene "$dir/scene.json" --cameras 16 \
        --objects 4 --messages "$messages" --seed 1
fi
set --
for f in deepstream deepstream-minimal onvif frigate; do
    jq --arg f "$f" '.cameras |= map(. + {format: $f})' "$dir/scene.json" >"$dir/scene-$f.json"
    if [ ! -s "$dir/$f-$messages.jsonl" ]; then
        build-bench/ordercam-gen convert --in "$log" --out "$dir/$f-$messages.jsonl" \
            --format "$f" --scene "$dir/scene-$f.json"
    fi
    set -- "$@" "$f" "$dir/scene-$f.json" "$dir/$f-$messages.jsonl"
done
build-bench/tests/bench/bench_adapt "$dir/scene.json" "$log" "$@"
