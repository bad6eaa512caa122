#!/bin/sh
# Evidence from ordercam-replay --evidence on the sample with frames: the
# records are the golden ones plus an evidence object; every image exists,
# matches its digest and is the same bytes on a second run; damaged and
# missing frames are counted and never cost a record.
# usage: evidence_replay.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "evidence_replay: $*" >&2; exit 1; }
export TZ=CST-8

"$bin/ordercam-gen" sample --frames --scene "$src/samples/scene.json" --out "$tmp/sf.jsonl"
replay() { "$bin/ordercam-replay" --config "$src/samples/scene.json" --log "$tmp/sf.jsonl" "$@"; }
# the sample's records (samples/expected): one image each
want=$(wc -l <"$src/samples/expected/sample.violations.jsonl")
[ "$want" -ge 21 ] || fail "the expected sample has $want records (its three cameras make 21)"
replay --evidence "$tmp/ev" --out "$tmp/out.jsonl" 2>"$tmp/summary.txt" || fail "replay failed"
grep -q "evidence: $want images; without: 0 no frame near, 0 no usable frame, 0 not written" \
    "$tmp/summary.txt" || fail "summary: $(cat "$tmp/summary.txt")"

# the same violations as the golden run (frames move no clock past a detection)
jq -c 'del(.evidence)' "$tmp/out.jsonl" >"$tmp/a"
jq -c 'del(.evidence)' "$src/samples/expected/sample.violations.jsonl" >"$tmp/b"
diff -u "$tmp/b" "$tmp/a" || fail "records differ from the golden ones"

# every record names an image that exists and has that digest; its frames
# are near the record's moments
n=0
jq -r '[.evidence.file, .evidence.sha256, (.evidence.frames|length), .ts_start, .ts,
        (.evidence.frames|first), (.evidence.frames|last)] | @tsv' "$tmp/out.jsonl" |
while IFS="$(printf '\t')" read -r file sha nf start ts first last; do
    [ -f "$tmp/ev/$file" ] || fail "$file missing"
    got=$(sha256sum "$tmp/ev/$file" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || fail "$file: digest $got, record says $sha"
    [ "$nf" -ge 1 ] || fail "$file: no frames listed"
    [ $((first - start)) -le 1000 ] && [ $((start - first)) -le 1000 ] || fail "$file: first frame $first far from $start"
    [ $((last - ts)) -le 200 ] && [ $((ts - last)) -le 200 ] || fail "$file: last frame $last far from $ts"
done
# red light shows three moments
[ "$(jq -r 'select(.type=="red_light") | .evidence.frames | length' "$tmp/out.jsonl" | sort -u)" = 3 ] ||
    fail "red_light evidence does not show three frames"

# deterministic: same records, same images
replay --evidence "$tmp/ev2" --out "$tmp/out2.jsonl" -q
cmp -s "$tmp/out.jsonl" "$tmp/out2.jsonl" || fail "two runs wrote different records"
diff -r "$tmp/ev" "$tmp/ev2" >/dev/null || fail "two runs wrote different images"

# evidence.public: the same private images and records, each with the
# public variant's digest, which its file has
sed 's/"evidence": {"enabled": true,/"evidence": {"enabled": true, "public": true,/' \
    "$src/samples/scene.json" >"$tmp/scene-public.json"
grep -q '"public": true' "$tmp/scene-public.json" || fail "could not switch evidence.public on"
"$bin/ordercam-replay" --config "$tmp/scene-public.json" --log "$tmp/sf.jsonl" \
    --evidence "$tmp/evp" --out "$tmp/outp.jsonl" -q
for f in $(cd "$tmp/ev" && find . -name '*.jpg'); do
    cmp -s "$tmp/ev/$f" "$tmp/evp/$f" || fail "$f differs with evidence.public on"
done
jq -c 'del(.evidence.public_sha256)' "$tmp/outp.jsonl" | cmp -s - "$tmp/out.jsonl" ||
    fail "records differ with evidence.public on (beyond public_sha256)"
jq -r '[.evidence.file, .evidence.public_sha256] | @tsv' "$tmp/outp.jsonl" |
while IFS="$(printf '\t')" read -r file psha; do
    pub="$tmp/evp/${file%.jpg}.public.jpg"
    [ -f "$pub" ] || fail "$pub missing"
    [ "$(sha256sum "$pub" | cut -d' ' -f1)" = "$psha" ] || fail "$pub: not the record's public_sha256"
done

# a truncated key frame is left out and counted; the record keeps the others
f1=$(jq -r 'select(.type=="red_light") | .evidence.frames[0]' "$tmp/out.jsonl" | head -1)
frame="$tmp/frames/cam-e1/$f1.jpg"
head -c 5000 "$frame" >"$tmp/t" && mv "$tmp/t" "$frame"
replay --evidence "$tmp/ev3" --out "$tmp/out3.jsonl" 2>"$tmp/summary3.txt"
grep -q "frames: 1 corrupt" "$tmp/summary3.txt" || fail "corrupt frame not counted: $(cat "$tmp/summary3.txt")"
jq -se "[.[] | .evidence.frames[] | select(. == $f1)] | length == 0" "$tmp/out3.jsonl" \
    >/dev/null || fail "the corrupt frame is still listed"
jq -se "[.[] | .evidence.frames[] | select(. == $f1)] | length == 1" "$tmp/out.jsonl" \
    >/dev/null || fail "the frame was not listed before it was damaged"
[ "$(wc -l <"$tmp/out3.jsonl")" -eq "$want" ] || fail "records lost with a corrupt frame"

# frames gone: evidence null, every record still there, both counted
rm -rf "$tmp/frames"
replay --evidence "$tmp/ev4" --out "$tmp/out4.jsonl" 2>"$tmp/summary4.txt"
[ "$(jq -r '.evidence' "$tmp/out4.jsonl" | sort -u)" = null ] || fail "evidence without frames"
[ "$(wc -l <"$tmp/out4.jsonl")" -eq "$want" ] || fail "records lost without frames"
grep -q "without: $want no frame near" "$tmp/summary4.txt" || fail "no-frame not counted"
grep -q "frame files could not be read" "$tmp/summary4.txt" || fail "unreadable frames not reported"

# an evidence folder that cannot be made: exit 1, clear message
set +e
replay --evidence /proc/ordercam-no >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "/proc/ordercam-no" "$tmp/err" || fail "bad evidence dir: $rc $(cat "$tmp/err")"
echo "evidence_replay: ok"
