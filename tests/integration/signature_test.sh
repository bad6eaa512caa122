#!/bin/bash
# A violation signed by hand with OpenSSL, exactly as docs/evidence.md
# "Signatures" writes the canonical form, against the real ordercam-central
# over HTTPS: the signed record is stored and served "verified"; the same
# record with its plate changed after signing, and one without "sig", are
# refused with 400 and the record's index, counted in signature_refused and
# logged with the box and record id, and never stored. The docs' by-hand
# check (openssl pkeyutl -verify) and ordercam-verify agree.
# usage: signature_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
WORK=$(mktemp -d)
CPID=
cleanup() {
    [ -n "$CPID" ] && kill "$CPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
. "$src/tests/support/wait.sh"
. "$src/tests/support/tls.sh"
fail() { echo "signature_test: FAIL: $*" >&2; tail -20 "$WORK/central.log" >&2 || true; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cd "$WORK"

# the box's key pair, made with OpenSSL; the public key as --print-key shows it
openssl genpkey -algorithm ed25519 -out box.pem 2>/dev/null
KEY=$(openssl pkey -in box.pem -pubout -outform DER | tail -c 32 | base64 -w0)
[ ${#KEY} = 44 ] || fail "public key is not 44 base64 characters: $KEY"

tls_certs || fail "cannot make the test certificates"
BOX=box-token-0123456789abcdef
VIEWER=viewer-token-0123456789abcdef
CPORT=$(free_port)
central_config central.json "$CPORT" <<JSON
 "db": "$WORK/central.db",
 "tokens": [{"token": "$BOX", "box": "edge-jc-0001"}, {"token": "$VIEWER", "role": "viewer"}],
 "box_keys": {"edge-jc-0001": [{"key": "$KEY"}]}
JSON
central_start central.json "$CPORT" || fail "central did not start"
api() { curl -sS --cacert ca.pem -o "$WORK/resp" -w '%{http_code}' "$@"; }

# The canonical form of docs/evidence.md, written from the record's fields
# with nothing but the rules on that page.
canon() { # record.json -> stdout
    python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
def s(v):
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    out = '"'
    for b in v.encode("utf-8"):
        if b == 0x22: out += '\\"'
        elif b == 0x5C: out += '\\\\'
        elif b < 0x20: out += '\\u%04x' % b
        else: out += chr(b) if b < 0x80 else bytes([b]).decode("latin-1")
    return out + '"'
ev = r.get("evidence") or {}
lines = ["ordercam-sig/1"]
for k in ["id", "box", "camera", "type", "code", "ts", "ts_start", "track", "class", "plate",
          "zone", "line", "signal", "signal_state", "red_elapsed_ms", "location", "road", "unit"]:
    lines.append(k + "=" + s(r.get(k)))
lines.append("sha256=" + s(ev.get("sha256")))
fr = ev.get("frames")
lines.append("frames=" + ("null" if fr is None else "[" + ",".join(str(f) for f in fr) + "]"))
sys.stdout.buffer.write(("\n".join(lines) + "\n").encode("latin-1"))
PY
}
# signs record.json into a record with "sig" just before "evidence"
sign() { # in out
    canon "$1" >canon.txt
    openssl pkeyutl -sign -inkey box.pem -rawin -in canon.txt -out sig.bin
    local sig
    sig=$(base64 -w0 sig.bin)
    sed "s#,\"evidence\":#,\"sig\":\"$sig\",\"evidence\":#" "$1" >"$2"
}

sed -n 1p "$src/samples/expected/sample.violations.jsonl" >one.json
grep '"plate":"' "$src/samples/expected/sample.violations.jsonl" | sed -n 2p >two.json
sign one.json one.signed.json
sign two.json two.signed.json
# the page's check by hand: the key as PEM, the signature, pkeyutl -verify
canon one.signed.json >canon1.txt
(printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; echo "$KEY" | base64 -d) >pub.der
openssl pkey -pubin -inform DER -in pub.der -out pub.pem
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["sig"]))' \
    one.signed.json >sig1.bin
openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in canon1.txt -sigfile sig1.bin | grep -q "Signature Verified Successfully" ||
    fail "openssl does not verify the hand-signed record"
"$bin/ordercam-verify" one.signed.json - "$KEY" >verify.out || fail "ordercam-verify refused: $(cat verify.out)"

# the success case: stored and served verified
body() { printf '{"box":"edge-jc-0001","violations":[%s]}' "$(cat "$1")"; }
code=$(api -H "Authorization: Bearer $BOX" -H 'Content-Type: application/json' --data-binary "$(body one.signed.json)" \
    "https://localhost:$CPORT/api/v1/violations")
[ "$code" = 200 ] || fail "a good signature got $code: $(cat resp)"
grep -q '"inserted":1' resp || fail "not inserted: $(cat resp)"

# a changed plate after signing, and no signature at all: 400 with the index
sed 's/"plate":"[^"]*"/"plate":"晋E99999"/' two.signed.json >two.changed.json
grep -q '晋E99999' two.changed.json || fail "the test's plate edit did nothing"
code=$(api -H "Authorization: Bearer $BOX" -H 'Content-Type: application/json' --data-binary "$(body two.changed.json)" \
    "https://localhost:$CPORT/api/v1/violations")
[ "$code" = 400 ] || fail "a bad signature got $code: $(cat resp)"
grep -q '"index":0' resp || fail "no index in the refusal: $(cat resp)"
code=$(api -H "Authorization: Bearer $BOX" -H 'Content-Type: application/json' --data-binary "$(body two.json)" \
    "https://localhost:$CPORT/api/v1/violations")
[ "$code" = 400 ] || fail "a missing signature got $code: $(cat resp)"
id2=$(grep -o '"id":"[^"]*"' two.json | head -1 | cut -d'"' -f4)
grep -q "signature refused: box edge-jc-0001 record $id2" central.log || fail "the refusal is not logged with box and id"
code=$(api -H "Authorization: Bearer $VIEWER" "https://localhost:$CPORT/api/v1/counters")
[ "$code" = 200 ] || fail "counters: $code"
grep -q '"signature_refused":2' resp || fail "signature_refused is not 2: $(cat resp)"
# only the good one is stored, and it is verified
code=$(api -H "Authorization: Bearer $VIEWER" "https://localhost:$CPORT/api/v1/violations?from=0&to=4102444800000")
[ "$code" = 200 ] || fail "violations: $code"
id1=$(grep -o '"id":"[^"]*"' one.json | head -1 | cut -d'"' -f4)
python3 - "$WORK/resp" "$id1" <<'PY' || fail "central does not serve exactly the verified record: $(cat "$WORK/resp")"
import json, sys
v = json.load(open(sys.argv[1]))["violations"]
assert [r["id"] for r in v] == [sys.argv[2]], v
assert v[0]["verified"] is True
PY
echo "signature_test: ok"
