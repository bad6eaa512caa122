#!/bin/sh
# Equivalence of the input formats (docs/inputs.md): the committed sample,
# rendered by `ordercam-gen convert` as DeepStream (full and minimal) and
# ONVIF payloads and replayed with every camera set to that format, gives
# the native sample's violations: same cameras, types and tracks (ONVIF's
# integer ObjectIds mapped back through --ids), times within one frame
# (100 ms). Types a format cannot express (docs/inputs.md) are left out of
# that format's expectation, and the test fails if one appears anyway.
# usage: adapt_equivalence.sh SRC_DIR BUILD_DIR
set -eu
SRC=$1
BIN=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
log=$SRC/samples/sample.jsonl.gz
# the scene with its comments stripped, so jq can set each camera's format
sed -e 's|^ *//.*||' -e 's|/\*.*\*/||' "$SRC/samples/scene.json" >"$T/scene.json"
"$BIN/ordercam-replay" --quiet --config "$SRC/samples/scene.json" --log "$log" --out "$T/native.jsonl"
test "$(wc -l <"$T/native.jsonl")" -ge 15

check() { # FORMAT TYPES_IT_CANNOT_EXPRESS(jq array)
    f=$1
    jq --arg f "$f" '.cameras |= map(. + {format: $f})' "$T/scene.json" >"$T/scene-$f.json"
    "$BIN/ordercam-gen" convert --in "$log" --out "$T/$f.jsonl" --format "$f" \
        --scene "$T/scene-$f.json" --ids "$T/$f.ids"
    "$BIN/ordercam-replay" --quiet --config "$T/scene-$f.json" --log "$T/$f.jsonl" --out "$T/$f.out"
    # camera + ObjectId -> native track
    jq -R -s 'split("\n") | map(select(length > 0) | split(" ")) |
              map({key: (.[0] + " " + .[2]), value: .[1]}) | from_entries' "$T/$f.ids" >"$T/$f.map"
    jq -s --argjson skip "$2" --slurpfile map "$T/$f.map" --slurpfile got "$T/$f.out" '
        def key: [.camera, .type, .track];
        def norm: {camera, type, ts, track: ($map[0][.camera + " " + (.track // "")] // .track)};
        (map(select(.type as $t | $skip | index($t) | not)) | sort_by(key)) as $want |
        ($got | map(norm) | sort_by(key)) as $have |
        if ($want | length) != ($have | length) then
            "count: want \($want | length), have \($have | length)\n\($have | map(key))" | halt_error(1)
        else
            [range(0; $want | length) | select(
                ($want[.] | key) != ($have[.] | key) or
                (($want[.].ts - $have[.].ts) | fabs) > 100)] as $bad |
            if ($bad | length) > 0 then
                "differ: \($bad | map({want: $want[.], have: $have[.]}))" | halt_error(1)
            else "\($have | length) violations equal" end
        end' "$T/native.jsonl"
    echo "  ($f)"
}
# Frigate publishes on change (docs/inputs.md, "What Frigate's updates can
# support"): every stop-line rule is left out (on both sides: they may fire,
# but are not sound); the rest must match by
# camera, type and track (Frigate's ids are <start time>-<native id>), the
# dwell rules, the cameras' own events and the junction's movement rules
# (illegal_uturn, wrong_lane_movement) within one frame; wrong way,
# jaywalking, helmets, solid lines and yielding within FRIGATE_LATE_MS
# (their decision waits for a later reported position: solid_line_crossing
# for its confirm_s, fail_to_yield for the observation 1 s after the line).
FRIGATE_LATE_MS=3000
check_frigate() {
    f=frigate
    jq '.cameras |= map(. + {format: "frigate"})' "$T/scene.json" >"$T/scene-$f.json"
    "$BIN/ordercam-gen" convert --in "$log" --out "$T/$f.jsonl" --format "$f" \
        --scene "$T/scene-$f.json"
    "$BIN/ordercam-replay" --quiet --config "$T/scene-$f.json" --log "$T/$f.jsonl" --out "$T/$f.out"
    jq -s --slurpfile got "$T/$f.out" --argjson late "$FRIGATE_LATE_MS" '
        def key: [.camera, .type, .track];
        def skip: .type | IN("red_light", "nonmotor_red_light", "pedestrian_red_light",
                             "stop_line_crossing");
        def tol: if .type | IN("wrong_way", "jaywalking", "no_helmet", "solid_line_crossing",
                               "fail_to_yield") then $late else 100 end;
        def norm: {camera, type, ts, track: ((.track // "") | sub("^[0-9]+[.][0-9]+-"; ""))};
        (map(select(skip | not) | norm) | sort_by(key)) as $want |
        ($got | map(select(skip | not) | norm) | sort_by(key)) as $have |
        if ($want | length) != ($have | length) then
            "count: want \($want | length), have \($have | length)\nwant \($want | map(key))\nhave \($have | map(key))" | halt_error(1)
        else
            [range(0; $want | length) | select(
                ($want[.] | key) != ($have[.] | key) or
                (($want[.].ts - $have[.].ts) | fabs) > ($want[.] | tol))] as $bad |
            if ($bad | length) > 0 then
                "differ: \($bad | map({want: $want[.], have: $have[.]}))" | halt_error(1)
            else "\($have | length) violations equal" end
        end' "$T/native.jsonl"
    echo "  ($f)"
}
check deepstream '[]'
check deepstream-minimal '["no_helmet"]'
check onvif '["no_helmet"]'
check_frigate
echo "adapt equivalence: ok"
