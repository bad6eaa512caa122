#!/bin/bash
# Backlog drain after an outage (docs/bench.md): RECORDS (default 100000)
# spooled violation records and their tallies sent by ordercamd's uplink to a
# loopback ordercam-central over HTTPS; records/s, the time per request, and
# the uplink's CPU per record against the engine's CPU per violation, all in
# one run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
records=${RECORDS:-100000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=$PWD/build-bench
WORK=$bin/uplink-bench
rm -rf "$WORK"
mkdir -p "$WORK/spool"
cd "$WORK"
. ../../tests/support/broker.sh
. ../../tests/support/wait.sh
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
echo "bench-box-token-0123456789" >token
port=$(free_port)
cat >central.json <<JSON
{"listen": "127.0.0.1:$port", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"}, "db": "central.sqlite",
 "limits": {"max_json_kb": 16384}, "tokens": [{"token": "bench-box-token-0123456789", "box": "edge-bench"}]}
JSON
"$bin/ordercam-central" -c central.json 2>central.log &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_for 60 eval '(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null' || { cat central.log >&2; exit 1; }
"$bin/ordercam-gen" bench --out engine.jsonl --scene scene.json --cameras 16 --objects 4 --messages 200000 --seed 5
"$bin/tests/bench/bench_uplink" "https://localhost:$port" cert.pem token spool "$records" scene.json engine.jsonl
