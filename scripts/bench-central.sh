#!/bin/bash
# Benchmarks of ordercam-central (docs/bench.md), on loopback HTTPS, on the SQLite store, on
# PostgreSQL (a scratch PostgreSQL cluster started here on loopback), or both side by side:
#   1. ingest: N boxes (each of CLIENTS, default "4 32") post RECORDS records in all (default
#      200000) in batches of 1000, each batch followed by 1000 tally rows; on PostgreSQL also
#      the largest N split over two centrals sharing the database (TWO=0 skips it);
#   2. a store of VIOLATIONS (default 10000000) violations over 30 days is built directly
#      (SQLite: bench_central load; PostgreSQL: tests/bench/pg_load.sql), then the counts query by
#      road x type over 30 days and the violations page query are timed (and, on SQLite, the
#      dashboard's first paint when node is installed; PAINT=0 skips it).
# usage: scripts/bench-central.sh [--store sqlite|pg|both]   (default both)
# REUSE=1 keeps the query stores built by an earlier run (the load takes minutes); without it
# each is deleted once measured. INGEST=0 skips the ingest rows (e.g. for a 100 M query run).
# Every wait is time-limited (LIMIT_S, default 3600 s per phase).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/support/wait.sh
. tests/support/broker.sh # free_port
store=both
while [ $# -gt 0 ]; do
    case $1 in
    --store) store=$2; shift 2 ;;
    *) echo "usage: $0 [--store sqlite|pg|both]" >&2; exit 2 ;;
    esac
done
case $store in sqlite) stores=sqlite ;; pg) stores=pg ;; both) stores="sqlite pg" ;;
*) echo "--store: sqlite, pg or both" >&2; exit 2 ;; esac
scripts/setup.sh >/dev/null
clients_list=${CLIENTS:-4 32}
records=${RECORDS:-200000}
violations=${VIOLATIONS:-10000000}
limit=${LIMIT_S:-3600}
src=$PWD
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=$PWD/build-bench
work=$bin/central-bench
if [ "${REUSE:-0}" = 1 ]; then
    find "$work" -maxdepth 1 -type f ! -name 'query.sqlite*' -delete 2>/dev/null || true
else
    rm -rf "$work"
fi
mkdir -p "$work"
cd "$work"
echo "== bench-central: stores: $stores; boxes: $clients_list; $records records; $violations violations"
echo "== $(uptime)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
max_clients=0
for n in $clients_list; do [ "$n" -gt "$max_clients" ] && max_clients=$n; done
tokens='{"token": "bench-viewer-token-0123456789", "role": "viewer"}'
for ((i = 0; i < max_clients; i++)); do
    tokens="$tokens, {\"token\": \"bench-box-token-$i-0123456789\", \"box\": \"bench-$i\"}"
done

pids=()
pg_up=0
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ "$pg_up" = 1 ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# PostgreSQL 15 on loopback: a scratch cluster in $work/pg (trust on 127.0.0.1 only). Like the
# SQLite store's WAL + synchronous=NORMAL, a commit does not wait for its WAL flush
# (synchronous_commit=off: a crash may lose the last moments, never consistency).
start_pg() {
    [ -x "$pgbin/initdb" ] || { echo "PostgreSQL server not installed (scripts/setup.sh)" >&2; exit 1; }
    pgport=$(free_port)
    if [ ! -d "$work/pg/data" ]; then
        mkdir -p "$work/pg/data"
        [ "$(id -u)" = 0 ] && chown -R postgres "$work/pg"
        as_pg "$pgbin/initdb" -D "$work/pg/data" --auth=trust -U postgres >"$work/pg/initdb.log" 2>&1
    fi
    # pg_ctl runs the server through a shell: its options on one line (until 2026-12-02 they
    # spanned three, the newline ended the command, and every setting after the first line
    # was lost: the server ran with 128 MB of shared buffers and logged to the terminal)
    local opts=(-p "$pgport" -k "$work/pg" -c listen_addresses=127.0.0.1 -c synchronous_commit=off
        -c shared_buffers=512MB -c max_connections=200 -c max_wal_size=4GB -c wal_level=minimal
        -c max_wal_senders=0)
    as_pg timeout "$limit" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/pg.log" -w -t 120 \
        -o "${opts[*]}" start >/dev/null
    pg_up=1
    echo "== PostgreSQL: $("$pgbin/postgres" --version)"
}
pg_uri() { echo "postgresql://postgres@127.0.0.1:$pgport/$1"; }
pg_fresh() { # DB
    as_pg "$pgbin/dropdb" -h 127.0.0.1 -p "$pgport" -U postgres --if-exists "$1"
    as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres "$1"
}
psql_c() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d "$1" -tA "${@:2}"; }

start_central() { # NAME DB -> url in $url, pid in $pid
    cat >"$1.json" <<JSON
{"listen": "127.0.0.1:0", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"}, "db": "$2",
 "evidence_dir": "$work/evidence", "tz_offset_min": 480,
 "limits": {"threads": 4, "max_json_kb": 16384, "max_connections": 256}, "tokens": [$tokens]}
JSON
    rm -f "$1.port"
    "$bin/ordercam-central" -c "$1.json" --port-file "$1.port" 2>>central.log &
    pid=$!
    pids+=("$pid")
    wait_for 120 test -s "$1.port" || { echo "central did not start" >&2; tail central.log >&2; exit 1; }
    url="https://localhost:$(cat "$1.port")"
}
stop_central() { kill "$1"; wait "$1" || true; }
ingest() { # URLS CLIENTS
    timeout "$limit" "$bin/tests/bench/bench_central" ingest "$1" cert.pem "$2" "$records" ||
        echo "   (some requests failed: central.log)"
}

[ "${INGEST:-1}" = 1 ] || clients_list=
for st in $stores; do
    [ "$st" = pg ] && [ "$pg_up" = 0 ] && start_pg
    for n in $clients_list; do
        echo "== ingest, $st, $n boxes ($(uptime | sed 's/.*load/load/'))"
        if [ "$st" = sqlite ]; then
            rm -f ingest.sqlite*
            start_central c1 ingest.sqlite
        else
            pg_fresh ingest
            start_central c1 "$(pg_uri ingest)"
        fi
        ingest "$url" "$n"
        stop_central "$pid"
    done
    if [ "$st" = pg ] && [ "${TWO:-1}" = 1 ] && [ -n "$clients_list" ]; then
        echo "== ingest, pg, $max_clients boxes over two centrals on one database ($(uptime | sed 's/.*load/load/'))"
        pg_fresh ingest
        start_central c1 "$(pg_uri ingest)"
        p1=$pid u1=$url
        start_central c2 "$(pg_uri ingest)"
        ingest "$u1,$url" "$max_clients"
        stop_central "$p1"
        stop_central "$pid"
        n=$(psql_c ingest -c "SELECT COUNT(*) FROM violations")
        echo "   stored $n records (every one once)"
    fi
done

for st in $stores; do
    echo "== queries, $st, $violations violations ($(uptime | sed 's/.*load/load/'))"
    if [ "$st" = sqlite ]; then
        if [ ! -s query.sqlite ]; then
            t0=$(date +%s)
            start_central c1 query.sqlite # creates the schema
            stop_central "$pid"
            timeout "$limit" "$bin/tests/bench/bench_central" load query.sqlite "$violations"
            echo "   built in $(($(date +%s) - t0)) s; $(du -h query.sqlite | cut -f1) on disk"
        fi
        t0=$(date +%s)
        start_central c1 query.sqlite
        echo "   central open in $(($(date +%s) - t0)) s"
    else
        have=$(psql_c query -c "SELECT COUNT(*) FROM violation_ids" 2>/dev/null || echo 0)
        if [ "$have" != "$violations" ]; then
            pg_fresh query
            start_central c1 "$(pg_uri query)" # creates the schema
            stop_central "$pid"
            t0=$(date +%s)
            as_pg timeout "$limit" "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d query \
                -q -v n="$violations" -f "$src/tests/bench/pg_load.sql" | grep -v '^Time' || true
            echo "   built in $(($(date +%s) - t0)) s;" \
                "$(psql_c query -c "SELECT pg_size_pretty(pg_database_size('query'))") on disk"
        fi
        t0=$(date +%s)
        start_central c1 "$(pg_uri query)"
        echo "   central open in $(($(date +%s) - t0)) s"
    fi
    timeout "$limit" "$bin/tests/bench/bench_central" query "$url" cert.pem 50 || echo "   (failed)"
    timeout "$limit" "$bin/tests/bench/bench_central" page "$url" cert.pem 50 || echo "   (failed)"
    if [ "$st" = sqlite ] && [ "${PAINT:-1}" = 1 ] && command -v node >/dev/null; then
        mkdir -p "$bin/browser"
        cp "$src/tests/browser/package.json" "$src/tests/browser/package-lock.json" \
            "$src/tests/bench/dashboard_paint.mjs" "$bin/browser/"
        (cd "$bin/browser" && { [ -d node_modules/playwright-core ] || timeout 600 npm ci --no-audit --no-fund >/dev/null; })
        timeout 600 node "$bin/browser/dashboard_paint.mjs" "$url" bench-viewer-token-0123456789 ||
            echo "   (dashboard paint failed)"
    fi
    stop_central "$pid"
    # a big store is deleted before the next is built (100 M on both may not fit on one disk)
    if [ "${REUSE:-0}" != 1 ]; then
        if [ "$st" = sqlite ]; then rm -f query.sqlite*; else pg_fresh query; fi
    fi
done
echo "== done ($(uptime | sed 's/.*load/load/'))"
