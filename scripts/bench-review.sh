#!/bin/bash
# The review queue and the reports at scale (issue 17, "Speed"): fills a
# SQLite store with N violations (default 10,000,000) over 30 days, 200
# cameras on 50 roads of 10 units, 10 types on every camera, and their tallies at every
# grain; then measures at the API (HTTP, loopback, a reviewer's session):
# the next pending violation, a decision, a monthly report per road and
# per unit, against the counts query of the dashboard in the same run.
# Medians of 20 calls each. Every step is time-limited; any failure stops
# the run with a message naming the step (exit 1).
# usage: scripts/bench-review.sh [N] [BUILD_DIR]   (BUILD_DIR: a Release build)
# REUSE=1 keeps the filled store in BUILD_DIR/review-bench/ for the next
# run with the same N (its frozen reports are dropped before measuring).
set -Eeuo pipefail
shopt -s inherit_errexit
n=${1:-10000000}
bin=${2:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/support/wait.sh"
step=setup
trap 'echo "bench-review: FAILED during \"$step\" (line $LINENO: $BASH_COMMAND)" >&2' ERR
die() { echo "bench-review: FAILED: $*" >&2; exit 1; }
for c in sqlite3 jq curl timeout; do
    command -v "$c" >/dev/null || die "needs $c (scripts/setup.sh)"
done
[ -x "$bin/ordercam-central" ] || die "no $bin/ordercam-central (build first)"
pid=
if [ "${REUSE:-0}" = 1 ]; then
    work=$bin/review-bench
    mkdir -p "$work"
    trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
else
    work=$(mktemp -d)
    trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fi
jq -n --arg db "$work/c.sqlite" '{listen: "127.0.0.1:0", insecure_http: true, db: $db,
  tz_offset_min: 480, retention: {evidence_days: 0, records_days: 0},
  tokens: [{token: "viewer-token-0123456789abcdef", role: "viewer"}]}' >"$work/central.json"
reused=0
if [ "${REUSE:-0}" = 1 ] && [ -s "$work/c.sqlite" ] &&
    [ "$(timeout 600 sqlite3 "$work/c.sqlite" 'SELECT COUNT(*) FROM violations')" = "$n" ]; then
    reused=1
    timeout 600 sqlite3 "$work/c.sqlite" 'DELETE FROM reports'
    echo "bench-review: reusing the store of $n violations in $work"
else
    rm -f "$work/c.sqlite" "$work/c.sqlite-wal" "$work/c.sqlite-shm"
fi
step="user add"
[ "$reused" = 1 ] || echo 'bench password 1' | timeout 120 "$bin/ordercam-central" user add rev --role reviewer \
    -c "$work/central.json" --password-stdin >/dev/null
# 2026-11-01 00:00 +08:00, 30 days; ten types of the code table
t0=1793462400000
ty="(CASE (k / 200) % 10 WHEN 0 THEN 'red_light' WHEN 1 THEN 'stop_line_crossing' WHEN 2 THEN 'illegal_parking'
 WHEN 3 THEN 'wrong_way' WHEN 4 THEN 'no_helmet' WHEN 5 THEN 'jaywalking' WHEN 6 THEN 'street_vending'
 WHEN 7 THEN 'nonmotor_red_light' WHEN 8 THEN 'pedestrian_red_light' ELSE 'tactile_paving_occupied' END)"
step="fill $n violations"
if [ "$reused" = 0 ]; then
echo "bench-review: filling $n violations..."
start=$(date +%s)
# The review counts' triggers wait while review_tz is unset: central
# counts them in one pass when it opens the store (as after an upgrade).
timeout 7200 sqlite3 -bail "$work/c.sqlite" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;
UPDATE review_tz SET tz_offset_min=NULL; UPDATE plate_cfg SET types=NULL;
BEGIN;
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k+1 FROM i WHERE k < $n - 1)
INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, record, received)
SELECT 'edge-' || (k % 20) || ':cam-' || (k % 200) || ':' || (k + 1), 'edge-' || (k % 20),
       'cam-' || (k % 200), $ty, $t0 + (k * 2591999999 / $n), 'road-' || (k % 50),
       'unit-' || (k % 10), NULL,
       '{"id":"edge-' || (k % 20) || ':cam-' || (k % 200) || ':' || (k + 1) || '","box":"edge-'
         || (k % 20) || '","type":"t' || (k % 10) || '","camera":"cam-' || (k % 200)
         || '","plate":"P' || (k % 100000) || '"}', 0
FROM i;
INSERT INTO cameras(box, camera, location, road, unit)
SELECT DISTINCT box, camera, 'x', road, unit FROM violations;
INSERT INTO tallies_day(bucket, box, camera, type, count, road, unit)
SELECT ((ts + 28800000) / 86400000) * 86400000 - 28800000, box, camera, type, COUNT(*), road, unit
FROM violations GROUP BY 1, 2, 3, 4;
INSERT INTO tallies_day_road(bucket, road, unit, type, count)
SELECT bucket, road, unit, type, SUM(count) FROM tallies_day GROUP BY 1, 2, 3, 4;
INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)
SELECT ((ts + 28800000) / 86400000) * 86400000 - 28800000, ((ts + 28800000) / 3600000) % 24, type,
       COUNT(*) FROM violations GROUP BY 1, 2, 3;
COMMIT;
ANALYZE;
SQL
got=$(timeout 600 sqlite3 "$work/c.sqlite" 'SELECT COUNT(*) FROM violations')
[ "$got" = "$n" ] || die "the store holds $got violations, not $n"
echo "bench-review: filled in $(($(date +%s) - start)) s ($(du -sh "$work/c.sqlite" | cut -f1))"
fi
step="central start (counts the review states)"
start=$(date +%s)
rm -f "$work/port" "$work/jar"
"$bin/ordercam-central" -c "$work/central.json" --port-file "$work/port" 2>"$work/log" &
pid=$!
wait_for 3600 test -s "$work/port" || { cat "$work/log" >&2; die "central did not start"; }
echo "bench-review: central open in $(($(date +%s) - start)) s"
url="http://127.0.0.1:$(cat "$work/port")"
step="sign in"
code=$(curl -sS --max-time 60 -c "$work/jar" -o /dev/null -w '%{http_code}' -H "Origin: $url" \
    "$url/login" -d 'user=rev&password=bench+password+1')
[ "$code" = 303 ] || die "sign-in answered $code"
# one call: its time in s; any status but 200 stops the run
call() { # method path [body]
    local out
    if [ "$1" = POST ]; then
        out=$(curl -sS --max-time 300 -o "$work/body" -w '%{http_code} %{time_total}' -b "$work/jar" \
            -H "Origin: $url" "$url$2" -d "$3")
    else
        out=$(curl -sS --max-time 300 -o "$work/body" -w '%{http_code} %{time_total}' -b "$work/jar" "$url$2")
    fi
    [ "${out%% *}" = 200 ] || die "$1 $2 answered ${out%% *}: $(head -c 300 "$work/body")"
    echo "${out#* }"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) exit 1; printf "%.1f", a[int((NR+1)/2)] * 1000}'; }
timed() { for _ in $(seq 20); do call "$@"; done | median; }
from=$t0
to=$((t0 + 30 * 86400000))
step="review next"
next_ms=$(timed GET "/api/v1/review/next")
step="decisions"
# decisions: a new violation each time (next, then confirm it)
dec=$(for _ in $(seq 20); do
    call GET "/api/v1/review/next" >/dev/null
    id=$(jq -r '.violation.id // empty' "$work/body")
    [ -n "$id" ] || die "no pending violation to decide"
    call POST "/api/v1/review/decision" "{\"id\":\"$id\",\"decision\":\"confirm\"}"
done | median)
# a past period's report is made once and then served frozen: the first
# call of each is the one that computes it
step="reports"
rep_road=$(call GET "/api/v1/report?period=month&date=2026-11-15&by=road" | median)
rep_unit=$(call GET "/api/v1/report?period=month&date=2026-11-15&by=unit" | median)
rep_frozen=$(timed GET "/api/v1/report?period=month&date=2026-11-15&by=road")
step="counts"
counts=$(timed GET "/api/v1/counts?from=$from&to=$to&group=road,type")
confirmed=$(timed GET "/api/v1/counts?from=$from&to=$to&group=road&status=confirmed")
ratio() { awk -v a="$1" -v b="$counts" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}'; }
echo "bench-review: $n violations, median of 20 at the API (ms; x = times the counts query):"
for row in "GET /api/v1/review/next|$next_ms" "POST /api/v1/review/decision|$dec" \
    "GET /api/v1/report (month, by road; made)|$rep_road" \
    "GET /api/v1/report (month, by unit; made)|$rep_unit" \
    "GET /api/v1/report (month, by road; frozen)|$rep_frozen" \
    "GET /api/v1/counts (month, road x status)|$confirmed" \
    "GET /api/v1/counts (month, road x type)|$counts"; do
    printf '  %-44s %9s  %6sx\n' "${row%|*}" "${row#*|}" "$(ratio "${row#*|}")"
done
echo "bench-review: $(uptime)"
