#!/bin/bash
# The README's run command, end to end on a scratch directory: it must print
# central's tally table with the sample's total, the daemon's records must
# be offline replay's, and every violation's evidence must have arrived with
# a matching digest. Run twice: a rerun gives the same.
# usage: run_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
want=$(wc -l <"$src/samples/expected/sample.violations.jsonl")
# a stale out/pids naming a pid that is now another process: run.sh must
# stop only processes it started, so this bystander survives
sleep 600 &
bystander=$!
trap 'kill $bystander 2>/dev/null; rm -rf "$dir"' EXIT
echo "$bystander 1" >"$dir/pids"
for run in 1 2; do
    OC_RUN_DIR=$dir OC_BUILD_DIR=$bin "$src/scripts/run.sh" --no-wait >"$dir/out.$run" 2>&1 ||
        { cat "$dir/out.$run"; exit 1; }
    grep -Eq "^total +$want\$" "$dir/out.$run" || { cat "$dir/out.$run"; echo "run $run: total is not $want"; exit 1; }
    grep -q "^dashboard: *https://localhost:" "$dir/out.$run" || { echo "no dashboard address"; exit 1; }
    # a row per camera and type of the expected records (cam-j1's junction types too), with its count
    jq -r '"\(.camera) \(.type)"' "$src/samples/expected/sample.violations.jsonl" | sort | uniq -c |
    while read -r n cam type; do
        grep -Eq "^$cam +$type +$n\$" "$dir/out.$run" || { cat "$dir/out.$run"; echo "run $run: no row $cam $type $n"; exit 1; }
    done
    cmp "$dir/run/spool/violations.jsonl" "$src/samples/expected/sample.violations.jsonl"
    grep -Eq "^evidence images at central: $want of $want" "$dir/out.$run" || { cat "$dir/out.$run"; echo "run $run: evidence missing"; exit 1; }
done
kill -0 "$bystander" 2>/dev/null || { echo "run.sh killed a process it did not start"; exit 1; }
# every record at central has an image whose stored bytes have the digest
# the record announced, and it is the image offline replay makes of the
# same frames
db=$dir/central/central.sqlite
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM violations WHERE evidence_path IS NOT NULL")" = "$want" ] ||
    { echo "central holds $(sqlite3 "$db" "SELECT COUNT(*) FROM violations WHERE evidence_path IS NOT NULL") images, want $want"; exit 1; }
TZ=CST-8 "$bin/ordercam-replay" --config "$src/samples/scene.json" --log "$dir/sample-frames/sample.jsonl" \
    --evidence "$dir/offline" --out "$dir/offline.jsonl" -q 2>/dev/null
sqlite3 -separator ' ' "$db" "SELECT id, json_extract(record, '$.evidence.sha256'), evidence_path FROM violations" |
while read -r id sha path; do
    got=$(sha256sum "$path" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || { echo "$id: stored image has digest $got, record says $sha"; exit 1; }
    grep -q "\"id\":\"$id\".*\"sha256\":\"$sha\"" "$dir/offline.jsonl" || { echo "$id: not offline replay's image"; exit 1; }
done
# signatures on by default: every record at central verified on receipt
# with the box's key, and one checks out by hand with ordercam-verify
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM violations WHERE json_extract(record, '$.verified') = 1")" = "$want" ] ||
    { echo "not every record at central is verified"; exit 1; }
key=$(awk '{print $2}' <<<"$(OC_RUN_DIR=$dir "$bin/ordercamd" -c "$dir/run/key.json" --print-key)")
sqlite3 "$db" "SELECT record FROM violations WHERE evidence_path IS NOT NULL LIMIT 1" >"$dir/one.json"
one=$(sqlite3 "$db" "SELECT evidence_path FROM violations WHERE evidence_path IS NOT NULL LIMIT 1")
"$bin/ordercam-verify" "$dir/one.json" "$one" "$key" || { echo "ordercam-verify refused a record"; exit 1; }
cp "$one" "$dir/changed.jpg"
printf 'x' >>"$dir/changed.jpg"
if "$bin/ordercam-verify" "$dir/one.json" "$dir/changed.jpg" "$key" >/dev/null; then
    echo "ordercam-verify accepted a changed image"; exit 1
fi
echo "run_script_test: ok"
