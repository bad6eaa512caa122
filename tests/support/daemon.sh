# Sourced by the edge integration tests: one ordercamd at a time, run from
# $bin (the build directory) with the config $WORK/edge.json, its output
# appended to $WORK/daemon.log, its pid in DPID and its metrics listener on
# 127.0.0.1:$METRICS_PORT, beside a broker of tests/support/broker.sh.
# The test sets src, bin and TEST_NAME (for messages) before sourcing, and
# METRICS_PORT before starting the daemon. Sourcing makes $WORK (removed at
# exit with the daemon and the broker; a test's own cleanup_extra function,
# when it defines one, runs first) and sources broker.sh, wait.sh and
# config.sh.

. "$src/tests/support/broker.sh"
. "$src/tests/support/wait.sh"
. "$src/tests/support/config.sh"
WORK=$(mktemp -d)
DPID=
cleanup() {
    if declare -F cleanup_extra >/dev/null; then cleanup_extra || true; fi
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    stop_broker || true
    # OC_KEEP_WORK=1 keeps the test's files for a post-mortem
    if [ -n "${OC_KEEP_WORK:-}" ]; then echo "$TEST_NAME: files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# fail MESSAGE: says why, shows the tail of every log in $WORK, exits 1.
fail() {
    echo "$TEST_NAME: FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] && { echo "== $f"; tail -20 "$f"; }
    done >&2
    exit 1
}

# edge_config SPOOL_DIR [JQ_FILTER [JQ ARGS...]]: $WORK/edge.json from the
# sample scene, talking to the test broker, with the spool in SPOOL_DIR, a
# snapshot every second and the metrics listener on; FILTER changes more.
edge_config() {
    local spool=$1 extra=${2:-.}
    shift $(($# < 2 ? $# : 2))
    scene_jq "$src/samples/scene.json" \
        ".mqtt.port = \$port | .spool.dir = \$spool | .spool.snapshot_s = 1 |
         .metrics.listen = \$listen | $extra" \
        --argjson port "$BROKER_PORT" --arg spool "$spool" \
        --arg listen "127.0.0.1:$METRICS_PORT" "$@" >"$WORK/edge.json"
}

# metric 'NAME{LABELS}': the value of that sample in /metrics (empty when
# absent or the listener does not answer within 5 s).
metric() {
    curl -s -m 5 "http://127.0.0.1:$METRICS_PORT/metrics" | grep -v '^#' | grep -F "$1 " |
        awk '{print $2}'
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_at_least() { # name min (integers)
    local v
    v=$(metric "$1")
    [ -n "$v" ] && [ "$v" -ge "$2" ]
}

# log_has FROM PATTERN: the daemon log from byte FROM on matches PATTERN.
log_has() { tail -c +"$1" "$WORK/daemon.log" | grep -q "$2"; }

# start_daemon [ARGS...]: starts ordercamd and waits until this run has
# connected to the broker.
start_daemon() {
    local from=$(($(stat -c %s "$WORK/daemon.log" 2>/dev/null || echo 0) + 1))
    "$bin/ordercamd" -c "$WORK/edge.json" "$@" >>"$WORK/daemon.log" 2>&1 &
    DPID=$!
    wait_for 60 log_has "$from" "broker.*connected" || fail "daemon did not connect"
}

# stop_daemon: SIGTERM; it must drain and exit 0 within 60 s.
stop_daemon() {
    kill -TERM "$DPID"
    wait_for 60 eval '! kill -0 "$DPID" 2>/dev/null' || fail "SIGTERM: still running after 60 s"
    wait "$DPID" || fail "SIGTERM: exit status $?"
    DPID=
}

# kill_daemon: SIGKILL, as a power cut.
kill_daemon() {
    kill -9 "$DPID"
    wait "$DPID" 2>/dev/null || true
    DPID=
}
