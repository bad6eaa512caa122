#!/bin/sh
# Benchmarks of ordercam-central (docs/bench.md), on loopback HTTPS:
#   1. ingest: CLIENTS boxes (default 4) post RECORDS records (default 200000) in batches of
#      1000, each batch followed by 1000 tally rows;
#   2. a store of VIOLATIONS (default 10000000) violations over 30 days is built, then the
#      counts query by road x type over 30 days is timed, and the dashboard's first paint.
set -eu
cd "$(dirname "$0")/.."
. tests/support/wait.sh
scripts/setup.sh >/dev/null
clients=${CLIENTS:-4}
records=${RECORDS:-200000}
violations=${VIOLATIONS:-10000000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=$PWD/build-bench
work=$bin/central-bench
# REUSE=1 keeps a store built by an earlier run (the load takes minutes)
if [ "${REUSE:-0}" = 1 ] && [ -s "$work/query.sqlite" ]; then
    find "$work" -maxdepth 1 -type f ! -name 'query.sqlite*' -delete
else
    rm -rf "$work"
fi
mkdir -p "$work"
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
tokens='{"token": "bench-viewer-token-0123456789", "role": "viewer"}'
i=0
while [ $i -lt "$clients" ]; do
    tokens="$tokens, {\"token\": \"bench-box-token-$i-0123456789\", \"box\": \"bench-$i\"}"
    i=$((i + 1))
done
start_central() { # db
    cat >central.json <<JSON
{"listen": "127.0.0.1:0", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"}, "db": "$1",
 "tz_offset_min": 480, "limits": {"threads": 4, "max_json_kb": 16384}, "tokens": [$tokens]}
JSON
    rm -f port
    "$bin/ordercam-central" -c central.json --port-file port 2>>central.log &
    pid=$!
    wait_for 60 test -s port || { echo "central did not start" >&2; cat central.log >&2; exit 1; }
    url="https://localhost:$(cat port)"
}
rm -f ingest.sqlite*
start_central ingest.sqlite
"$bin/tests/bench/bench_central" ingest "$url" cert.pem "$clients" "$records"
kill "$pid"; wait "$pid" || true

if [ ! -s query.sqlite ]; then
    echo "building a store of $violations violations (takes minutes; REUSE=1 keeps it)..."
    start_central query.sqlite   # creates the schema
    kill "$pid"; wait "$pid" || true
    "$bin/tests/bench/bench_central" load query.sqlite "$violations"
fi
start_central query.sqlite
"$bin/tests/bench/bench_central" query "$url" cert.pem 50
mkdir -p "$bin/browser"
cp ../../tests/browser/package.json ../../tests/browser/package-lock.json ../../tests/bench/dashboard_paint.mjs "$bin/browser/"
(cd "$bin/browser" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null; })
node "$bin/browser/dashboard_paint.mjs" "$url" bench-viewer-token-0123456789
kill "$pid"; wait "$pid" || true
