#!/bin/bash
# The installer's live view on ordercamd (docs/daemon.md "Live view"), with a
# real mosquitto:
#  1. bound off loopback without metrics.token: --check refuses the file and
#     ordercamd refuses to start; a short token is refused; a good one passes;
#  2. with a token: /health answers without it, everything else is 401
#     without it or with a wrong one, 200 with the header or the query;
#  3. the sample with its frames published through the broker while the
#     camera is watched: the scene's zones and lines are the config's, its
#     last violations are the camera's last records, the frame endpoint gives
#     a JPEG of the camera's size, the box JSON counts messages per camera;
#  4. a track published now: its box and anchor are in the scene and follow
#     the next detection;
#  5. the page and its files are served (Simplified Chinese).
# usage: live_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
WORK=$(mktemp -d)
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    stop_broker || true
    rm -rf "$WORK"
}
trap cleanup EXIT
. "$src/tests/support/broker.sh"
. "$src/tests/support/wait.sh"
. "$src/tests/support/config.sh"
fail() { echo "live_test: FAIL: $*" >&2; tail -20 "$WORK/daemon.log" >&2 || true; exit 1; }
TOKEN=view-token-0123456789abcdef

start_broker
MPORT=$(free_port)
edge() { # metrics-json
    scene_jq "$src/samples/scene.json" '.mqtt.port = $b | .spool = {dir: $w} | .metrics = $m' \
        --argjson b "$BROKER_PORT" --arg w "$WORK/spool" --argjson m "$1" >"$WORK/edge.json"
}

echo "== 1. off loopback: a token or no start"
edge "{\"listen\": \"0.0.0.0:$MPORT\"}"
if "$bin/ordercamd" -c "$WORK/edge.json" --check >"$WORK/check.txt" 2>&1; then
    fail "--check accepted 0.0.0.0 without a token"
fi
grep -q 'metrics.listen: 0.0.0.0:[0-9]* is not a loopback address' "$WORK/check.txt" ||
    fail "message: $(cat "$WORK/check.txt")"
rc=0
timeout 30 "$bin/ordercamd" -c "$WORK/edge.json" >"$WORK/daemon.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "ordercamd started (or failed otherwise: $rc) on 0.0.0.0 without a token"
! (exec 3<>"/dev/tcp/127.0.0.1/$MPORT") 2>/dev/null || fail "something listens on $MPORT"
for h in "[::]" "10.0.0.1" "example.org"; do
    edge "{\"listen\": \"$h:$MPORT\"}"
    ! "$bin/ordercamd" -c "$WORK/edge.json" --check >/dev/null 2>&1 || fail "$h accepted without a token"
done
edge "{\"listen\": \"0.0.0.0:$MPORT\", \"token\": \"short-token\"}"
! "$bin/ordercamd" -c "$WORK/edge.json" --check >"$WORK/check.txt" 2>&1 || fail "a short token was accepted"
grep -q 'metrics.token: a token is 16 to 256' "$WORK/check.txt" || fail "message: $(cat "$WORK/check.txt")"
edge "{\"listen\": \"0.0.0.0:$MPORT\", \"token\": \"$TOKEN\"}"
"$bin/ordercamd" -c "$WORK/edge.json" --check >/dev/null || fail "0.0.0.0 with a token refused"
for h in "127.0.0.1" "127.1.2.3" "localhost" "[::1]"; do
    edge "{\"listen\": \"$h:$MPORT\"}"
    "$bin/ordercamd" -c "$WORK/edge.json" --check >/dev/null || fail "loopback $h refused"
done

echo "== 2. the token"
edge "{\"listen\": \"127.0.0.1:$MPORT\", \"token\": \"$TOKEN\"}"
"$bin/ordercamd" -c "$WORK/edge.json" >"$WORK/daemon.log" 2>&1 &
DPID=$!
wait_for 60 grep -q "broker.*connected" "$WORK/daemon.log" || fail "daemon did not connect"
URL=http://127.0.0.1:$MPORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$URL/health")" = 200 ] || fail "/health needs no token"
for p in /live/ /live/live.js /live/live.css; do # the page's files hold no data
    [ "$(code "$URL$p")" = 200 ] || fail "$p without the token: $(code "$URL$p")"
done
for p in /metrics /api/v1/cameras /api/v1/cameras/cam-e1/scene /api/v1/cameras/cam-e1/frame.jpg \
    /api/v1/cameras/cam-e1/config /live/other; do
    [ "$(code "$URL$p")" = 401 ] || fail "$p without the token: $(code "$URL$p")"
    [ "$(code -H "Authorization: Bearer wrong-token-0123456789abc" "$URL$p")" = 401 ] ||
        fail "$p with a wrong token"
    case $p in */frame.jpg | /live/other) want=404 ;; *) want=200 ;; esac
    [ "$(code -H "Authorization: Bearer $TOKEN" "$URL$p")" = "$want" ] || fail "$p with the token"
done
[ "$(code -X POST "$URL/api/v1/cameras/cam-e1/apply")" = 401 ] || fail "apply without the token"
[ "$(code "$URL/api/v1/cameras?token=$TOKEN")" = 200 ] || fail "token in the query"
[ "$(code "$URL/api/v1/cameras?token=${TOKEN}x")" = 401 ] || fail "a longer token in the query"
[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/api/v1/cameras/nope/scene")" = 404 ] ||
    fail "unknown camera"
AUTH=(-H "Authorization: Bearer $TOKEN")
get() { curl -sf "${AUTH[@]}" "$URL$1"; }

echo "== 3. the sample, watched"
mkdir -p "$WORK/sf"
"$bin/ordercam-gen" sample --frames --scene "$src/samples/scene.json" --out "$WORK/sf/sample.jsonl"
# keep cam-e1 watched while the sample goes through
(while :; do get /api/v1/cameras/cam-e1/scene >/dev/null || true; sleep 0.5; done) &
WATCH=$!
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/sf/sample.jsonl" \
    --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>"$WORK/pub.log"
want=$(grep -c '"camera":"cam-e1"' "$src/samples/expected/sample.violations.jsonl")
shown() { get /api/v1/cameras/cam-e1/scene | jq '.violations | length'; }
wait_for 120 eval '[ "$(shown)" -ge "$(( want < 16 ? want : 16 ))" ]' || fail "violations in the scene: $(shown) of $want"
kill "$WATCH"
get /api/v1/cameras/cam-e1/scene >"$WORK/scene.json"
jq -e . "$WORK/scene.json" >/dev/null || fail "scene is not JSON"
# zones and lines: as configured
scene_jq "$WORK/edge.json" '.cameras[] | select(.id == "cam-e1") | [.zones[] | {id, kind, polygon}]' >"$WORK/want_zones.json"
jq '[.zones[] | {id, kind, polygon}]' "$WORK/scene.json" >"$WORK/got_zones.json"
cmp -s <(jq -S . "$WORK/want_zones.json") <(jq -S . "$WORK/got_zones.json") || fail "zones differ from the config"
scene_jq "$WORK/edge.json" '.cameras[] | select(.id == "cam-e1") | [.lines[] | {id, kind, points, signal}]' >"$WORK/want_lines.json"
jq '[.lines[] | {id, kind, points, signal}]' "$WORK/scene.json" >"$WORK/got_lines.json"
cmp -s <(jq -S . "$WORK/want_lines.json") <(jq -S . "$WORK/got_lines.json") || fail "lines differ from the config"
# the last violations: the camera's last records, in order
grep '"camera":"cam-e1"' "$src/samples/expected/sample.violations.jsonl" | tail -16 |
    jq -c '[.type, .ts]' >"$WORK/want_v.txt"
jq -c '.violations[] | [.type, .ts]' "$WORK/scene.json" >"$WORK/got_v.txt"
cmp -s "$WORK/want_v.txt" "$WORK/got_v.txt" || fail "violations: $(diff "$WORK/want_v.txt" "$WORK/got_v.txt")"
jq -e '.signals | map(.id) | sort == ["sig-e-ped", "sig-e-straight"]' "$WORK/scene.json" >/dev/null ||
    fail "signals: $(jq -c .signals "$WORK/scene.json")"
# the newest frame, a JPEG of the camera's size, with its time
curl -sf "${AUTH[@]}" -D "$WORK/frame.h" -o "$WORK/frame.jpg" "$URL/api/v1/cameras/cam-e1/frame.jpg" ||
    fail "no frame"
grep -qi '^X-Frame-Ts: [0-9]' "$WORK/frame.h" || fail "no X-Frame-Ts"
file "$WORK/frame.jpg" | grep -q 'JPEG image data.*1920x1080' || fail "frame: $(file "$WORK/frame.jpg")"
# the box: messages and frames per camera
get /api/v1/cameras >"$WORK/box.json"
# every camera of the config, in its order (the sample's three), each with messages and frames
jq -c '[.cameras[].id]' "$WORK/edge.json" >"$WORK/want_ids.json"
[ "$(jq length "$WORK/want_ids.json")" -ge 3 ] || fail "the sample has fewer than three cameras"
jq -e --slurpfile ids "$WORK/want_ids.json" '.box == "edge-jc-0001" and ([.cameras[].id] == $ids[0]) and
       (.cameras | all(.messages_total > 0 and .last_frame_age_s != null and .clock_skew_ms != null))' \
    "$WORK/box.json" >/dev/null || fail "box: $(cat "$WORK/box.json")"

echo "== 4. a track, followed"
clock=$(get /api/v1/cameras/cam-e1/scene | jq .clock)
pub() { mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t ordercam/cameras/cam-e1/detections -m "$1"; }
pub "{\"ts\": $((clock + 5000)), \"objects\": [{\"id\": \"live-1\", \"class\": \"car\", \"box\": [100, 300, 200, 100]}]}"
track() { get /api/v1/cameras/cam-e1/scene | jq -c '.tracks[] | select(.id == "live-1") | [.class, .box, .anchor]'; }
wait_for 30 eval '[ "$(track)" = "[\"car\",[100,300,200,100],[200,400]]" ]' || fail "track: $(track)"
pub "{\"ts\": $((clock + 5200)), \"objects\": [{\"id\": \"live-1\", \"class\": \"car\", \"box\": [160, 310, 200, 100]}]}"
wait_for 30 eval '[ "$(track)" = "[\"car\",[160,310,200,100],[260,410]]" ]' || fail "track did not follow: $(track)"

echo "== 5. the page"
get /live/ >"$WORK/live.html" || fail "/live/"
grep -q '<html lang="zh-CN"' "$WORK/live.html" || fail "page language"
get /live/live.js >/dev/null || fail "live.js"
get /live/live.css >/dev/null || fail "live.css"
! grep -Eq 'https?://' "$WORK/live.html" || fail "the page loads something from elsewhere"

kill -TERM "$DPID"
wait "$DPID" || fail "exit status $?"
DPID=
echo "live_test: ok"
