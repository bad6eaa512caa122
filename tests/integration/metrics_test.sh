#!/bin/bash
# ordercamd's metrics listener against slow clients (docs/daemon.md,
# "Metrics"): 16+ connections that send one byte every 5 s must not keep
# /metrics and /health from answering.
#  1. a request that takes its time but ends within OC_METRICS_REQUEST_MS
#     (5 s) is answered; one still incomplete after 5 s is closed unanswered
#     and counted (both sides of the limit);
#  2. 20 slow-byte connections, each reconnecting when closed, for 30 s:
#     every /metrics and /health request answers within 3 s, and the slow
#     ones were evicted (counted).
# usage: metrics_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
TEST_NAME=metrics_test
. "$src/tests/support/daemon.sh"
SLOW=() # slow-client loops, stopped at exit
cleanup_extra() { for p in "${SLOW[@]}"; do kill "$p" 2>/dev/null || true; done; }

start_broker
METRICS_PORT=$(free_port)
PORT=$METRICS_PORT
cat >"$WORK/edge.json" <<EOF
{"box_id": "edge-m", "mqtt": {"port": $BROKER_PORT},
 "spool": {"dir": "$WORK/spool"}, "evidence": {"enabled": false},
 "metrics": {"listen": "127.0.0.1:$METRICS_PORT"},
 "cameras": [{"id": "cam-1", "width": 1920, "height": 1080}]}
EOF
start_daemon
URL=http://127.0.0.1:$METRICS_PORT

echo "== 1. the request time limit, both sides"
# 2 s between the request line and the blank line: inside the limit, answered
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&3
sleep 2
printf '\r\n' >&3
timeout 10 cat <&3 >"$WORK/slow_ok.txt" || true
exec 3<&-
grep -q '^HTTP/1.1 200' "$WORK/slow_ok.txt" || fail "a request finished within 5 s was not answered: $(cat "$WORK/slow_ok.txt")"
grep -q '^ok' "$WORK/slow_ok.txt" || fail "/health body"
# one byte a second for longer than the limit: closed without an answer
start=$(date +%s)
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
(trap '' PIPE; for i in $(seq 1 15); do printf 'G' || exit 0; sleep 1; done) >&3 2>/dev/null &
feeder=$!
SLOW+=("$feeder")
timeout 20 cat <&3 >"$WORK/slow_bad.txt" || true
took=$(($(date +%s) - start))
exec 3<&-
kill "$feeder" 2>/dev/null || true
[ ! -s "$WORK/slow_bad.txt" ] || fail "a request over the limit got an answer: $(cat "$WORK/slow_bad.txt")"
[ "$took" -ge 4 ] && [ "$took" -le 12 ] || fail "the slow connection was closed after ${took}s, not ~5s"
wait_for 10 metric_at_least 'ordercam_metrics_connections_closed_total{reason="timeout"}' 1 ||
    fail "the timeout was not counted"

echo "== 2. 20 slow-byte connections for 30 s"
for i in $(seq 1 20); do
    (
        trap '' PIPE
        while :; do
            exec 4<>"/dev/tcp/127.0.0.1/$PORT" || { sleep 1; continue; }
            while printf 'G' >&4 2>/dev/null; do sleep 5; done
            exec 4<&-
        done
    ) &
    SLOW+=("$!")
done
sleep 1 # the slow ones hold every slot now (a verdict never waits on this)
end=$(($(date +%s) + 30))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
    t0=$(date +%s%N)
    out=$(curl -s -m 3 -w '%{http_code}' -o "$WORK/m.txt" "$URL/metrics") || fail "/metrics did not answer within 3 s (request $n)"
    [ "$out" = 200 ] || fail "/metrics answered $out (request $n)"
    grep -q '^ordercam_messages_total' "$WORK/m.txt" || fail "/metrics body (request $n)"
    out=$(curl -s -m 3 -w '%{http_code}' -o /dev/null "$URL/health") || fail "/health did not answer within 3 s (request $n)"
    [ "$out" = 200 ] || fail "/health answered $out (request $n)"
    ms=$((($(date +%s%N) - t0) / 1000000))
    n=$((n + 1))
    [ "$n" -gt 1 ] || echo "first /metrics + /health under attack: ${ms} ms"
    sleep 0.5
done
echo "$n /metrics and /health pairs answered under 20 slow connections"
wait_for 10 metric_at_least 'ordercam_metrics_connections_closed_total{reason="evicted"}' 1 ||
    fail "no slow connection was evicted"
for p in "${SLOW[@]}"; do kill "$p" 2>/dev/null || true; done
SLOW=()
echo "metrics_test: ok"
