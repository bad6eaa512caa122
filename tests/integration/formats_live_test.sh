#!/bin/bash
# ordercamd live through a real mosquitto with one camera of each input
# format at once (docs/inputs.md): cam-e1 in ordercam's own format, and the
# same scene as DeepStream full (ds-e1), DeepStream minimal (dm-e1) and ONVIF
# (ov-e1), rendered from the committed sample by `ordercam-gen convert`; the
# street scene as Frigate (fr-s1, rendered by `ordercam-gen convert --format frigate`),
# which also has a snapshot URL served on loopback with digest authentication
# (tests/support/snapserver.py, checked for real). ordercamd is SIGKILLed in
# the middle and restarted; at the end the violations per camera and type
# equal offline replay of the log it recorded with --record, every camera has
# violations, and the snapshot camera was polled (with digest) into the
# journal and the recording. Every wait polls with a limit.
# usage: formats_live_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
WORK=$(mktemp -d)
DPID= SPID= PUB=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    [ -n "$PUB" ] && kill "$PUB" 2>/dev/null || true
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
    stop_broker || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
. "$src/tests/support/broker.sh"
. "$src/tests/support/wait.sh"
. "$src/tests/support/config.sh"
fail() {
    echo "formats_live_test: FAIL: $*" >&2
    for f in "$WORK"/*.log; do echo "== $f"; tail -20 "$f"; done >&2
    exit 1
}

echo "== the logs: one camera per format"
# conversion scenes: cam-e1 renamed into each format's camera (its source)
for f in deepstream deepstream-minimal onvif; do
    id=$(case $f in deepstream) echo ds-e1 ;; deepstream-minimal) echo dm-e1 ;; onvif) echo ov-e1 ;; esac)
    scene_jq "$src/samples/scene.json" '.cameras[0] += {format: $f, source: $id}' \
        --arg f "$f" --arg id "$id" >"$WORK/conv-$f.json"
    "$bin/ordercam-gen" convert --in "$src/samples/sample.jsonl.gz" --out "$WORK/$f.jsonl" \
        --format "$f" --scene "$WORK/conv-$f.json" || fail "ordercam-gen convert --format $f"
done
gzip -dc "$src/samples/sample.jsonl.gz" >"$WORK/native.jsonl"
scene_jq "$src/samples/scene.json" '.cameras[1] += {format: "frigate", source: "street_cam"}' \
    >"$WORK/conv-frigate.json"
"$bin/ordercam-gen" convert --in "$src/samples/sample.jsonl.gz" --out "$WORK/frigate.jsonl" \
    --format frigate --scene "$WORK/conv-frigate.json" || fail "ordercam-gen convert --format frigate"
# one log: the native sample without cam-s1 (now Frigate's), each rendering's
# own camera only (cam-e1's other lines renamed), in publish order
python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
lines = []
def take(path, keep):
    for l in open(path):
        try:
            r = json.loads(l)
        except ValueError:
            continue  # the sample's deliberately bad lines are not published
        if not isinstance(r, dict) or not isinstance(r.get("ts"), (int, float)):
            continue
        r = keep(r)
        if r is not None:
            lines.append((r["ts"], len(lines), r))
def native(r):
    t = r.get("topic", "")
    if t.startswith("ordercam/cameras/cam-s1/") or r.get("tick", {}).get("camera") == "cam-s1":
        return None
    return r
def foreign(new, ftopic, dst=None):
    def keep(r):
        t = r.get("topic", "")
        if "tick" in r:
            if r["tick"]["camera"] != "cam-e1":
                return None
            r["tick"]["camera"] = new
            return r
        p = r.get("payload")
        mine = t == "onvif/" + new or (isinstance(p, dict) and
                                        (p.get("sensor") or {}).get("id", p.get("sensorId")) == new)
        if t.startswith(ftopic):
            if not mine:
                return None  # the other camera's rendering
            if dst:
                r["topic"] = dst
            return r
        if t.startswith("ordercam/cameras/cam-e1/") and not t.endswith("/detections"):
            r["topic"] = t.replace("/cam-e1/", "/" + new + "/")
            return r
        return None
    return keep
def frigate(r):
    t = r.get("topic", "")
    p = r.get("payload")
    if t.startswith("frigate/"):
        cam = (p.get("after") or {}).get("camera", p.get("camera")) if isinstance(p, dict) else None
        return r if cam == "street_cam" else None
    if t.startswith("ordercam/cameras/cam-s1/") and not t.endswith("/detections"):
        r["topic"] = t.replace("/cam-s1/", "/fr-s1/")
        return r
    return None
take(f"{w}/native.jsonl", native)
take(f"{w}/deepstream.jsonl", foreign("ds-e1", "deepstream/", "ds/full"))
take(f"{w}/deepstream-minimal.jsonl", foreign("dm-e1", "deepstream/", "ds/minimal"))
take(f"{w}/onvif.jsonl", foreign("ov-e1", "onvif/"))
take(f"{w}/frigate.jsonl", frigate)
lines.sort(key=lambda x: (x[0], x[1]))
rows = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for _, _, r in lines]
# ticks are ordercamd's to make: a live run makes its own
rows = [r for r in rows if '"tick"' not in r[:40]]
half = len(rows) // 2
open(f"{w}/part1.jsonl", "w").write("\n".join(rows[:half]) + "\n")
open(f"{w}/part2.jsonl", "w").write("\n".join(rows[half:]) + "\n")
EOF

echo "== broker, snapshot server, daemon"
start_broker
python3 "$src/tests/support/snapserver.py" "$WORK/snapport" "$src/samples/evidence-red_light.jpg" \
    admin 'cam pass' >>"$WORK/snap.log" 2>&1 &
SPID=$!
wait_for 30 test -s "$WORK/snapport" || fail "snapshot server did not start"
SNAP_PORT=$(cat "$WORK/snapport")
printf 'cam pass\n' >"$WORK/cam.pw"
METRICS_PORT=$(free_port)
scene_jq "$src/samples/scene.json" '
  .mqtt.port = $broker | .spool = {dir: $spool, snapshot_s: 1} | .metrics = {listen: $metrics} |
  .cameras as [$e, $s] | .cameras = [
    $e,
    ($e + {id: "ds-e1", format: "deepstream", source: "ds-e1", topics: ["ds/full"]}),
    ($e + {id: "dm-e1", format: "deepstream-minimal", source: "dm-e1", topics: ["ds/minimal"]}),
    ($e + {id: "ov-e1", format: "onvif", source: "ov-e1"}),
    ($s + {id: "fr-s1", format: "frigate", source: "street_cam",
           frames: {snapshot_url: $url, snapshot_fps: 5, username: "admin",
                    password_file: $pw, auth: "digest"}})]' \
    --argjson broker "$BROKER_PORT" --arg spool "$WORK/spool" \
    --arg metrics "127.0.0.1:$METRICS_PORT" --arg pw "$WORK/cam.pw" \
    --arg url "http://127.0.0.1:$SNAP_PORT/ISAPI/Streaming/channels/101/picture" >"$WORK/edge.json"
"$bin/ordercamd" -c "$WORK/edge.json" --check >"$WORK/check.log" 2>&1 || fail "--check refused the config"
# --check warns (and still accepts) when the Frigate camera gets a stop line
jq '.cameras[4].lines = [{id: "stop-f", kind: "stop_line", points: [[0, 500], [1920, 500]],
                          direction: [0, -1], signal: "sig-e-straight"}]' "$WORK/edge.json" \
    >"$WORK/edge-stop.json"
"$bin/ordercamd" -c "$WORK/edge-stop.json" --check >"$WORK/check-stop.log" 2>&1 ||
    fail "--check refused a Frigate stop line (a warning only)"
grep -q '^<4>.*camera fr-s1 (format frigate): stop line stop-f: red_light' "$WORK/check-stop.log" ||
    fail "--check did not warn about the Frigate camera's stop line"

metric() { # name{labels}
    curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep -v '^#' | grep -F "$1 " | awk '{print $2}'
}
start_daemon() {
    local from=$(($(stat -c %s "$WORK/daemon.log" 2>/dev/null || echo 0) + 1))
    "$bin/ordercamd" -c "$WORK/edge.json" --record "$WORK/rec.jsonl" >>"$WORK/daemon.log" 2>&1 &
    DPID=$!
    wait_for 30 eval 'tail -c +$from "$WORK/daemon.log" | grep -q "broker.*connected"' ||
        fail "daemon did not connect"
}
start_daemon

echo "== publish, SIGKILL in the middle, restart"
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/part1.jsonl" \
    --publish "127.0.0.1:$BROKER_PORT" --speed 10 2>>"$WORK/pub.log" &
PUB=$!
# killed once the daemon has applied a good part of the first half
wait_for 120 eval '[ "$(metric ordercam_journal_applied_seq || echo 0)" -ge 2000 ] 2>/dev/null' ||
    fail "the daemon applied no messages"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
start_daemon
wait "$PUB" || fail "publishing part 1"
PUB=
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/part2.jsonl" \
    --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>"$WORK/pub.log" || fail "publishing part 2"
# every message received (each is one line of the recording) is applied
received() { grep -vc '"tick":{' "$WORK/rec.jsonl"; }
applied_all() {
    local a q
    a=$(metric ordercam_journal_applied_seq || true)
    q=$(metric ordercam_rx_queue_messages || true)
    [ "${q:-1}" = 0 ] && [ "${a:-0}" -ge "$(received)" ] 2>/dev/null
}
wait_for 180 applied_all || fail "the daemon applied $(metric ordercam_journal_applied_seq) of $(received)"
ok_polls=$(metric 'ordercam_snapshot_requests_total{camera="fr-s1",result="ok"}')
kill -TERM "$DPID"
wait_for 30 eval '! kill -0 "$DPID" 2>/dev/null' || fail "SIGTERM: still running"
wait "$DPID" || fail "SIGTERM: exit status $?"
DPID=
grep -q "journal messages replayed" "$WORK/daemon.log" || fail "no recovery after SIGKILL"

echo "== live equals offline replay of the recording"
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/rec.jsonl" -q >"$WORK/replay.jsonl" ||
    fail "replaying the recording"
jq -r '.camera + " " + .type' "$WORK/spool/violations.jsonl" | sort | uniq -c >"$WORK/live.counts"
jq -r '.camera + " " + .type' "$WORK/replay.jsonl" | sort | uniq -c >"$WORK/replay.counts"
cat "$WORK/live.counts"
# Frame-rate formats: exactly equal. The Frigate camera: after a crash its
# adapter relearns only the still objects (docs/daemon.md), so a record that
# needed what the adapter knew at the SIGKILL may be missing live, but live
# never has a record, or more of one type, that the replay has not.
diff <(grep -v ' fr-s1 ' "$WORK/live.counts") <(grep -v ' fr-s1 ' "$WORK/replay.counts") ||
    fail "live counts differ from replay of the recording"
while read -r n cam type; do
    r=$(awk -v c="$cam" -v t="$type" '$2 == c && $3 == t {print $1}' "$WORK/replay.counts")
    [ "$n" -le "${r:-0}" ] || fail "Frigate camera: live has $n $type, the replay ${r:-0}"
done < <(grep ' fr-s1 ' "$WORK/live.counts")
for cam in cam-e1 ds-e1 dm-e1 ov-e1 fr-s1; do
    grep -q " $cam " "$WORK/live.counts" || fail "camera $cam gave no violation"
done
grep -q " fr-s1 illegal_parking" "$WORK/live.counts" || fail "Frigate's parked car was not counted"

echo "== the snapshot camera"
[ "${ok_polls:-0}" -ge 1 ] || fail "no snapshot polled"
read -r served refused < <(curl -s "http://127.0.0.1:$SNAP_PORT/stats")
[ "$served" -ge 1 ] && [ "$refused" -ge 1 ] || fail "snapshot server: $served served, $refused challenged"
grep -q '"topic":"ordercam/cameras/fr-s1/frames/' "$WORK/rec.jsonl" ||
    fail "no snapshot frame in the recording"
grep -q "stop line" "$WORK/check.log" && fail "a Frigate camera without stop lines was warned about"
echo "formats_live_test: ok ($ok_polls snapshots before the end, $served served, $refused challenged)"
