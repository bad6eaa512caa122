#!/bin/bash
# Browser test of ordercamd's live view: installs chromium, a CJK font and
# playwright-core (into the build tree, as run.sh), starts a mosquitto on
# loopback and ordercamd with the sample scene (a view token and an admin
# token), publishes the sample with its frames at its pace (6 minutes), and runs
# live.test.mjs against it. Screenshots go to OC_SCREENSHOT_DIR (default
# BUILD_DIR/browser).
# usage: live_run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
here=$src/tests/browser
WORK=$(mktemp -d)
DPID=
PUB=
. "$src/tests/support/wait.sh"
. "$src/tests/support/broker.sh"
. "$src/tests/support/config.sh"
cleanup() {
    [ -n "$PUB" ] && kill "$PUB" 2>/dev/null
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    stop_broker || true
    rm -rf "$WORK"
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
cp "$here/package.json" "$here/package-lock.json" "$here/live.test.mjs" "$bin/browser/"
(cd "$bin/browser" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null; })
shots=${OC_SCREENSHOT_DIR:-$bin/browser}
mkdir -p "$shots"

TOKEN=view-token-0123456789abcdef
ADMIN=admin-token-0123456789abcdef
start_broker
MPORT=$(free_port)
scene_jq "$src/samples/scene.json" '.mqtt.port = $b | .spool = {dir: $w} | .evidence = {enabled: false} |
    .metrics = {listen: "127.0.0.1:\($mp)", token: $t, admin_token: $a}' \
    --argjson b "$BROKER_PORT" --arg w "$WORK/spool" --arg mp "$MPORT" --arg t "$TOKEN" --arg a "$ADMIN" \
    >"$WORK/edge.json"
mkdir -p "$WORK/sf"
"$bin/ordercam-gen" sample --frames --scene "$src/samples/scene.json" --out "$WORK/sf/sample.jsonl"
"$bin/ordercamd" -c "$WORK/edge.json" >"$WORK/daemon.log" 2>&1 &
DPID=$!
wait_for 60 grep -q "broker.*connected" "$WORK/daemon.log" || { cat "$WORK/daemon.log"; exit 1; }
"$bin/ordercam-replay" --config "$WORK/edge.json" --log "$WORK/sf/sample.jsonl" \
    --publish "127.0.0.1:$BROKER_PORT" --speed "${OC_LIVE_SPEED:-1}" 2>"$WORK/pub.log" &
PUB=$!
node "$bin/browser/live.test.mjs" "http://127.0.0.1:$MPORT" "$TOKEN" "$ADMIN" "$WORK/edge.json" \
    "$bin/ordercamd" "$shots" || { tail -20 "$WORK/daemon.log"; exit 1; }
grep -q "reloaded" "$WORK/daemon.log" || { echo "no reload logged"; exit 1; }
