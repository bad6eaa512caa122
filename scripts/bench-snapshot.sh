#!/bin/sh
# Snapshot-URL polling cost (docs/bench.md): CAMERAS cameras (default 4)
# polled at FPS (default 5) for SECONDS (default 20) from a digest-auth test
# server on loopback serving a 1920x1080 JPEG; prints the CPU per camera.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target bench_snapurl ordercam-gen >/dev/null
work=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"' EXIT
. tests/support/wait.sh
# one real camera-like frame: the sample's drawn frames
build-bench/ordercam-gen sample --frames --scene samples/scene.json --out "$work/s.jsonl" >/dev/null
frame=$(ls "$work"/frames/cam-e1/*.jpg | head -1)
python3 tests/support/snapserver.py "$work/port" "$frame" admin bench-pw &
srv=$!
wait_for 20 test -s "$work/port"
build-bench/tests/bench/bench_snapurl "http://127.0.0.1:$(cat "$work/port")/ISAPI/Streaming/channels/101/picture" \
    admin bench-pw "${CAMERAS:-4}" "${FPS:-5}" "${SECONDS_:-20}"
