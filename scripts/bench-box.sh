#!/bin/bash
# Edge box capacity (docs/bench.md "Edge box capacity"): N simulated cameras
# (tests/bench/bench_box_pub.c) send detections at 10 fps and ~200 KB
# 1920x1080 JPEG frames through a real mosquitto on a free loopback port to
# ordercamd with evidence on, for DURATION seconds per run. Each camera's
# signal is red; one car per camera every 10 s runs it (red_light), and 20
# more at once at half time. Modes: A, a frame with every detection message
# (10 fps); B, a frame with every fifth (2 fps, as the README recommends).
# Per run it prints what was offered (the publisher's own achieved rate
# against the nominal one), what ordercamd received, the frames the ring
# dropped and why, violations and evidence images per second, the share of
# violations with an image and why the others have none, the evidence
# queue's high-water mark, ordercamd's CPU per camera, its RSS with and
# without the ring's frames, mosquitto's CPU and the load average.
#   CAMERAS   camera counts (default "16 32 64")
#   MODES     default "A B"
#   WORKERS   evidence.workers values (default "1 2")
#   DURATION  seconds per run (default 120)
#   RING_MB   evidence.ring_max_mb (default 64, the default config's)
#   TOLERANCE_MS  evidence.tolerance_ms (default 200, the default config's)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cameras_list=${CAMERAS:-16 32 64}
modes=${MODES:-A B}
workers_list=${WORKERS:-1 2}
duration=${DURATION:-120}
ring_mb=${RING_MB:-64}
tol=${TOLERANCE_MS:-200}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j2 --target ordercamd ordercam-gen bench_box_pub >/dev/null
bin=$PWD/build-bench
WORK=$bin/box-bench
rm -rf "$WORK"
mkdir -p "$WORK"
. tests/support/broker.sh
. tests/support/wait.sh
. tests/support/config.sh
DPID= PPID_= SAMPLER=
cleanup() { # exactly what this script started (errexit is off: every kill is tried)
    set +e
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    [ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    stop_broker
    true
}
trap cleanup EXIT

# camera-like base frames: ordercam-gen's drawn scene (road, zones, vehicles,
# the time overlay); the publisher adds sensor noise to reach ~200 KB
# (made once, kept in build-bench/box-frames)
if [ ! -d "$bin/box-frames/frames" ]; then
    rm -rf "$bin/box-frames"
    mkdir -p "$bin/box-frames"
    "$bin/ordercam-gen" sample --frames --scene samples/scene.json --out "$bin/box-frames/sample.jsonl" >/dev/null 2>&1
fi
mapfile -t base < <(find "$bin/box-frames/frames" -name '*.jpg' | sort | awk 'NR % 97 == 1' | head -8)
[ "${#base[@]}" -ge 1 ] || { echo "bench-box: no base frames from ordercam-gen" >&2; exit 1; }
start_broker "persistence false" # (autosave of a broker holding 100+ MB of frames crashed mosquitto 2.0)

mport=$(free_port)
metrics() { curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" | grep -v '^#' || true; }
metric() { metrics | grep -F "$1 " | awk '{s += $2} END {print s + 0}'; }
sum_metric() { metrics | grep -F "$1" | awk '{s += $2} END {print s + 0}'; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
received() { metrics | awk '/^ordercam_(messages_total|drops_total)/ {s += $2} END {print s + 0}'; }
settled() { # nothing waits for frames or for a worker
    local m
    m=$(metrics)
    [ "$(echo "$m" | awk '/^ordercam_evidence_waiting / {print $2}')" = 0 ] &&
        [ "$(echo "$m" | awk '/^ordercam_evidence_queue_jobs / {print $2}')" = 0 ]
}

printf '%-3s %-4s %-2s | %9s %9s %5s | %9s %5s %6s | %8s %8s | %6s %6s %6s %5s | %7s %5s %5s | %4s | %9s | %6s %6s | %6s | %s\n' \
    cams mode w "offered/s" "sent/s" "ratio" "recv/s" "ratio" "lost" "drop:age" "drop:mb" "viol/s" "img/s" "share" "3fr" \
    "qfull" "nofr" "other" "q_hw" "%core/c" "rssMB" "-ring" "mosq%" "load (1 5 15)"
for n in $cameras_list; do
    "$bin/ordercam-gen" bench --out /dev/null --scene "$WORK/scene-$n.json" --cameras "$n" --messages 1
    for mode in $modes; do
        every=1
        [ "$mode" = B ] && every=5
        for w in $workers_list; do
            run=$n-$mode-$w
            scene_jq "$WORK/scene-$n.json" '.mqtt = {port: $broker, qos: 1, client_id: "bench-box-\($run)"} |
                .spool = {dir: $spool} | .metrics = {listen: "127.0.0.1:\($mport)"} |
                .evidence = {enabled: true, workers: $w, ring_s: 20, ring_max_mb: $ring, tolerance_ms: $tol}' \
                --argjson broker "$BROKER_PORT" --arg spool "$WORK/spool-$run" --arg mport "$mport" \
                --arg run "$run" --argjson w "$w" --argjson ring "$ring_mb" --argjson tol "$tol" >"$WORK/edge-$run.json"
            "$bin/ordercamd" -c "$WORK/edge-$run.json" --log-level 4 >>"$WORK/daemon-$run.log" 2>&1 &
            DPID=$!
            wait_for 60 eval 'curl -s --max-time 2 "http://127.0.0.1:$mport/health" | grep -q ok' ||
                { cat "$WORK/daemon-$run.log" >&2; exit 1; }
            wait_for 60 eval '[ "$(metric ordercam_mqtt_connected)" = 1 ]' ||
                { echo "bench-box: ordercamd did not connect" >&2; exit 1; }
            # once a second: RSS and the ring's bytes (peak of each, and of
            # the difference)
            (while :; do
                rss=$(awk '/VmRSS/ {print $2}' "/proc/$DPID/status" 2>/dev/null || echo 0)
                m=$(metrics)
                ring=$(echo "$m" | awk '/^ordercam_ring_bytes / {print $2}')
                echo "$rss ${ring:-0}"
                sleep 1
            done >"$WORK/rss-$run.txt") &
            SAMPLER=$!
            c0=$(cpu_s "$DPID")
            b0=$(cpu_s "$BROKER_PID")
            timeout $((duration + 180)) "$bin/tests/bench/bench_box_pub" --port "$BROKER_PORT" --cameras "$n" \
                --duration "$duration" --frame-every "$every" --burst-at $((duration / 2)) \
                --threads 2 "${base[@]}" >"$WORK/pub-$run.txt" 2>>"$WORK/pub.log" &
            PPID_=$!
            wait "$PPID_" || { echo "bench-box: publisher failed (see $WORK/pub.log)" >&2; exit 1; }
            PPID_=
            got_at_end=$(received)
            c1=$(cpu_s "$DPID")
            b1=$(cpu_s "$BROKER_PID")
            load=$(cut -d' ' -f1-3 /proc/loadavg)
            # what the publisher reports
            eval "$(tr ' ' '\n' <"$WORK/pub-$run.txt" | sed 's/^/p_/')"
            sent=$((p_detections + p_frames + p_signals))
            # what is still in the broker and ordercamd's queue arrives, and
            # the violations' evidence settles (bounded)
            wait_for 120 eval '[ "$(received)" -ge "$sent" ]' || true
            wait_for 120 settled || true
            kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=
            got=$(received)
            viol=$(sum_metric 'ordercam_violations_total{')
            img=$(metric 'ordercam_evidence_images_total{result="written"}')
            qfull=$(metric 'ordercam_engine_events_total{event="evidence_none_queue_full"}')
            nofr=$(metric 'ordercam_engine_events_total{event="evidence_none_no_frame"}')
            other=$(( $(metric 'ordercam_evidence_images_total{result="no_usable_frame"}') +
                $(metric 'ordercam_evidence_images_total{result="write_failed"}') ))
            ring_age=$(metric 'ordercam_ring_dropped_total{reason="age"}')
            ring_bytes=$(metric 'ordercam_ring_dropped_total{reason="bytes"}')
            qhw=$(metric ordercam_evidence_queue_high_water)
            rx_full=$(metric 'ordercam_drops_total{reason="rx_queue_full"}')
            read -r rss_peak rest_peak < <(awk '{if ($1 > r) r = $1; if ($1 - $2 / 1024 > x) x = $1 - $2 / 1024} END {print r / 1024, x / 1024}' "$WORK/rss-$run.txt")
            kill -TERM "$DPID"; wait "$DPID" || true; DPID=
            # images with all three key frames (red_light: before and after
            # the stop line, the exit), from the spooled records
            full=$(sqlite3 "$WORK/spool-$run/spool.sqlite" 'SELECT record FROM records' |
                jq -s '[.[] | select((.evidence.frames // []) | length == 3)] | length')
            el=$p_elapsed
            nominal=$(( (p_nominal_detections + p_nominal_frames) ))
            printf '%-3s %-4s %-2s | %9.0f %9.0f %5.2f | %9.0f %5.2f %6d | %8d %8d | %6.2f %6.2f %6.3f %5.2f | %7d %5d %5d | %4d | %9.2f | %6.0f %6.0f | %6.0f | %s\n' \
                "$n" "$mode" "$w" "$(echo "$nominal / $duration" | bc -l)" "$(echo "($p_detections + $p_frames) / $el" | bc -l)" \
                "$(echo "($p_detections + $p_frames) / $el / ($nominal / $duration)" | bc -l)" \
                "$(echo "$got_at_end / $el" | bc -l)" "$(echo "$got_at_end / $sent" | bc -l)" "$((sent - got))" \
                "$ring_age" "$ring_bytes" "$(echo "$viol / $el" | bc -l)" "$(echo "$img / $el" | bc -l)" \
                "$(echo "if ($viol > 0) $img / $viol else 0" | bc -l)" \
                "$(echo "if ($viol > 0) $full / $viol else 0" | bc -l)" "$qfull" "$nofr" "$other" "$qhw" \
                "$(echo "100 * ($c1 - $c0) / $el / $n" | bc -l)" "$rss_peak" "$rest_peak" \
                "$(echo "100 * ($b1 - $b0) / $el" | bc -l)" "$load"
            printf '    (%s: %d violators sent, %d violations; frames %.0f KB, %.1f MB/s sent; publisher lag max %d ms; rx_queue_full %d; ring %d MiB = %.1f s of frames at the rate sent)\n' \
                "$run" "$p_violators" "$viol" "$p_frame_kb" "$(echo "$p_bytes / $el / 1048576" | bc -l)" "$p_max_lag_ms" "$rx_full" \
                "$ring_mb" "$(echo "$ring_mb * 1048576 / ($p_frame_kb * 1024 * $p_frames / $el)" | bc -l)" >>"$WORK/notes.txt"
        done
    done
done
echo
cat "$WORK/notes.txt"
printf 'DURATION=%s s per run; evidence.ring_max_mb %s, tolerance_ms %s; nproc %s; load average at the end: %s\n' "$duration" "$ring_mb" "$tol" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
