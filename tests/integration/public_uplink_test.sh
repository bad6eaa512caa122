#!/bin/bash
# The public variant (docs/evidence.md "Public variant", issue 16 item 4)
# through the whole chain: ordercamd with evidence.public on, a real
# mosquitto and ordercam-central over HTTPS (certificates made now).
#  a. every record's public variant arrives after its private image: the
#     bytes central serves a viewer on /api/v1/evidence/<id>/public equal the
#     box's <file>.public.jpg byte for byte, their SHA-256 is the record's
#     evidence.public_sha256; the metrics count them;
#  b. a PUT whose body is not the record's public variant is refused (400),
#     other bytes after the stored one conflict (409);
#  c. ordercamd SIGKILLed while it uploads, and a restart after central's
#     answer was lost (the spool set back to "to send"): every public image
#     arrives, central holds exactly one copy of each.
# usage: public_uplink_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
WORK=$(mktemp -d)
DPID=
CPID=
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    [ -n "$CPID" ] && kill "$CPID" 2>/dev/null || true
    stop_broker || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$src/tests/support/broker.sh"
. "$src/tests/support/wait.sh"
. "$src/tests/support/tls.sh"
fail() { echo "public_uplink_test: FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "== $f"; tail -15 "$f"; done >&2; exit 1; }
export TZ=CST-8
cd "$WORK"

"$bin/ordercam-gen" sample --frames --scene "$src/samples/scene.json" --out "$WORK/sf.jsonl"
"$bin/ordercam-replay" --config "$src/samples/scene.json" --log sf.jsonl --out offline.jsonl 2>/dev/null
want_total=$(wc -l <offline.jsonl)

tls_certs || fail "cannot make the test certificates"
BOX=box-token-0123456789abcdef
echo "$BOX" >box.token
VIEWER=viewer-token-0123456789abcdef
CPORT=$(free_port)
METRICS_PORT=$(free_port)
start_broker

start_central() { # name
    central_config central.json "$CPORT" <<JSON
 "db": "$WORK/$1.sqlite", "evidence_dir": "$WORK/central-$1",
 "tokens": [{"token": "$BOX", "box": "edge-jc-0001"}, {"token": "$VIEWER", "role": "viewer"}]
JSON
    central_start central.json "$CPORT" || fail "central did not start"
}
stop_central() { central_stop; }
edge_config() { # spool
    sed -e "s#\"port\": 1883#\"port\": $BROKER_PORT#" \
        -e "s#\"dir\": \"/var/lib/ordercam\"#\"dir\": \"$WORK/$1\", \"snapshot_s\": 1#" \
        -e "s#\"evidence\": {#\"evidence\": {\"public\": true, #" \
        -e "s#\"tally\": {\"bucket_s\": 60},#\"tally\": {\"bucket_s\": 60}, \"metrics\": {\"listen\": \"127.0.0.1:$METRICS_PORT\"}, \"central\": {\"url\": \"https://localhost:$CPORT\", \"token_file\": \"$WORK/box.token\", \"ca_file\": \"$WORK/ca.pem\", \"push_interval_s\": 1},#" \
        "$src/samples/scene.json" >edge.json
    grep -q '"public": true' edge.json || fail "the sample scene has no evidence section to extend"
}
start_daemon() {
    local from=$(($(stat -c %s daemon.log 2>/dev/null || echo 0) + 1))
    "$bin/ordercamd" -c edge.json >>daemon.log 2>&1 &
    DPID=$!
    wait_for 60 log_since "$from" "broker.*connected" || fail "daemon did not connect"
}
log_since() { tail -c +"$1" daemon.log | grep -q "$2"; }
stop_daemon() { kill -TERM "$DPID"; wait "$DPID" || fail "daemon exit $?"; DPID=; }
metric() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep -v '^#' | grep -F "$1 " | awk '{print $2}'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
api() { curl -sf --cacert ca.pem -H "Authorization: Bearer $VIEWER" "https://localhost:$CPORT$1"; }
records() { api "/api/v1/violations?limit=1000"; }
# records that announce a public variant, and those central serves one for
announced() { records | jq '[.violations[] | select(.evidence.public_sha256)] | length'; }
served() { records | jq '[.violations[] | select(.public_url)] | length'; }
all_served() { [ "$(announced)" -gt 0 ] && [ "$(served)" = "$(announced)" ]; }
# the box has nothing left to make or send (records, images, public
# variants), central has every record and serves every public variant
spool_done() { [ "$(sqlite3 "$WORK/$1/spool.sqlite" 'SELECT COUNT(*) FROM records WHERE state=0 OR ev_wait=1 OR ev_state=1 OR pub_state=1')" = 0 ]; }
settled() { # spool
    [ "$(records | jq '.violations | length')" = "$want_total" ] && spool_done "$1" && all_served
}

# Every public variant central serves, checked against the record and the
# box's file; then exactly one copy of each at central.
check_public() { # spool central-name
    local n=0
    while IFS="$(printf '\t')" read -r id sha url file; do
        api "$url" >got.jpg || fail "$id: a viewer cannot GET $url"
        [ "$(sha256sum <got.jpg | cut -d' ' -f1)" = "$sha" ] || fail "$id: served public image is not the record's public_sha256"
        cmp -s got.jpg "$WORK/$1/evidence/${file%.jpg}.public.jpg" || fail "$id: central's public image differs from the box's ${file%.jpg}.public.jpg"
        copies=$(find "$WORK/central-$2" -name "$sha.jpg" | wc -l)
        [ "$copies" = 1 ] || fail "$id: central holds $copies copies of its public image"
        n=$((n + 1))
    done < <(records | jq -r '.violations[] | select(.public_url) | [.id, .evidence.public_sha256, .public_url, .evidence.file] | @tsv')
    # nothing else at central: one private and one public file per record
    local files want
    files=$(find "$WORK/central-$2" -name '*.jpg' | wc -l)
    want=$(records | jq '[.violations[] | select(.evidence_url)] | length')
    [ "$files" = $((want + n)) ] || fail "central holds $files images for $want private and $n public"
    echo "   $n public variants, each once, equal to the box's"
}

echo "== a. every public variant arrives, equal to the box's file"
edge_config spool-a
start_central a
start_daemon
"$bin/ordercam-replay" --config edge.json --log sf.jsonl --publish "127.0.0.1:$BROKER_PORT" --speed 0 2>>pub.log
wait_for 600 settled spool-a || fail "a: $(served) of $(announced) public variants served"
[ "$(announced)" = "$want_total" ] || fail "a: $(announced) of $want_total records announce a public variant"
check_public spool-a a
wait_for 60 metric_is 'ordercam_uplink_public_evidence_total{result="sent"}' "$want_total" ||
    fail "a: metric public sent is $(metric 'ordercam_uplink_public_evidence_total{result="sent"}'), want $want_total"
metric_is 'ordercam_uplink_public_evidence_total{result="rejected"}' 0 || fail "a: public variants rejected"
[ "$(sqlite3 "$WORK/spool-a/spool.sqlite" 'SELECT COUNT(*) FROM records WHERE pub_state=2')" = "$want_total" ] ||
    fail "a: the spool does not mark every public variant sent"

echo "== b. a body that is not the record's public variant: 400; other bytes once stored: 409"
put_public() { # id file -> HTTP status
    curl -s --cacert ca.pem -o resp -w '%{http_code}' -X PUT -H "Authorization: Bearer $BOX" \
        -H "X-Content-SHA256: $(sha256sum <"$2" | cut -d' ' -f1)" -H 'Content-Type: image/jpeg' \
        --data-binary @"$2" "https://localhost:$CPORT/api/v1/evidence/$1/public"
}
rec=$(records | jq -c '.violations[0]')
priv="$WORK/spool-a/evidence/$(jq -r .evidence.file <<<"$rec")" # a whole JPEG, another digest
pub="${priv%.jpg}.public.jpg"
code=$(put_public "$(jq -r .id <<<"$rec")" "$priv")
[ "$code" = 409 ] || fail "b: other bytes after the stored public image: HTTP $code, want 409 ($(cat resp))"
# the same record under a new id (sent by hand, as the box would), its public
# variant not sent yet
id2=$(jq -r '.id | sub(":[0-9]+$"; ":999999")' <<<"$rec")
body=$(jq -c --arg id "$id2" '{box: .box, violations: [del(.evidence_url, .public_url, .sig) | .id = $id]}' <<<"$rec")
code=$(curl -s --cacert ca.pem -o resp -w '%{http_code}' -X POST -H "Authorization: Bearer $BOX" \
    -H 'Content-Type: application/json' --data "$body" "https://localhost:$CPORT/api/v1/violations")
[ "$code" = 200 ] || fail "b: record by hand: HTTP $code ($(cat resp))"
code=$(put_public "$id2" "$priv")
[ "$code" = 400 ] || fail "b: a body with another digest than the record's: HTTP $code, want 400 ($(cat resp))"
grep -q public_sha256 resp || fail "b: the refusal does not name public_sha256: $(cat resp)"
[ "$(api "/api/v1/counters" | jq .counters.public_refused)" = 1 ] || fail "b: public_refused not counted"
code=$(put_public "$id2" "$pub")
[ "$code" = 200 ] || fail "b: the record's own public variant: HTTP $code ($(cat resp))"
stop_daemon; stop_central

echo "== c. SIGKILLed while uploading; a lost answer resent: one copy each"
edge_config spool-c
start_central c
start_daemon
"$bin/ordercam-replay" --config edge.json --log sf.jsonl --publish "127.0.0.1:$BROKER_PORT" --speed 40 2>>pub.log &
PUBK=$!
for i in 1 2 3; do
    sleep 2
    kill -9 "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
    start_daemon
done
wait "$PUBK"
# records whose image was being made at a kill go without one (counted);
# every record that announces a public variant gets it, once
wait_for 600 settled spool-c || fail "c: $(served) of $(announced) public variants served"
check_public spool-c c
stop_daemon
# central's answer lost: the spool says "to send" again for what was sent
sqlite3 "$WORK/spool-c/spool.sqlite" 'UPDATE records SET pub_state=1 WHERE pub_state=2'
resent=$(sqlite3 "$WORK/spool-c/spool.sqlite" 'SELECT COUNT(*) FROM records WHERE pub_state=1')
start_daemon
wait_for 120 metric_is 'ordercam_uplink_public_evidence_total{result="sent"}' "$resent" ||
    fail "c: resent $(metric 'ordercam_uplink_public_evidence_total{result="sent"}') of $resent"
wait_for 120 settled spool-c || fail "c: not settled after the resend"
[ "$(sqlite3 "$WORK/spool-c/spool.sqlite" 'SELECT COUNT(*) FROM records WHERE pub_state=1')" = 0 ] || fail "c: left to send"
check_public spool-c c
stop_daemon; stop_central
echo "public_uplink_test: ok"
