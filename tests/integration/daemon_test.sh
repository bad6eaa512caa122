#!/bin/bash
# ordercamd against a real mosquitto (started here on a free loopback port):
#  1. the sample published through the broker gives exactly offline replay's
#     records, and replaying the daemon's --record log gives them too;
#  2. SIGKILLed mid-stream and restarted, then the broker restarted: nothing
#     lost, nothing doubled (QoS 1, persistent session, journal + snapshot);
#  3. a flood of garbage on every topic changes nothing;
#  4. TLS to the broker with certificates made now;
#  5. SIGHUP with a bad file keeps running; SIGTERM drains and exits 0.
# usage: daemon_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
TEST_NAME=daemon_test
. "$src/tests/support/daemon.sh"
. "$src/tests/support/tls.sh"
expected=$src/samples/expected/sample.violations.jsonl
sample=$src/samples/sample.jsonl.gz

# Waits until the daemon has processed `want` detection messages and its
# queue is empty.
processed() {
    n=$(metric 'ordercam_messages_total{kind="detections"}' || true)
    q=$(metric 'ordercam_rx_queue_messages' || true)
    [ "${n:-0}" -ge "$1" ] && [ "${q:-1}" = 0 ]
}
wait_processed() {
    wait_for 180 processed "$1" || fail "daemon processed ${n:-0} of $1 detection messages"
}
# Waits until file equals the expected records (the record file is written
# just after a message is processed).
wait_records() { # file
    wait_for 120 cmp -s "$1" "$expected"
}

# detection messages the engine accepts, as the offline summary counts them
total_det=$(awk '/^messages:/ {print $2}' "$src/samples/expected/sample.summary.txt")
METRICS_PORT=$(free_port)

echo "== 1. live equals offline, and record/replay"
start_broker
edge_config "$WORK/spool1"
start_daemon --record "$WORK/rec.jsonl"
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$sample" --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>"$WORK/pub.log"
wait_processed "$total_det"
wait_records "$WORK/spool1/violations.jsonl" || fail "live records differ from offline replay"
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/rec.jsonl" -q >"$WORK/rec-out.jsonl"
cmp "$WORK/rec-out.jsonl" "$WORK/spool1/violations.jsonl" || fail "replaying --record differs from the live run"
curl -s "http://127.0.0.1:$METRICS_PORT/health" | grep -q ok || fail "/health"
# the cameras fall silent: the daemon moves their clocks by wall time, records
# those steps, and the recording still replays to exactly the live records
wait_for 60 grep -q '"tick":{"camera":"cam-e1"' "$WORK/rec.jsonl" || fail "no clock step for a silent camera"
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/rec.jsonl" -q >"$WORK/rec-out2.jsonl"
cmp "$WORK/rec-out2.jsonl" "$WORK/spool1/violations.jsonl" || fail "a recording with clock steps replays differently"
stop_daemon

echo "== 2. SIGKILL mid-stream, restart, broker restart"
edge_config "$WORK/spool2"
gzip -dc "$sample" >"$WORK/all.jsonl"
lines=$(wc -l <"$WORK/all.jsonl")
head -n $((lines / 2)) "$WORK/all.jsonl" >"$WORK/part1.jsonl"
tail -n +$((lines / 2 + 1)) "$WORK/all.jsonl" >"$WORK/part2.jsonl"
start_daemon
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/part1.jsonl" --publish "127.0.0.1:$BROKER_PORT" --speed 40 2>>"$WORK/pub.log" &
PUB=$!
# each SIGKILL falls mid-stream: once the daemon applied 200 more messages
# (the journal's seq) than before, or part 1 is all published (then the
# broker may still be handing it over)
applied_or_published() { # min
    metric_at_least ordercam_journal_applied_seq "$1" || ! kill -0 "$PUB" 2>/dev/null
}
wait_for 120 applied_or_published 200 || fail "part 1: nothing applied"
kill_daemon
sleep 1 # down for a while (not a verdict): the broker keeps QoS 1 messages for the session
start_daemon
wait_for 60 metric_at_least ordercam_journal_applied_seq 1 || fail "no applied seq after a restart"
base=$(metric ordercam_journal_applied_seq)
wait_for 120 applied_or_published "$((base + 200))" || fail "part 1 after a restart: stuck at $base"
kill_daemon
start_daemon
wait "$PUB" || fail "publishing part 1"
stop_broker                   # the broker goes away and comes back
start_broker
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/part2.jsonl" --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>"$WORK/pub.log"
# exactly the expected records once the queue is empty: nothing lost, nothing doubled
wait_for 180 eval 'cmp -s "$WORK/spool2/violations.jsonl" "$expected" && processed 0' || true
cmp "$WORK/spool2/violations.jsonl" "$expected" || {
    diff "$WORK/spool2/violations.jsonl" "$expected" | head -20 || true # pipefail: fail must run
    fail "after SIGKILLs and a broker restart the records differ"
}
grep -q "journal messages replayed" "$WORK/daemon.log" || fail "no recovery logged"
stop_daemon

echo "== 3. garbage on every topic"
edge_config "$WORK/spool3"
awk 'BEGIN { srand(7) }
     { print }
     NR % 7 == 0 {
        t[0] = "ordercam/cameras/cam-e1/detections"; t[1] = "ordercam/cameras/cam-s1/events";
        t[2] = "ordercam/signals/sig-e-straight"; t[3] = "ordercam/cameras/cam-e1/frames/1763802999999";
        t[4] = "ordercam/cameras/nobody/detections"; t[5] = "ordercam/signals/nobody";
        p[0] = "\"payload_b64\":\"e3sie30=\""; p[1] = "\"payload\":{\"ts\":\"soon\",\"objects\":[]}";
        p[2] = "\"payload\":[1,2,3]"; p[3] = "\"payload\":{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"box\":[1,1,-1,1]}]}";
        p[4] = "\"payload_b64\":\"/////w==\""; p[5] = "\"payload\":{\"ts\":1e999,\"state\":\"red\"}";
        p[6] = "\"payload\":{\"ts\":-1,\"type\":\"littering\"}"; p[7] = "\"payload_b64\":\"R0lGODlh\"";
        printf "{\"ts\":%s,\"topic\":\"%s\",%s}\n", 1763802000000 + NR, t[int(rand() * 6)], p[int(rand() * 8)]
     }' "$WORK/all.jsonl" >"$WORK/garbage.jsonl"
start_daemon
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/garbage.jsonl" --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>"$WORK/pub.log"
wait_processed "$total_det"
wait_records "$WORK/spool3/violations.jsonl" || fail "garbage changed the records"
drops_counted() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^ordercam_drops_total/ {s += $2} END {print s + 0}'; }
# the metrics text is rebuilt once a second: poll until it has the last drops
wait_for 60 eval '[ "$(drops_counted)" -ge "$((lines / 7))" ]' || true
drops=$(drops_counted)
[ "$drops" -ge "$((lines / 7))" ] || fail "only $drops drops counted"
echo "   $drops bad messages dropped and counted"

echo "== 5. SIGHUP with a bad file keeps running; SIGTERM drains"
cp "$WORK/edge.json" "$WORK/edge.good"
echo '{"box_id": "x", "cameras": [' >"$WORK/edge.json"
kill -HUP "$DPID"
wait_for 60 grep -q "reload refused, keeping the running config" "$WORK/daemon.log" || fail "bad reload not reported"
kill -0 "$DPID" || fail "daemon died on a bad reload"
cp "$WORK/edge.good" "$WORK/edge.json"
kill -HUP "$DPID"
wait_for 60 grep -q "reloaded" "$WORK/daemon.log" || fail "good reload not reported"
stop_daemon
stop_broker

echo "== 4. TLS to the broker"
tls_certs "$WORK/tls" || fail "cannot make the test certificates"
BROKER_PORT= # a new broker with TLS, on a port of its own
start_broker "cafile $WORK/tls/ca.pem" "certfile $WORK/tls/server.pem" "keyfile $WORK/tls/server.key"
edge_config "$WORK/spool4" '.mqtt.host = "localhost" | .mqtt.tls = {ca_file: $ca}' --arg ca "$WORK/tls/ca.pem"
start_daemon
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$sample" --publish "localhost:$BROKER_PORT" --cafile "$WORK/tls/ca.pem" --speed 0 2>>"$WORK/pub.log"
wait_processed "$total_det"
wait_records "$WORK/spool4/violations.jsonl" || fail "records over TLS differ"
stop_daemon
echo "== 6. username and password (from a file), and a wrong one"
stop_broker
BROKER_PORT=
: >"$WORK/passwd"
mosquitto_passwd -b "$WORK/passwd" edge-jc-0001 's3cret-pass' >/dev/null 2>&1
start_broker "password_file $WORK/passwd" "allow_anonymous false"
echo "wrong-pass" >"$WORK/mqtt.pass"
edge_config "$WORK/spool6" '.mqtt.username = "edge-jc-0001" | .mqtt.password_file = $pw' --arg pw "$WORK/mqtt.pass"
: >"$WORK/daemon.log"
"$bin/ordercamd" -c "$WORK/edge.json" >>"$WORK/daemon.log" 2>&1 &
DPID=$!
wait_for 60 grep -q "unreachable: refused by the broker" "$WORK/daemon.log" || true
grep -q "unreachable: refused by the broker: bad username/password" "$WORK/daemon.log" ||
    fail "a refused password is not reported"
# three refused attempts counted: the retries happened
wait_for 120 metric_at_least ordercam_mqtt_connect_failures_total 3 ||
    fail "no retries after a refused password ($(metric ordercam_mqtt_connect_failures_total) failures)"
[ "$(grep -c "unreachable" "$WORK/daemon.log")" = 1 ] || fail "the refusal is logged per retry, not once"
stop_daemon
echo "s3cret-pass" >"$WORK/mqtt.pass"
start_daemon
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$sample" --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>"$WORK/pub.log" &&
    fail "an anonymous publisher was let in"
stop_daemon
echo "daemon_test: ok"
