#!/bin/bash
# Soak test (docs/bench.md), not part of the default test run: 16 simulated
# cameras at 10 fps through a real mosquitto into ordercamd for SOAK_MINUTES
# (default 10), with the uplink to a real ordercam-central cut and restored
# every minute (central stopped for 30 s) and the daemon SIGKILLed twice.
# Reports the daemon's memory over time (must be flat), central's counts
# against offline replay of the same log (must be exact) and drops by reason
# (must be zero). Exit 0 only if all three hold.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
scripts/setup.sh >/dev/null
minutes=${SOAK_MINUTES:-10}
bin=${OC_BUILD_DIR:-build-bench}
cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$bin" -j"$(nproc)" >/dev/null
WORK=$(mktemp -d)
DPID=
CPID=
PUB=
cleanup() {
    [ -n "$PUB" ] && kill "$PUB" 2>/dev/null || true
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    [ -n "$CPID" ] && kill "$CPID" 2>/dev/null || true
    stop_broker || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
. tests/support/broker.sh
. tests/support/wait.sh
fail() { echo "soak: FAIL: $*" >&2; tail -20 "$WORK"/daemon.log >&2; exit 1; }
cd "$WORK"

messages=$((16 * 10 * 60 * minutes))
echo "soak: $minutes min, 16 cameras at 10 fps = $messages detection messages"
"$src/$bin/ordercam-gen" bench --out log.jsonl --scene scene.json --cameras 16 --objects 4 \
    --messages "$messages" --seed 7
"$src/$bin/ordercam-replay" --config scene.json --log log.jsonl --tallies offline.tallies -q >/dev/null
expected=$(jq -r '"\(.camera) \(.type) \(.count)"' offline.tallies |
    awk '{s[$1" "$2] += $3} END {for (k in s) print k, s[k]}' | sort)
total=$(echo "$expected" | awk '{t += $3} END {print t}')

openssl req -x509 -newkey rsa:2048 -nodes -keyout central.key -out central.crt -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
echo "soak-box-token-0123456789" >box.token
VIEWER=soak-viewer-token-0123456789
CPORT=$(free_port)
MPORT=$(free_port)
start_broker
box=$(jq -r .box_id scene.json)
cat >central.json <<JSON
{"listen": "127.0.0.1:$CPORT", "tls": {"cert_file": "central.crt", "key_file": "central.key"},
 "db": "central.sqlite",
 "tokens": [{"token": "soak-box-token-0123456789", "box": "$box"}, {"token": "$VIEWER", "role": "viewer"}]}
JSON
start_central() {
    "$src/$bin/ordercam-central" -c central.json >>central.log 2>&1 &
    CPID=$!
}
stop_central() { kill "$CPID"; wait "$CPID" 2>/dev/null || true; CPID=; }
jq --arg port "$BROKER_PORT" --arg dir "$WORK/spool" --arg m "127.0.0.1:$MPORT" \
   --arg url "https://localhost:$CPORT" --arg tok "$WORK/box.token" --arg ca "$WORK/central.crt" \
   '.mqtt.port = ($port|tonumber) | .spool = {"dir": $dir} | .metrics = {"listen": $m}
    | .central = {"url": $url, "token_file": $tok, "ca_file": $ca, "push_interval_s": 2}' \
   scene.json >edge.json
start_daemon() {
    "$src/$bin/ordercamd" -c edge.json >>daemon.log 2>&1 &
    DPID=$!
    wait_for 60 grep -q "connected" daemon.log || fail "daemon did not connect"
}
metrics() { curl -s "http://127.0.0.1:$MPORT/metrics" || true; }
counts() {
    curl -sf --cacert central.crt -H "Authorization: Bearer $VIEWER" \
        "https://localhost:$CPORT/api/v1/counts?group=camera,type" 2>/dev/null |
        jq -r '.rows[] | "\(.camera) \(.type) \(.count)"' | sort
}

start_central
start_daemon
"$src/$bin/ordercam-replay" --config edge.json --log log.jsonl --publish "127.0.0.1:$BROKER_PORT" \
    --speed 1 >pub.log 2>&1 &
PUB=$!
echo "minute  rss_kb  central  kills"
kills=0
t0=$(date +%s)
rss_log=()
while kill -0 "$PUB" 2>/dev/null; do
    sleep 5
    el=$(($(date +%s) - t0))
    rss=$(ps -o rss= -p "$DPID" 2>/dev/null | tr -d ' ' || echo 0)
    rss_log+=("$el $rss")
    # the uplink: cut at each whole minute, restored 30 s later
    if [ $((el % 60)) -lt 30 ] && [ -n "$CPID" ] && [ "$el" -ge 60 ]; then stop_central; fi
    if [ $((el % 60)) -ge 30 ] && [ -z "$CPID" ]; then start_central; fi
    # two SIGKILLs, at 30% and 70% of the run
    if { [ $kills = 0 ] && [ "$el" -ge $((minutes * 18)) ]; } || { [ $kills = 1 ] && [ "$el" -ge $((minutes * 42)) ]; }; then
        kill -9 "$DPID"; wait "$DPID" 2>/dev/null || true
        kills=$((kills + 1))
        start_daemon
    fi
    [ $((el % 30)) -lt 5 ] && printf '%5.1f  %7s  %-7s  %d\n' "$(echo "$el/60" | bc -l)" "$rss" "$([ -n "$CPID" ] && echo up || echo down)" "$kills"
done
wait "$PUB" || fail "publishing failed: $(cat pub.log)"
[ -n "$CPID" ] || start_central
echo "published; waiting for central to have every count ..."
wait_for 600 eval '[ "$(counts)" = "$expected" ]' || true
got=$(counts | awk '{t += $3} END {print t+0}')
ok=1
if [ "$(counts)" = "$expected" ]; then
    echo "counts at central: exact ($got violations, as offline replay)"
else
    echo "counts at central: $got, offline replay $total — DIFFERENT"
    diff <(counts) <(echo "$expected") | head -20
    ok=0
fi
echo "drops by reason (must be zero):"
drops=$(metrics | grep '^ordercam_drops_total' || true)
echo "$drops" | sed 's/^/  /'
nonzero=$(echo "$drops" | awk '$2 != 0' | wc -l)
[ "$nonzero" = 0 ] || ok=0
# memory: the second half's peak within 20% (+4 MB) of the first half's
n=${#rss_log[@]}
first=0
second=0
for i in "${!rss_log[@]}"; do
    r=${rss_log[$i]#* }
    [ -z "$r" ] && continue
    if [ "$i" -lt $((n / 2)) ]; then [ "$r" -gt "$first" ] && first=$r; else [ "$r" -gt "$second" ] && second=$r; fi
done
echo "memory: peak RSS first half ${first} kB, second half ${second} kB"
[ "$second" -le $((first * 12 / 10 + 4096)) ] || { echo "memory grew"; ok=0; }
[ $ok = 1 ] && echo "soak: ok" || { echo "soak: FAILED"; exit 1; }
