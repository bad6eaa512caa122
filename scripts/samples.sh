#!/bin/sh
# Regenerates the committed sample log and its expected outputs after a
# deliberate change to the generator or the engine. Review the diff of
# samples/expected/ before committing: it is the behaviour change.
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build}
"$bin/ordercam-gen" sample --out samples/sample.jsonl --manifest samples/sample.manifest.jsonl
gzip -n -9 -f samples/sample.jsonl
"$bin/ordercam-replay" --config samples/scene.json --log samples/sample.jsonl.gz \
    --out samples/expected/sample.violations.jsonl --tallies samples/expected/sample.tallies.jsonl \
    2>samples/expected/sample.summary.txt
# Two evidence images from the sample with frames, shown in the README
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TZ=CST-8 "$bin/ordercam-gen" sample --frames --scene samples/scene.json --out "$tmp/sf.jsonl"
TZ=CST-8 "$bin/ordercam-replay" --config samples/scene.json --log "$tmp/sf.jsonl" \
    --evidence "$tmp/ev" --out "$tmp/v.jsonl" -q
cp "$tmp/ev/20251122/edge-jc-0001-cam-e1-1.jpg" samples/evidence-red_light.jpg
cp "$tmp/ev/20251122/edge-jc-0001-cam-s1-5.jpg" samples/evidence-illegal_parking.jpg
# and the red light's public variant (evidence.public on)
sed 's/"evidence": {"enabled": true,/"evidence": {"enabled": true, "public": true,/' \
    samples/scene.json >"$tmp/scene-public.json"
TZ=CST-8 "$bin/ordercam-replay" --config "$tmp/scene-public.json" --log "$tmp/sf.jsonl" \
    --evidence "$tmp/evp" --out "$tmp/vp.jsonl" -q
cp "$tmp/evp/20251122/edge-jc-0001-cam-e1-1.public.jpg" samples/evidence-red_light.public.jpg
