#!/bin/sh
# Browser test of the dashboard: installs chromium, a CJK font and
# playwright-core (into the build tree), starts ordercam-central with
# certificates made now, and runs dashboard.test.mjs against it.
# A third argument names another test script (review.test.mjs); a
# reviewer "li" and a viewer "zhao" are made with `ordercam-central user`.
# usage: run.sh SOURCE_DIR BUILD_DIR [TEST_SCRIPT]
set -eu
src=$1
. "$src/tests/support/wait.sh"
. "$src/tests/support/tls.sh"
bin=$2
here=$src/tests/browser
work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
need=""
for p in chromium fonts-wqy-zenhei; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
command -v node >/dev/null 2>&1 || need="$need nodejs npm"
if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
mkdir -p "$bin/browser"
# the test script sits beside node_modules so that its import resolves there
script=${3:-dashboard.test.mjs}
cp "$here/package.json" "$here/package-lock.json" "$here/$script" "$bin/browser/"
(cd "$bin/browser" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null; })

cd "$work"
tls_self_signed key.pem cert.pem
# a second box that signs its records (docs/evidence.md, "Signatures"): its
# key pair made now, the private key handed to the test in OC_TEST_BOX_KEY
openssl genpkey -algorithm ed25519 -out signbox.pem 2>/dev/null
signkey=$(openssl pkey -in signbox.pem -pubout -outform DER | tail -c 32 | base64 -w0)
cat >central.json <<JSON
{"listen": "127.0.0.1:0", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"}, "db": "central.sqlite",
 "tokens": [{"token": "box-token-0123456789abcdef", "box": "edge-jc-0001"},
            {"token": "signbox-token-0123456789abcdef", "box": "edge-sg-0001"},
            {"token": "viewer-token-0123456789abcdef", "role": "viewer"}],
 "box_keys": {"edge-sg-0001": [{"key": "$signkey"}]}}
JSON
for u in "li reviewer" "zhao viewer"; do
    set -- $u
    echo 'correct horse battery' | "$bin/ordercam-central" user add "$1" --role "$2" -c central.json \
        --password-stdin >/dev/null
done
"$bin/ordercam-central" -c central.json --port-file port 2>central.log &
pid=$!
wait_for 60 test -s port || { cat central.log; exit 1; }
port=$(cat port)
shot=${OC_SCREENSHOT:-$bin/browser/${script%.test.mjs}.png}
OC_TEST_BOX_KEY="$work/signbox.pem" NODE_EXTRA_CA_CERTS="$work/cert.pem" node "$bin/browser/$script" \
    "https://localhost:$port" "$src/samples" "$shot"
