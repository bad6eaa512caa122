#!/bin/sh
# Golden test of ordercam-replay on the sample: the generator still writes
# the committed log, replay writes the committed records, tallies and
# summary byte for byte, from the gzip and the plain log alike, and the
# exit codes are those of docs/outputs.md.
# usage: golden.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "golden: $*" >&2; exit 1; }

"$bin/ordercam-gen" sample --out "$tmp/sample.jsonl" --manifest "$tmp/manifest.jsonl"
gzip -dc "$src/samples/sample.jsonl.gz" | cmp -s - "$tmp/sample.jsonl" ||
    fail "samples/sample.jsonl.gz is not what ordercam-gen writes (regenerate: scripts/samples.sh)"
cmp -s "$src/samples/sample.manifest.jsonl" "$tmp/manifest.jsonl" ||
    fail "samples/sample.manifest.jsonl is stale"

cd "$src"
"$bin/ordercam-replay" --config samples/scene.json --log samples/sample.jsonl.gz \
    --tallies "$tmp/tallies.jsonl" >"$tmp/out.jsonl" 2>"$tmp/summary.txt" || fail "replay failed"
diff -u samples/expected/sample.violations.jsonl "$tmp/out.jsonl" || fail "records differ"
diff -u samples/expected/sample.tallies.jsonl "$tmp/tallies.jsonl" || fail "tallies differ"
diff -u samples/expected/sample.summary.txt "$tmp/summary.txt" || fail "summary differs"

"$bin/ordercam-replay" --config samples/scene.json --log "$tmp/sample.jsonl" --out "$tmp/plain.jsonl" -q
cmp -s "$tmp/plain.jsonl" "$tmp/out.jsonl" || fail "plain and gzip logs differ"
"$bin/ordercam-replay" --config samples/scene.json --log samples/sample.jsonl.gz -q >"$tmp/again.jsonl"
cmp -s "$tmp/again.jsonl" "$tmp/out.jsonl" || fail "two runs differ"

# exit codes and messages
printf '{"box_id": "b", "cameras": [{"id": "c", "width": 100, "height": 100, "zones": [{"id": "z", "kind": "moat", "polygon": [[0,0],[1,0],[1,1]]}]}]}' >"$tmp/bad.json"
set +e
"$bin/ordercam-replay" --config "$tmp/bad.json" --log samples/sample.jsonl.gz >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad config: exit $rc, want 1"
grep -q 'bad.json: \$.cameras\[0\].zones\[0\].kind: unknown zone kind "moat"' "$tmp/err" ||
    fail "bad config message: $(cat "$tmp/err")"
set +e
"$bin/ordercam-replay" --config samples/scene.json --log "$tmp/missing.jsonl" >/dev/null 2>"$tmp/err"
rc=$?
"$bin/ordercam-replay" --config samples/scene.json >/dev/null 2>&1
rc2=$?
set -e
[ $rc -eq 1 ] || fail "missing log: exit $rc, want 1"
grep -q "missing.jsonl: No such file" "$tmp/err" || fail "missing log message: $(cat "$tmp/err")"
[ $rc2 -eq 2 ] || fail "usage error: exit $rc2, want 2"
# the example configs are valid; ordercamd --check says so, and refuses a bad one
"$bin/ordercamd" -c "$src/config/edge.example.json" --check >/dev/null || fail "edge.example.json refused"
"$bin/ordercam-central" -c "$src/config/central.example.json" --check >/dev/null || fail "central.example.json refused"
set +e
"$bin/ordercamd" -c "$tmp/bad.json" --check >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'unknown zone kind "moat"' "$tmp/err" || fail "ordercamd --check on a bad config: $rc $(cat "$tmp/err")"
# evidence on: the caption font must load, else --check says which key to fix
sed 's#"evidence": {#"evidence": {"font": "/nonexistent/font.ttc", #' "$src/config/edge.example.json" >"$tmp/nofont.json"
set +e
"$bin/ordercamd" -c "$tmp/nofont.json" --check >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'evidence.font: /nonexistent/font.ttc' "$tmp/err" || fail "ordercamd --check with a missing font: $rc $(cat "$tmp/err")"
echo "golden: ok"
