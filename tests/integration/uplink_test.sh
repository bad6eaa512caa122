#!/bin/bash
# ordercamd's spool and uplink against the real ordercam-central over HTTPS
# (certificates made now) and a real mosquitto. Central must end up with
# exactly offline replay's records and counts when:
#  a. central is down for the whole replay and comes up after;
#  b. central fails half its writes (503/429 with Retry-After, 500);
#  c. the daemon is SIGKILLed repeatedly while uploading;
#  d. the token is wrong (401 in logs and metrics), then fixed;
# e. a server certificate from an unknown CA is refused, nothing lost;
# f. the spool's filesystem fills up (a small tmpfs): counting goes on, and
#    everything arrives once there is room again.
# usage: uplink_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
WORK=$(mktemp -d)
DPID=
CPID=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    umount "$WORK/small" 2>/dev/null || true
    [ -n "$CPID" ] && kill "$CPID" 2>/dev/null || true
    stop_broker || true
    rm -rf "$WORK"
}
trap cleanup EXIT
. "$src/tests/support/broker.sh"
. "$src/tests/support/wait.sh"
. "$src/tests/support/tls.sh"
fail() { echo "uplink_test: FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "== $f"; tail -15 "$f"; done >&2; exit 1; }
sample=$src/samples/sample.jsonl.gz
want_total=$(wc -l <"$src/samples/expected/sample.violations.jsonl")
# detection messages the engine accepts, as the offline summary counts them
total_det=$(awk '/^messages:/ {print $2}' "$src/samples/expected/sample.summary.txt")
# expected counts per camera and type, from offline replay's tallies
expected_counts=$(sed -E 's/.*"camera":"([^"]*)","type":"([^"]*)","bucket":[0-9]+,"count":([0-9]+).*/\1 \2 \3/' \
    "$src/samples/expected/sample.tallies.jsonl" | awk '{s[$1" "$2] += $3} END {for (k in s) print k, s[k]}' | sort)
expected_ids=$(grep -o '"id":"[^"]*"' "$src/samples/expected/sample.violations.jsonl" | sort)

cd "$WORK"
tls_certs || fail "cannot make the test certificates"
tls_ca other.key other-ca.pem 'other CA'
echo "box-token-0123456789abcdef" >box.token
VIEWER=viewer-token-0123456789abcdef
CPORT=$(free_port)
METRICS_PORT=$(free_port)
start_broker

start_central() { # db [fault rate]
    local faults=""
    [ -n "${2:-}" ] && faults=", \"faults\": {\"write_error_rate\": $2}"
    central_config central.json "$CPORT" <<JSON
 "db": "$1"$faults,
 "tokens": [{"token": "box-token-0123456789abcdef", "box": "edge-jc-0001"},
            {"token": "$VIEWER", "role": "viewer"}]
JSON
    central_start central.json "$CPORT" || fail "central did not start"
}
stop_central() { central_stop; }

edge_config() { # spool [ca]
    sed -e "s#\"port\": 1883#\"port\": $BROKER_PORT#" \
        -e "s#\"dir\": \"/var/lib/ordercam\"#\"dir\": \"$WORK/$1\", \"snapshot_s\": 1#" \
        -e "s#\"tally\": {\"bucket_s\": 60},#\"tally\": {\"bucket_s\": 60}, \"metrics\": {\"listen\": \"127.0.0.1:$METRICS_PORT\"}, \"central\": {\"url\": \"https://localhost:$CPORT\", \"token_file\": \"$WORK/box.token\", \"ca_file\": \"$WORK/${2:-ca.pem}\", \"push_interval_s\": 1},#" \
        "$src/samples/scene.json" >edge.json
}
start_daemon() {
    local from=$(($(stat -c %s daemon.log 2>/dev/null || echo 0) + 1)) # only this run's lines
    "$bin/ordercamd" -c edge.json >>daemon.log 2>&1 &
    DPID=$!
    wait_for 60 eval 'tail -c +$from daemon.log | grep -q "broker.*connected"' || fail "daemon did not connect"
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_gt() { [ "$(metric "$1")" -gt "$2" ] 2>/dev/null; }
stop_daemon() { kill -TERM "$DPID"; wait "$DPID" || fail "daemon exit $?"; DPID=; }
metric() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep -v '^#' | grep -F "$1 " | awk '{print $2}'; }
publish() { "$bin/ordercam-replay" --config edge.json --log "$sample" --publish "127.0.0.1:$BROKER_PORT" --speed "${1:-0}" 2>>pub.log; }

central_counts() {
    curl -sf --cacert ca.pem -H "Authorization: Bearer $VIEWER" "https://localhost:$CPORT/api/v1/counts?group=camera,type" |
        grep -o '{[^}]*}' | sed -E 's/.*"camera":"([^"]*)","type":"([^"]*)","count":([0-9]+).*/\1 \2 \3/' | sort
}
central_ids() {
    curl -sf --cacert ca.pem -H "Authorization: Bearer $VIEWER" "https://localhost:$CPORT/api/v1/violations?limit=1000" |
        grep -o '"id":"[^"]*"' | sort
}
# Waits until central holds exactly the sample's records and counts.
wait_central_exact() {
    # generous: with half the writes failing, a streak of failures backs the
    # uplink off for up to a minute (capped exponential, full jitter)
    wait_for 300 eval '[ "$(central_counts)" = "$expected_counts" ] && [ "$(central_ids)" = "$expected_ids" ]' &&
        return 0
    diff <(central_counts) <(echo "$expected_counts") || true
    fail "$1: central's counts or records differ from offline replay"
}

echo "== a. central down for the whole replay, then up"
edge_config spool-a
start_daemon
publish 0
wait_for 120 metric_is ordercam_spool_backlog "$want_total" || fail "backlog is $(metric ordercam_spool_backlog), want $want_total"
start_central a.sqlite
wait_central_exact a
stop_daemon; stop_central

echo "== b. central fails half its writes"
edge_config spool-b
start_central b.sqlite 0.5
start_daemon
publish 0
wait_central_exact b
# the uplink keeps posting tallies every second: with half failing, one shows
# up within seconds (the metrics text is rebuilt once a second)
wait_for 60 metric_gt 'ordercam_uplink_requests_total{result="failed"}' 0 || fail "no failed request seen: faults not injected?"
stop_daemon; stop_central

echo "== c. SIGKILL while uploading"
edge_config spool-c
start_central c.sqlite 0.3
start_daemon
publish 20 &
PUB=$!
for i in 1 2 3; do
    sleep 1.5
    kill -9 "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
    start_daemon
done
wait "$PUB"
wait_central_exact c
stop_daemon; stop_central

echo "== d. a wrong token, then the right one"
echo "not-the-token-0000000000" >box.token
edge_config spool-d
start_central d.sqlite
start_daemon
publish 0
wait_for 60 metric_gt ordercam_uplink_auth_failures_total 0 || fail "no 401 in the metrics"
[ "$(metric ordercam_uplink_last_status)" = 401 ] || fail "last status $(metric ordercam_uplink_last_status), want 401"
grep -q "central refused our token (HTTP 401)" daemon.log || fail "401 not logged"
[ -z "$(central_ids)" ] || fail "records arrived with a wrong token"
echo "box-token-0123456789abcdef" >box.token
wait_central_exact d
stop_daemon; stop_central

echo "== e. a server certificate from an unknown CA"
edge_config spool-e other-ca.pem
start_central e.sqlite
start_daemon
publish 0
wait_for 60 grep -qi "certificate" daemon.log || true
grep -qi "uplink to https://localhost:$CPORT: .*certificate" daemon.log || fail "refusal of the certificate not logged"
wait_for 120 metric_is ordercam_spool_backlog "$want_total" || fail "backlog $(metric ordercam_spool_backlog), want $want_total"
[ -z "$(central_ids)" ] || fail "records sent to a server we cannot verify"
stop_daemon; stop_central
echo "== f. the spool's filesystem fills up, then has room again"
if mkdir -p "$WORK/small" && mount -t tmpfs -o size=8m tmpfs "$WORK/small" 2>/dev/null; then
    edge_config small/spool
    start_central f.sqlite
    start_daemon
    dd if=/dev/zero of="$WORK/small/filler" bs=64k >/dev/null 2>&1 || true # until ENOSPC
    publish 0
    wait_for 120 metric_is ordercam_spool_held "$want_total" || fail "held $(metric ordercam_spool_held), want $want_total"
    # counting goes on: every accepted detection message is counted (the
    # daemon may still be draining the broker when the last record is held)
    wait_for 120 metric_is 'ordercam_messages_total{kind="detections"}' "$total_det" ||
        fail "counting stopped on a full disk at $(metric 'ordercam_messages_total{kind="detections"}') of $total_det"
    grep -q "cannot write the spool (disk full?)" daemon.log || fail "full disk not logged"
    rm -f "$WORK/small/filler"
    wait_central_exact f
    wait_for 60 metric_is ordercam_spool_held 0 || fail "violations still held"
    stop_daemon; stop_central
    umount "$WORK/small"
else
    echo "   (skipped: cannot mount a tmpfs here; needs root)"
fi
echo "== g. a box with 16 cameras (their places make a long tally body)"
"$bin/ordercam-gen" bench --out many.jsonl --scene many.json --cameras 16 --objects 4 --messages 4800 --seed 5
"$bin/ordercam-replay" --config many.json --log many.jsonl --tallies many.tallies -q >/dev/null
many_expected=$(sed -E 's/.*"camera":"([^"]*)","type":"([^"]*)","bucket":[0-9]+,"count":([0-9]+).*/\1 \2 \3/' many.tallies |
    awk '{s[$1" "$2] += $3} END {for (k in s) print k, s[k]}' | sort)
[ -n "$many_expected" ] || fail "the 16-camera log makes no violations"
box=$(grep -o '"box_id": *"[^"]*"' many.json | cut -d'"' -f4)
cat >central.json <<JSON
{"listen": "127.0.0.1:$CPORT", "tls": {"cert_file": "server.pem", "key_file": "server.key"},
 "db": "g.sqlite", "tokens": [{"token": "box-token-0123456789abcdef", "box": "$box"}, {"token": "$VIEWER", "role": "viewer"}]}
JSON
"$bin/ordercam-central" -c central.json >>central.log 2>&1 &
CPID=$!
wait_for 60 port_open "$CPORT" || fail "central did not start"
sed -e "s#\"box_id\"#\"mqtt\": {\"host\": \"127.0.0.1\", \"port\": $BROKER_PORT}, \"spool\": {\"dir\": \"$WORK/spool-g\"}, \"metrics\": {\"listen\": \"127.0.0.1:$METRICS_PORT\"}, \"central\": {\"url\": \"https://localhost:$CPORT\", \"token_file\": \"$WORK/box.token\", \"ca_file\": \"$WORK/ca.pem\", \"push_interval_s\": 1}, \"box_id\"#" \
    many.json >edge.json
start_daemon
"$bin/ordercam-replay" --config edge.json --log many.jsonl --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>pub.log
wait_for 180 eval '[ "$(central_counts)" = "$many_expected" ]' || true
[ "$(central_counts)" = "$many_expected" ] || fail "g: central's counts differ for a 16-camera box"
grep -q "rejected.*tally rows" daemon.log && fail "g: central rejected tally rows"
stop_daemon; stop_central
echo "uplink_test: ok"
