-- Fills a PostgreSQL store (schema made by ordercam-central) directly, the
-- way bench_central's "load" fills a SQLite one: :n violations over 30 days
-- from 2025-11-01 00:00 UTC, 500 cameras on 50 roads and 10 units, 10 types,
-- the matching tallies at every grain (the day grains in the city's time,
-- review_tz; +8 h when unset) and the review status counts.
-- Made to be fast at 100 M: one transaction in which the month's partition,
-- violation_ids and the tallies are made or emptied (under wal_level=minimal,
-- as bench-central.sh starts its server, their rows skip the WAL); the
-- violations drawn once into a narrow scratch table that every aggregate
-- reads (not the wide records); the indexes dropped and built after (as
-- pg_indexes had them); the violations' row triggers off (the status counts
-- are summed here, and the records carry no plate for the plate trigger).
-- usage: psql -v n=10000000 -f pg_load.sql
\set ON_ERROR_STOP on
\timing on
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
SET session_replication_role = replica;
SELECT COALESCE(tz_offset_min, 480) * 60000 AS z, tz_offset_min IS NOT NULL AS tz_set
  FROM review_tz \gset
BEGIN;
CREATE TEMP TABLE load_idx ON COMMIT DROP AS
  SELECT indexname, indexdef FROM pg_indexes
  WHERE schemaname = 'public' AND tablename IN ('violations', 'violation_ids')
    AND indexname <> 'violation_ids_pkey';
SELECT format('DROP INDEX %I', indexname) FROM load_idx \gexec
ALTER TABLE violation_ids DROP CONSTRAINT violation_ids_pkey;
TRUNCATE violations, violation_ids, tallies, tallies_hour, tallies_day, tallies_day_road, tallies_day_hod,
  review_counts;
SELECT ordercam_violations_month(1761955200000 + k * 86400000::bigint * 15)
  FROM generate_series(0, 2) k;
INSERT INTO cameras(box, camera, location, road, unit)
  SELECT 'box-' || lpad((c / 10)::text, 3, '0'), 'cam-' || lpad(c::text, 3, '0'),
         'Road ' || lpad((c % 50)::text, 2, '0'), 'Road ' || lpad((c % 50)::text, 2, '0'),
         'Brigade ' || (c % 10)
  FROM generate_series(0, 499) c ON CONFLICT DO NOTHING;
CREATE UNLOGGED TABLE load_gen AS
  SELECT i, floor(random() * 500)::int AS c, floor(random() * 10)::int AS t,
         1761955200000 + floor(random() * 30 * 86400000)::bigint AS ts
  FROM generate_series(1, :n) i;
CREATE TEMP TABLE load_cam ON COMMIT DROP AS
  SELECT c, 'box-' || lpad((c / 10)::text, 3, '0') AS box, 'cam-' || lpad(c::text, 3, '0') AS camera,
         'Road ' || lpad((c % 50)::text, 2, '0') AS road, 'Brigade ' || (c % 10) AS unit
  FROM generate_series(0, 499) c;
CREATE TEMP TABLE load_type ON COMMIT DROP AS
  SELECT t - 1 AS t, type FROM unnest(ARRAY['red_light', 'illegal_parking', 'wrong_way',
    'jaywalking', 'no_helmet', 'stop_line_crossing', 'nonmotor_red_light',
    'pedestrian_red_light', 'tactile_paving_occupied', 'littering']) WITH ORDINALITY AS x(type, t);
INSERT INTO violations(id, box, camera, type, ts, road, unit, record, received)
  SELECT box || ':' || camera || ':' || i, box, camera, type, ts, road, unit,
         '{"id":"' || box || ':' || camera || ':' || i || '","box":"' || box || '","camera":"'
           || camera || '","type":"' || type || '","ts":' || ts || ',"ts_start":' || ts
           || ',"road":"' || road || '","unit":"' || unit || '","evidence":null}', 0
  FROM load_gen g JOIN load_cam USING (c) JOIN load_type USING (t);
INSERT INTO violation_ids(id, ts)
  SELECT box || ':' || camera || ':' || i, ts FROM load_gen JOIN load_cam USING (c);
INSERT INTO tallies(bucket, box, camera, type, count, road, unit)
  SELECT m, box, camera, type, n, road, unit
  FROM (SELECT ts / 60000 * 60000 AS m, c, t, count(*) AS n FROM load_gen GROUP BY 1, 2, 3) a
  JOIN load_cam USING (c) JOIN load_type USING (t);
INSERT INTO tallies_hour(bucket, box, camera, type, count, road, unit)
  SELECT h, box, camera, type, n, road, unit
  FROM (SELECT ts / 3600000 * 3600000 AS h, c, t, count(*) AS n FROM load_gen GROUP BY 1, 2, 3) a
  JOIN load_cam USING (c) JOIN load_type USING (t);
INSERT INTO tallies_day(bucket, box, camera, type, count, road, unit)
  SELECT d, box, camera, type, n, road, unit
  FROM (SELECT (ts + :z) / 86400000 * 86400000 - :z AS d, c, t, count(*) AS n FROM load_gen
        GROUP BY 1, 2, 3) a
  JOIN load_cam USING (c) JOIN load_type USING (t);
INSERT INTO tallies_day_road(bucket, road, unit, type, count)
  SELECT bucket, road, unit, type, sum(count) FROM tallies_day GROUP BY 1, 2, 3, 4;
INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)
  SELECT d, hod, type, n
  FROM (SELECT (ts + :z) / 86400000 * 86400000 - :z AS d, ((ts + :z) / 3600000) % 24 AS hod, t,
               count(*) AS n FROM load_gen GROUP BY 1, 2, 3) a JOIN load_type USING (t);
\if :tz_set
INSERT INTO review_counts(bucket, box, camera, type, road, unit, status, reason, count)
  SELECT bucket, box, camera, type, COALESCE(road, ''), COALESCE(unit, ''), 'pending', '', count
  FROM tallies_day;
\endif
SELECT count(*) AS loaded FROM load_gen \gset
DROP TABLE load_gen;
ALTER TABLE violation_ids ADD PRIMARY KEY (id);
SELECT replace(indexdef, ' ON ONLY ', ' ON ') FROM load_idx \gexec
COMMIT;
VACUUM ANALYZE;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size,
       :loaded AS violations;
