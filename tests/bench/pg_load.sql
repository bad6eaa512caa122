-- Fills a PostgreSQL store (schema made by ordercam-central) directly, the
-- way bench_central's "load" fills a SQLite one: :n violations over 30 days
-- from 2025-11-01 00:00 UTC, 500 cameras on 50 roads and 10 units, 10 types,
-- and the matching tallies at every grain (the day grains in UTC+8).
-- Indexes are built once at the end. usage: psql -v n=10000000 -f pg_load.sql
\set ON_ERROR_STOP on
\timing on
SELECT ordercam_violations_month(1761955200000 + k * 86400000::bigint * 15)
  FROM generate_series(0, 2) k;
DROP INDEX violations_id, violations_ts, violations_camera_ts, violations_type_ts,
  violations_status_ts;
ALTER TABLE violation_ids DROP CONSTRAINT violation_ids_pkey;
DROP INDEX violation_ids_ts;
INSERT INTO cameras(box, camera, location, road, unit)
  SELECT 'box-' || lpad((c / 10)::text, 3, '0'), 'cam-' || lpad(c::text, 3, '0'),
         'Road ' || lpad((c % 50)::text, 2, '0'), 'Road ' || lpad((c % 50)::text, 2, '0'),
         'Brigade ' || (c % 10)
  FROM generate_series(0, 499) c ON CONFLICT DO NOTHING;
INSERT INTO violations(id, box, camera, type, ts, road, unit, record, received)
  SELECT box || ':' || camera || ':' || i, box, camera, type, ts, road, unit,
         '{"id":"' || box || ':' || camera || ':' || i || '","box":"' || box || '","camera":"'
           || camera || '","type":"' || type || '","ts":' || ts || ',"ts_start":' || ts
           || ',"road":"' || road || '","unit":"' || unit || '","evidence":null}', 0
  FROM (SELECT i, 'box-' || lpad((c / 10)::text, 3, '0') AS box,
               'cam-' || lpad(c::text, 3, '0') AS camera,
               'Road ' || lpad((c % 50)::text, 2, '0') AS road, 'Brigade ' || (c % 10) AS unit,
               (ARRAY['red_light', 'illegal_parking', 'wrong_way', 'jaywalking', 'no_helmet',
                      'stop_line_crossing', 'nonmotor_red_light', 'pedestrian_red_light',
                      'tactile_paving_occupied', 'littering'])[1 + t] AS type, ts
        FROM (SELECT i, floor(random() * 500)::int AS c, floor(random() * 10)::int AS t,
                     1761955200000 + floor(random() * 30 * 86400000)::bigint AS ts
              FROM generate_series(1, :n) i) r) v;
INSERT INTO violation_ids(id, ts) SELECT id, ts FROM violations;
ALTER TABLE violation_ids ADD PRIMARY KEY (id);
CREATE INDEX violation_ids_ts ON violation_ids(ts);
CREATE INDEX violations_id ON violations(id);
CREATE INDEX violations_ts ON violations(ts, id);
CREATE INDEX violations_camera_ts ON violations(camera, ts);
CREATE INDEX violations_type_ts ON violations(type, ts);
CREATE INDEX violations_status_ts ON violations(status, ts, id);
INSERT INTO tallies(bucket, box, camera, type, count, road, unit)
  SELECT ts / 60000 * 60000, box, camera, type, count(*), road, unit FROM violations
  GROUP BY 1, 2, 3, 4, 6, 7;
INSERT INTO tallies_hour(bucket, box, camera, type, count, road, unit)
  SELECT ts / 3600000 * 3600000, box, camera, type, count(*), road, unit FROM violations
  GROUP BY 1, 2, 3, 4, 6, 7;
INSERT INTO tallies_day(bucket, box, camera, type, count, road, unit)
  SELECT (ts + 28800000) / 86400000 * 86400000 - 28800000, box, camera, type, count(*), road,
         unit FROM violations GROUP BY 1, 2, 3, 4, 6, 7;
INSERT INTO tallies_day_road(bucket, road, unit, type, count)
  SELECT bucket, road, unit, type, sum(count) FROM tallies_day GROUP BY 1, 2, 3, 4;
INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)
  SELECT (ts + 28800000) / 86400000 * 86400000 - 28800000, ((ts + 28800000) / 3600000) % 24,
         type, count(*) FROM violations GROUP BY 1, 2, 3;
VACUUM ANALYZE;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size,
       (SELECT count(*) FROM violations) AS violations;
