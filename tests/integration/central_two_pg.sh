#!/bin/bash
# Two ordercam-central processes on one PostgreSQL, each on its own port
# (docs/central.md, "Several centrals on one PostgreSQL"): box b1 uploads to
# the first only, b2 to the second only, b3 to both alternately and at the
# same time — each batch of records to one and again (duplicates) to the
# other, each tally twice with revisions racing. At the end both centrals
# answer the same counts, exactly the boxes' own, and PostgreSQL holds each
# record once.
# usage: central_two_pg.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
. "$src/tests/support/broker.sh" # free_port
. "$src/tests/support/wait.sh"
. "$src/tests/support/tls.sh"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "central_two_pg: PostgreSQL server not installed (scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir "$tmp/data" "$tmp/sock"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/data" "$tmp/sock"
port=$(free_port)
pids=()
stop() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap stop EXIT
fail() { echo "central_two_pg: FAIL: $*" >&2; tail -20 "$tmp"/c*.log >&2 || true; exit 1; }
as_pg "$pgbin/initdb" -D "$tmp/data" --auth=trust -U postgres >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log"; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/sock/pg.log" -w \
    -o "-p $port -k $tmp/sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$tmp/sock/pg.log"; exit 1; }
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres ordercam
db="postgresql://postgres@127.0.0.1:$port/ordercam"
psql() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d ordercam -tAc "$1"; }

cd "$tmp"
tls_self_signed key.pem cert.pem || fail "cannot make the test certificate"
VIEWER=viewer-token-0123456789abcdef
tok() { echo "box-token-$1-0123456789abcdef"; }
cports=()
for k in 1 2; do
    p=$(free_port)
    cat >"c$k.json" <<JSON
{"listen": "127.0.0.1:$p", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"},
 "db": "$db", "evidence_dir": "$tmp/evidence", "limits": {"threads": 4},
 "tokens": [{"token": "$(tok b1)", "box": "b1"}, {"token": "$(tok b2)", "box": "b2"},
            {"token": "$(tok b3)", "box": "b3"}, {"token": "$VIEWER", "role": "viewer"}]}
JSON
    "$bin/ordercam-central" -c "c$k.json" >>"c$k.log" 2>&1 &
    pids+=($!)
    cports+=("$p")
    # the first one migrates; the second starts once the schema is there
    wait_for 60 port_open "$p" || fail "central $k did not start"
done

now=$(($(date +%s) * 1000))
bucket=$((now / 60000 * 60000 - 3600000))
# a batch of N records of box B, camera cam-1, seq from S
batch() { # B S N
    local b=$1 s=$2 n=$3 i out=""
    for ((i = s; i < s + n; i++)); do
        out+="${out:+,}{\"id\":\"$b:cam-1:$i\",\"box\":\"$b\",\"camera\":\"cam-1\",\"type\":\"red_light\","
        out+="\"code\":\"1625\",\"ts\":$((now - 1000000 + i)),\"ts_start\":$((now - 1000000 + i)),"
        out+="\"track\":\"t-$i\",\"class\":\"car\",\"plate\":null,\"conf\":0.9,\"zone\":null,\"line\":null,"
        out+="\"signal\":null,\"signal_state\":null,\"red_elapsed_ms\":null,\"location\":\"x\","
        out+="\"road\":\"R\",\"unit\":\"U\",\"evidence\":null}"
    done
    echo "{\"box\":\"$b\",\"violations\":[$out]}"
}
tally() { # B COUNT REV
    echo "{\"box\":\"$1\",\"tallies\":[{\"camera\":\"cam-1\",\"type\":\"red_light\",\"bucket\":$bucket,\"count\":$2,\"rev\":$3}]}"
}
post() { # CENTRAL(1|2) BOX PATH BODY-FILE -> the answer on stdout
    curl -sS --max-time 60 --cacert cert.pem -H "Authorization: Bearer $(tok "$2")" \
        -H 'Content-Type: application/json' --data-binary @"$4" \
        "https://localhost:${cports[$1 - 1]}/api/v1/$3"
}

rounds=12
per=50
for ((r = 0; r < rounds; r++)); do
    s=$((r * per + 1))
    for b in b1 b2 b3; do batch "$b" "$s" "$per" >"v-$b-$r.json"; done
    tally b1 "$((r + 1))" "$((r + 1))" >t-b1.json
    tally b2 "$((2 * r + 2))" "$((r + 1))" >t-b2.json
    tally b3 "$((3 * r + 3))" "$((r + 1))" >t-b3-new.json
    tally b3 "$((3 * r))" "$r" >t-b3-old.json # the previous revision, late
    a=$((r % 2 + 1)) o=$((2 - r % 2))         # b3's central this round, and the other
    js=()
    post 1 b1 violations "v-b1-$r.json" >ans-b1-$r & js+=($!)
    post 2 b2 violations "v-b2-$r.json" >ans-b2-$r & js+=($!)
    post "$a" b3 violations "v-b3-$r.json" >ans-b3-$r & js+=($!)
    post "$o" b3 violations "v-b3-$r.json" >dup-b3-$r & js+=($!) # the same batch, at once, to the other
    post 1 b1 tallies t-b1.json >/dev/null & js+=($!)
    post 2 b2 tallies t-b2.json >/dev/null & js+=($!)
    post "$a" b3 tallies t-b3-new.json >/dev/null & js+=($!)
    post "$o" b3 tallies t-b3-old.json >/dev/null & js+=($!)
    for j in "${js[@]}"; do wait "$j" || fail "round $r: an upload failed"; done # curl --max-time
    for f in ans-b1-$r ans-b2-$r; do
        [ "$(jq -r .inserted "$f")" = "$per" ] || fail "round $r: $f: $(cat "$f")"
    done
    # b3's batch went to both at once: stored once between them
    i3=$(($(jq -r .inserted "ans-b3-$r") + $(jq -r .inserted "dup-b3-$r")))
    d3=$(($(jq -r .duplicates "ans-b3-$r") + $(jq -r .duplicates "dup-b3-$r")))
    [ "$i3" = "$per" ] && [ "$d3" = "$per" ] || fail "round $r: b3 inserted $i3 duplicates $d3"
done

# every record once in PostgreSQL, every count exactly the box's last
want=$((3 * rounds * per))
n=$(psql "SELECT COUNT(*) || ' ' || COUNT(DISTINCT id) FROM violations")
[ "$n" = "$want $want" ] || fail "PostgreSQL holds '$n' records, want $want distinct"
expect="b1 $rounds
b2 $((2 * rounds))
b3 $((3 * rounds))"
for k in 1 2; do
    got=$(curl -sS --max-time 60 --cacert cert.pem -H "Authorization: Bearer $VIEWER" \
        "https://localhost:${cports[$k - 1]}/api/v1/counts?group=box" |
        jq -r '.rows[] | "\(.box) \(.count)"' | sort)
    [ "$got" = "$expect" ] || fail "central $k counts: $got (want $expect)"
    # the coarser grains agree with the finest
    day=$(curl -sS --max-time 60 --cacert cert.pem -H "Authorization: Bearer $VIEWER" \
        "https://localhost:${cports[$k - 1]}/api/v1/counts?group=road" | jq -r '.rows[0].count')
    [ "$day" = "$((6 * rounds))" ] || fail "central $k road count $day (want $((6 * rounds)))"
    pages=$(curl -sS --max-time 60 --cacert cert.pem -H "Authorization: Bearer $VIEWER" \
        "https://localhost:${cports[$k - 1]}/api/v1/counts?group=box&status=pending" |
        jq -r '[.rows[].count] | add')
    [ "$pages" = "$want" ] || fail "central $k pending records $pages (want $want)"
done
echo "central_two_pg: ok (2 centrals, $want records once, counts exact on both)"
