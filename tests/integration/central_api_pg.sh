#!/bin/bash
# The central API test suite again, against the PostgreSQL store: a real
# PostgreSQL server started here on a free loopback port (a scratch cluster,
# trust authentication on 127.0.0.1 only), stopped at the end. The store
# tests (REV_TEST_BINARY, the tally revision guard) run in a database of
# their own on the same server.
# The accounts, review and audit tests (PEOPLE_TEST_BINARY) run in a third,
# the report's kept aggregates (REPORT_TEST_BINARY) in a fourth.
# usage: central_api_pg.sh SOURCE_DIR BUILD_DIR TEST_BINARY [REV_TEST_BINARY [PEOPLE_TEST_BINARY
#        [REPORT_TEST_BINARY]]]
set -euo pipefail
src=$1
bin=$2
test_bin=$3
rev_bin=${4:-}
people_bin=${5:-}
report_bin=${6:-}
. "$src/tests/support/broker.sh" # free_port
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "central_api_pg: PostgreSQL server not installed (scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir "$tmp/data" "$tmp/sock"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/data" "$tmp/sock"
port=$(free_port)
stop() {
    as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap stop EXIT
as_pg "$pgbin/initdb" -D "$tmp/data" --auth=trust -U postgres >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log"; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/sock/pg.log" -w \
    -o "-p $port -k $tmp/sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$tmp/sock/pg.log"; exit 1; }
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres ordercam
OC_TEST_DB="postgresql://postgres@127.0.0.1:$port/ordercam" OC_BIN="$bin" "$test_bin"
if [ -n "$rev_bin" ]; then
    as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres ordercam_rev
    OC_TEST_DB="postgresql://postgres@127.0.0.1:$port/ordercam_rev" "$rev_bin"
fi
if [ -n "$report_bin" ]; then
    as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres ordercam_report
    OC_TEST_DB="postgresql://postgres@127.0.0.1:$port/ordercam_report" "$report_bin"
fi
if [ -n "$people_bin" ]; then
    as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres ordercam_people
    OC_TEST_DB="postgresql://postgres@127.0.0.1:$port/ordercam_people" OC_BIN="$bin" "$people_bin"
    a=$(as_pg "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d ordercam_people -tAc \
        "SELECT COUNT(*) FROM audit")
    [ "${a:-0}" -gt 0 ] || { echo "central_api_pg: no audit rows in PostgreSQL" >&2; exit 1; }
    # the audit log refuses to be changed, even by SQL
    if as_pg "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d ordercam_people -tAc \
        "DELETE FROM audit" >/dev/null 2>&1; then
        echo "central_api_pg: the audit log could be deleted" >&2; exit 1
    fi
fi
# and it was PostgreSQL that held the data
n=$(as_pg "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d ordercam -tAc \
    "SELECT (SELECT COUNT(*) FROM violations) || ' ' || (SELECT COUNT(*) FROM tallies_day_road)")
set -- $n
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] || { echo "central_api_pg: nothing stored in PostgreSQL ($n)" >&2; exit 1; }
echo "central_api_pg: ok ($1 violations, $2 road-grain rows in PostgreSQL)"
