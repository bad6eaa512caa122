#!/bin/bash
# The main job on embedded defaults (README): installs what is missing,
# builds, makes a self-signed certificate and tokens on first run, starts a
# mosquitto broker on loopback, ordercam-central (SQLite) and ordercamd with
# the sample config, replays the sample log through the broker and the
# daemon (whose uplink sends its records and tallies to central), prints the
# tally table from central's API and the dashboard's address, and keeps
# everything running until Ctrl-C.
#   --no-wait   stop the services after printing (for scripts and tests)
# State lives in out/ (OC_RUN_DIR to change): rerunning starts afresh but
# keeps the certificate, the tokens and central's database (writes are
# idempotent, so the counts stay exact).
set -euo pipefail
cd "$(dirname "$0")/.."
wait_for_ctrl_c=1
[ "${1:-}" = "--no-wait" ] && wait_for_ctrl_c=0
# OC_BUILD_DIR: use binaries already built there (the test suite does)
if [ -n "${OC_BUILD_DIR:-}" ]; then
    bin=$(realpath "$OC_BUILD_DIR")
else
    scripts/setup.sh >/dev/null
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
    bin=$PWD/build
fi
out=$(realpath -m "${OC_RUN_DIR:-out}")
WORK=$out/run
mkdir -p "$out/central"
. tests/support/broker.sh
. tests/support/wait.sh
. tests/support/config.sh

# out/pids names the processes an earlier run started ("pid start-time" per
# line): only a process with that pid AND that start time is ours to stop
# (a pid alone may have been reused by anything since).
start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }
remember() { echo "$1 $(start_time "$1")" >>"$out/pids"; }
stop_earlier_run() {
    [ -f "$out/pids" ] || return 0
    while read -r pid started; do
        [ -n "$started" ] && [ "$(start_time "$pid")" = "$started" ] || continue
        kill "$pid" 2>/dev/null || true
        wait_for 30 eval '[ "$(start_time "$pid")" != "$started" ]' ||
            { echo "process $pid of an earlier run did not stop" >&2; exit 1; }
    done <"$out/pids"
    rm -f "$out/pids"
}
stop_earlier_run
rm -rf "$WORK"
mkdir -p "$WORK"
PIDS=()
stop_all() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    stop_broker || true
    rm -f "$out/pids"
}
trap stop_all EXIT

# first run: certificate and tokens
c=$out/central
if [ ! -s "$c/central.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/central.key" -out "$c/central.crt" \
        -days 3650 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
    openssl rand -hex 24 >"$c/box.token"
    openssl rand -hex 24 >"$c/viewer.token"
    echo "made a self-signed certificate and tokens in $c"
fi
box_token=$(cat "$c/box.token")
viewer_token=$(cat "$c/viewer.token")
central_port=8443
(exec 3<>/dev/tcp/127.0.0.1/$central_port) 2>/dev/null && central_port=$(free_port)
# retention off: the sample's records are dated 2025 and would expire
# the box's signing key (made in its spool on first use) registered at
# central, which then refuses any record of the box that it does not sign
# (kept across runs like the certificate: a box keeps its key)
scene_jq samples/scene.json '.spool.dir = $spool' --arg spool "$WORK/spool" >"$WORK/key.json"
mkdir -p "$WORK/spool"
[ -s "$c/box.ed25519.key" ] && cp -p "$c/box.ed25519.key" "$WORK/spool/ordercam-ed25519.key"
box_key=$("$bin/ordercamd" -c "$WORK/key.json" --print-key | awk '{print $2}')
cp -p "$WORK/spool/ordercam-ed25519.key" "$c/box.ed25519.key"
jq -n --arg listen "127.0.0.1:$central_port" --arg c "$c" --arg box "$box_token" --arg viewer "$viewer_token" \
      --arg key "$box_key" '
  {listen: $listen,
   tls: {cert_file: "\($c)/central.crt", key_file: "\($c)/central.key"},
   db: "\($c)/central.sqlite", tz_offset_min: 480,
   retention: {evidence_days: 0, records_days: 0},
   tokens: [{token: $box, box: "edge-jc-0001"}, {token: $viewer, role: "viewer"}],
   box_keys: {"edge-jc-0001": [{key: $key}]}, require_signatures: true}' >"$c/central.json"

# a reviewer account, made once; its password is printed once (below)
reviewer_pw=""
if ! "$bin/ordercam-central" user list -c "$c/central.json" 2>/dev/null | grep -q "^reviewer "; then
    reviewer_pw=$("$bin/ordercam-central" user add reviewer --role reviewer -c "$c/central.json" |
        sed -n 's/^user reviewer: password //p')
fi

start_broker
remember "$BROKER_PID"
"$bin/ordercam-central" -c "$c/central.json" --port-file "$WORK/central.port" 2>"$WORK/central.log" &
PIDS+=($!)
remember $!
metrics_port=$(free_port)
wait_for 60 test -s "$WORK/central.port" || { cat "$WORK/central.log"; exit 1; }
url="https://localhost:$(cat "$WORK/central.port")"
scene_jq samples/scene.json '
  .mqtt.port = $broker | .spool.dir = $spool | .metrics = {listen: $metrics} |
  .central = {url: $url, token_file: "\($c)/box.token", ca_file: "\($c)/central.crt", push_interval_s: 1}' \
    --argjson broker "$BROKER_PORT" --arg spool "$WORK/spool" --arg metrics "127.0.0.1:$metrics_port" \
    --arg url "$url" --arg c "$c" >"$WORK/edge.json"
# the sample with camera frames for evidence, drawn once (about 10 s, 108 MB);
# captions and frame overlays in the scene's time zone (Jincheng: UTC+8)
export TZ=${TZ:-CST-8}
frames=$out/sample-frames
if [ ! -s "$frames/done" ]; then
    echo "drawing the sample's camera frames into $frames ..."
    mkdir -p "$frames"
    "$bin/ordercam-gen" sample --frames --scene samples/scene.json --out "$frames/sample.jsonl"
    echo ok >"$frames/done"
fi
"$bin/ordercamd" -c "$WORK/edge.json" --record "$WORK/record.jsonl" 2>"$WORK/daemon.log" &
PIDS+=($!)
remember $!
wait_for 60 grep -q "connected" "$WORK/daemon.log" || { cat "$WORK/daemon.log"; exit 1; }

echo "replaying the sample (samples/sample.jsonl.gz with its frames) through the broker (mosquitto on 127.0.0.1:$BROKER_PORT) ..."
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$frames/sample.jsonl" \
    --publish "127.0.0.1:$BROKER_PORT" --speed 0
want=$(awk '/^messages:/ {print $2}' samples/expected/sample.summary.txt)
processed() {
    curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^ordercam_messages_total\{kind="detections"\}/ {print $2}'
}
wait_for 300 eval '[ "$(processed)" -ge "$want" ] 2>/dev/null' ||
    { echo "the daemon processed $(processed) of $want messages" >&2; exit 1; }

# the daemon's uplink carries its records and tallies to central
total=$(wc -l <samples/expected/sample.violations.jsonl)
api() { curl -sf --cacert "$c/central.crt" -H "Authorization: Bearer $viewer_token" "$url$1"; }
count() { api /api/v1/counts | jq -r '[.rows[].count] | add // 0'; }
wait_for 300 eval '[ "$(count)" = "$total" ]' || true
[ "$(count)" = "$total" ] || { echo "central has $(count) of $total violations" >&2; tail "$WORK/daemon.log" >&2; exit 1; }
# and, last, their evidence images
images() { api "/api/v1/violations?limit=1000" | jq '[.violations[] | select(.evidence_url)] | length'; }
wait_for 300 eval '[ "$(images)" = "$total" ]' || true
[ "$(images)" = "$total" ] || { echo "central has $(images) of $total evidence images" >&2; tail "$WORK/daemon.log" >&2; exit 1; }

echo
echo "tallies at central (GET /api/v1/counts?group=camera,type):"
printf '%-10s %-26s %6s\n' camera type count
api "/api/v1/counts?group=camera,type" | jq -r '.rows[] | "\(.camera) \(.type) \(.count)"' |
    awk '{printf "%-10s %-26s %6d\n", $1, $2, $3; t += $3} END {printf "%-10s %-26s %6d\n", "total", "", t}'
echo
echo "evidence images at central: $(images) of $total (e.g. $url/api/v1/evidence/edge-jc-0001:cam-e1:1)"
echo "daemon records:  $WORK/spool/violations.jsonl ($(wc -l <"$WORK/spool/violations.jsonl") violations)"
echo "daemon images:   $WORK/spool/evidence/"
echo "dashboard:       $url/   (self-signed certificate: $c/central.crt)"
echo "live view:       http://127.0.0.1:$metrics_port/live/   (ordercamd: cameras, zones, tracks; zone editor)"
echo "viewer token:    $viewer_token"
if [ -n "$reviewer_pw" ]; then
    echo "reviewer:        reviewer / $reviewer_pw   (review page $url/review; shown this once)"
else
    echo "reviewer:        reviewer (password shown on the first run; a new one:"
    echo "                 $bin/ordercam-central user passwd reviewer -c $c/central.json)"
fi
if [ "$wait_for_ctrl_c" = 1 ]; then
    echo "services running; Ctrl-C stops them"
    while :; do sleep 3600; done
fi
