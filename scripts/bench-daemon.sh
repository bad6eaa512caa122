#!/bin/bash
# Benchmark of ordercamd (docs/bench.md): on one real mosquitto, the rate at
# which mosquitto_sub alone receives a stream of detection messages from
# PUBLISHERS parallel publishers (default 4), then the rate at which ordercamd
# receives and classifies the same stream at QoS 1, its losses and peak RSS.
#   MESSAGES  stream length (default 400000), 16 cameras, 4 objects each
#   ROUNDS    drain pairs (alone, 3 live views) measured, order swapped each round (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
messages=${MESSAGES:-400000}
publishers=${PUBLISHERS:-4}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=$PWD/build-bench
WORK=$bin/daemon-bench
rm -rf "$WORK"
mkdir -p "$WORK"
. tests/support/broker.sh
. tests/support/wait.sh
. tests/support/config.sh
trap 'stop_broker; [ -n "${DPID:-}" ] && kill -9 "$DPID" 2>/dev/null; true' EXIT
"$bin/ordercam-gen" bench --out "$WORK/stream.jsonl" --scene "$WORK/scene.json" --cameras 16 \
    --objects 4 --messages "$messages" --seed 3
total=$(wc -l <"$WORK/stream.jsonl")
# one publisher per group of cameras and signals, each keeping its share of
# the stream in order: a device's messages arrive in the order it sent them,
# as from real cameras (a split into contiguous chunks would have each
# publisher start at another time of the same cameras: their clocks would
# jump back and forth, dropped as drop_clock_jump)
awk -v n="$publishers" -v dir="$WORK" '
    { if (match($0, /"topic": *"[^"]*\/(cameras|signals)\/[^\/"]+/)) {
          dev = substr($0, RSTART, RLENGTH)
          if (!(dev in group)) group[dev] = seen++ % n
          print > sprintf("%s/part.%02d", dir, group[dev])
      } else print > sprintf("%s/part.%02d", dir, 0) }' "$WORK/stream.jsonl"
start_broker

now() { date +%s.%N; } # wall clock, as the daemon's last-message timestamp
publish_all() {
    pids=()
    for p in "$WORK"/part.*; do
        "$bin/ordercam-replay" --config "$WORK/scene.json" --log "$p" \
            --publish "127.0.0.1:$BROKER_PORT" --speed 0 --qos 1 2>>"$WORK/pub.log" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}

# 1. the reference: mosquitto_sub alone
# a persistent session subscribed beforehand (-E exits once subscribed): the
# broker queues every message for it, so no start-up race can lose one
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'ordercam/#' -q 1 -i bench-sub -c -E
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'ordercam/#' -q 1 -i bench-sub -c -C "$total" >/dev/null &
SUB=$!
t0=$(now)
publish_all
# a lost message would make mosquitto_sub wait forever: bounded
wait_for 600 eval '! kill -0 "$SUB" 2>/dev/null' || { echo "mosquitto_sub did not get all $total messages" >&2; exit 1; }
t1=$(now)
sub_rate=$(echo "$total / ($t1 - $t0)" | bc -l)
# end the reference's persistent session: the broker would otherwise queue
# every later message for it (hundreds of MB) while ordercamd is measured
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'ordercam/#' -q 1 -i bench-sub -E

# 2. ordercamd on the same stream; 3. again, with three live-view watchers
# (docs/daemon.md "Live view") asking for a camera's scene and frame 5 times
# a second each, on three cameras
mport=$(free_port)
received() { # processed + dropped (counted)
    curl -s "http://127.0.0.1:$mport/metrics" |
        awk '/^ordercam_(messages_total|drops_total)/ {s += $2} END {print s + 0}'
}
metric() { curl -s "http://127.0.0.1:$mport/metrics" | grep -v '^#' | grep -F "$1 " | awk '{print $2}'; }
watch_camera() { # camera: scene and frame at 5 fps until killed, from one
    # curl process as a browser tab would (a curl spawned per request costs
    # the 2-core box more CPU than the live view itself)
    local k="$WORK/watch-$1.curl"
    : >"$k"
    for _ in $(seq 100); do
        printf 'url = "http://127.0.0.1:%s/api/v1/cameras/%s/scene"\noutput = "/dev/null"\n' "$mport" "$1"
        printf 'url = "http://127.0.0.1:%s/api/v1/cameras/%s/frame.jpg"\noutput = "/dev/null"\n' "$mport" "$1"
    done >>"$k"
    # niced: the browsers run on the installer's laptop, not on the box;
    # what is measured is the box's side (listener and scene building)
    while :; do nice -n 19 curl -s --rate 10/s -K "$k" || true; done
}
start_ordercamd() {
    "$bin/ordercamd" -c "$WORK/edge.json" --log-level 4 >>"$WORK/daemon.log" 2>&1 &
    DPID=$!
    wait_for 60 eval 'curl -s "http://127.0.0.1:$mport/health" | grep -q ok' || { cat "$WORK/daemon.log" >&2; exit 1; }
}
cpu_s() { # the daemon's CPU seconds so far (user + system)
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$DPID/stat"
}
# spool-name watchers(0|1) mode: live (ordercamd receives while the
# publishers send) or drain (the broker holds the whole stream for
# ordercamd's session, then ordercamd is started and empties it: the
# publishers no longer compete for the two cores, so the rate is the
# daemon's own). Sets d_rate, d_cpu, drops, late, got, rss, load.
run_daemon() {
    scene_jq "$WORK/scene.json" '.mqtt = {port: $broker, qos: 1, client_id: "bench-\($spool | split("/") | last)"} | .spool = {dir: $spool} |
        .metrics = {listen: "127.0.0.1:\($mport)"} | .evidence = {enabled: false}' \
        --argjson broker "$BROKER_PORT" --arg spool "$WORK/$1" --arg mport "$mport" >"$WORK/edge.json"
    start_ordercamd
    if [ "$3" = drain ]; then # its subscriptions exist now: the broker queues for it
        kill -TERM "$DPID"; wait "$DPID"; DPID=
        publish_all
    fi
    watchers=()
    if [ "$2" = 1 ]; then
        for c in cam-000 cam-001 cam-002; do watch_camera "$c" & watchers+=($!); done
    fi
    t0=$(now)
    if [ "$3" = drain ]; then start_ordercamd; else publish_all; fi
    wait_for 600 eval '[ "$(received)" -ge "$total" ]' ||
        { echo "ordercamd received $(received) of $total messages in 10 minutes" >&2; exit 1; }
    t1=$(metric ordercam_last_message_timestamp_seconds)
    d_cpu=$(cpu_s)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    local w
    for w in "${watchers[@]}"; do # the loop, then the curl it was waiting for
        c=$(pgrep -P "$w" || true)
        kill "$w"
        [ -z "$c" ] || kill $c 2>/dev/null || true
    done
    d_rate=$(echo "$total / ($t1 - $t0)" | bc -l)
    drops=$(curl -s "http://127.0.0.1:$mport/metrics" | awk '/^ordercam_drops_total/ && !/signal_out_of_order/ {s += $2} END {print s}')
    late=$(metric 'ordercam_drops_total{reason="signal_out_of_order"}')
    got=$(received)
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$DPID/status")
    kill -TERM "$DPID"; wait "$DPID"; DPID=
}
# drain pairs, ROUNDS of them (default 3), the order swapped each round
# (watched first, then alone first): a single pair moved by a quarter
# between two runs minutes apart; the median of the pairs' ratios is the figure
rounds=${ROUNDS:-3}
pair_rates=() pair_cpus=() dd_rate=0 dw_rate=0 dd_cpu=0 dw_cpu=0 dw_drops=0
for r in $(seq "$rounds"); do
    for watched in $([ $((r % 2)) = 1 ] && echo "1 0" || echo "0 1"); do
        run_daemon "spool-drain-$r-$watched" "$watched" drain
        if [ "$watched" = 1 ]; then
            dw_rate=$d_rate dw_cpu=$d_cpu dw_drops=$((dw_drops + drops)) dw_load=$load
        else
            dd_rate=$d_rate dd_cpu=$d_cpu dd_load=$load
        fi
    done
    pair_rates+=("$(echo "$dw_rate / $dd_rate" | bc -l)")
    pair_cpus+=("$(echo "$dd_cpu / $dw_cpu" | bc -l)")
    printf 'drain round %d: alone %8.0f messages/s in %.1f CPU s; 3 live views %8.0f messages/s in %.1f CPU s: rate %.2f, messages per CPU s %.2f (load %s)\n' \
        "$r" "$dd_rate" "$dd_cpu" "$dw_rate" "$dw_cpu" "${pair_rates[-1]}" "${pair_cpus[-1]}" "$load"
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
run_daemon spool-watched 1 live
w_rate=$d_rate w_load=$load w_drops=$drops
run_daemon spool 0 live
printf 'stream: %d messages (16 cameras, ~4 objects per detection message), %d QoS 1 publishers\n' "$total" "$publishers"
printf 'mosquitto_sub alone: %8.0f messages/s\n' "$sub_rate"
printf 'ordercamd:           %8.0f messages/s  (ratio %.2f; target >= 0.90)\n' "$d_rate" "$(echo "$d_rate / $sub_rate" | bc -l)"
printf 'ordercamd, 3 live views at 5 fps: %8.0f messages/s  (%.2f of ordercamd alone, live; the watchers compete with the publishers for the cores), %d lost or dropped\n' "$w_rate" "$(echo "$w_rate / $d_rate" | bc -l)" "$w_drops"
printf 'draining the stream held by the broker, 3 live views at 5 fps vs alone, median of %d rounds: %s of the rate (target >= 0.95), %s of the messages per CPU second, %d lost or dropped\n' \
    "$rounds" "$(med "${pair_rates[@]}")" "$(med "${pair_cpus[@]}")" "$dw_drops"
printf 'load average (1, 5, 15 min) at the end: live alone %s, watched %s; drain alone %s, watched %s\n' "$load" "$w_load" "$dd_load" "$dw_load"
printf 'ordercamd: %d received, %d lost or dropped (plus %d signal heartbeats reordered by the parallel publishers), peak RSS %d kB (target < 32768 kB)\n' "$got" "$drops" "$late" "$rss"
