#!/bin/bash
# The review queue and the reports at scale (issue 17, "Speed"): fills a
# SQLite store with N violations (default 10,000,000) over 30 days, 200
# cameras on 50 roads of 10 units, 10 types, and their tallies at every
# grain; then measures at the API (HTTP, loopback, a reviewer's session):
# the next pending violation, a decision, a monthly report per road and
# per unit, against the counts query of the dashboard in the same run.
# Medians of 20 calls each.
# usage: scripts/bench-review.sh [N] [BUILD_DIR]
set -euo pipefail
n=${1:-10000000}
bin=${2:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/support/wait.sh"
command -v sqlite3 >/dev/null || { echo "bench-review: needs sqlite3 (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cat >"$work/central.json" <<JSON
{"listen": "127.0.0.1:0", "insecure_http": true, "db": "$work/c.sqlite", "tz_offset_min": 480,
 "retention": {"evidence_days": 0, "records_days": 0},
 "tokens": [{"token": "viewer-token-0123456789abcdef", "role": "viewer"}]}
JSON
echo 'bench password 1' | "$bin/ordercam-central" user add rev --role reviewer -c "$work/central.json" \
    --password-stdin >/dev/null
# 2026-11-01 00:00 +08:00, 30 days; ten types of the code table
t0=1793462400000
ty="(CASE k % 10 WHEN 0 THEN 'red_light' WHEN 1 THEN 'stop_line_crossing' WHEN 2 THEN 'illegal_parking'
 WHEN 3 THEN 'wrong_way' WHEN 4 THEN 'no_helmet' WHEN 5 THEN 'jaywalking' WHEN 6 THEN 'street_vending'
 WHEN 7 THEN 'nonmotor_red_light' WHEN 8 THEN 'pedestrian_red_light' ELSE 'tactile_paving_occupied' END)"
echo "bench-review: filling $n violations..."
start=$(date +%s)
sqlite3 "$work/c.sqlite" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k+1 FROM i WHERE k < $n - 1)
INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, record, received)
SELECT 'edge-' || (k % 20) || ':cam-' || (k % 200) || ':' || (k + 1), 'edge-' || (k % 20),
       'cam-' || (k % 200), $ty, $t0 + (k * 2591999999 / $n), 'road-' || (k % 50),
       'unit-' || (k % 10), NULL,
       '{"id":"edge-' || (k % 20) || ':cam-' || (k % 200) || ':' || (k + 1) || '","type":"t' || (k % 10)
         || '","camera":"cam-' || (k % 200) || '","plate":"P' || (k % 100000) || '"}', 0
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
echo "bench-review: filled in $(( $(date +%s) - start )) s ($(du -sh "$work/c.sqlite" | cut -f1))"
"$bin/ordercam-central" -c "$work/central.json" --port-file "$work/port" 2>"$work/log" &
pid=$!
wait_for 60 test -s "$work/port"
url="http://127.0.0.1:$(cat "$work/port")"
curl -s -c "$work/jar" -o /dev/null -H "Origin: $url" "$url/login" -d 'user=rev&password=bench+password+1'
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}'; }
timed() { # method path [body]: 20 calls, the median in ms
    for _ in $(seq 20); do
        if [ "$1" = POST ]; then
            curl -s -o /dev/null -w '%{time_total}\n' -b "$work/jar" -H "Origin: $url" "$url$2" -d "$3"
        else
            curl -s -o /dev/null -w '%{time_total}\n' -b "$work/jar" "$url$2"
        fi
    done | median
}
from=$t0
to=$((t0 + 30 * 86400000))
next_ms=$(timed GET "/api/v1/review/next")
# decisions: a new violation each time (next, then confirm it)
dec=$(for _ in $(seq 20); do
    id=$(curl -s -b "$work/jar" "$url/api/v1/review/next" | jq -r .violation.id)
    curl -s -o /dev/null -w '%{time_total}\n' -b "$work/jar" -H "Origin: $url" "$url/api/v1/review/decision" \
        -d "{\"id\":\"$id\",\"decision\":\"confirm\"}"
done | median)
# a past period's report is made once and then served frozen: the first
# call of each is the one that computes it
once() { curl -s -o /dev/null -w '%{time_total}\n' -b "$work/jar" "$url$1" | median; }
rep_road=$(once "/api/v1/report?period=month&date=2026-11-15&by=road")
rep_unit=$(once "/api/v1/report?period=month&date=2026-11-15&by=unit")
rep_frozen=$(timed GET "/api/v1/report?period=month&date=2026-11-15&by=road")
counts=$(timed GET "/api/v1/counts?from=$from&to=$to&group=road,type")
echo "bench-review: $n violations, median of 20 at the API (ms):"
printf '  %-42s %8s\n' "GET /api/v1/review/next" "$next_ms" "POST /api/v1/review/decision" "$dec" \
    "GET /api/v1/report (month, by road; made)" "$rep_road" "GET /api/v1/report (month, by unit; made)" "$rep_unit" \
    "GET /api/v1/report (month, by road; frozen)" "$rep_frozen" \
    "GET /api/v1/counts (month, road x type)" "$counts"
