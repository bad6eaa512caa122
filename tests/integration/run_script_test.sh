#!/bin/bash
# The README's run command, end to end on a scratch directory: it must print
# central's tally table with the sample's total, and the daemon's records
# must be offline replay's. Run twice: a rerun gives the same.
# usage: run_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
want=$(wc -l <"$src/samples/expected/sample.violations.jsonl")
for run in 1 2; do
    OC_RUN_DIR=$dir OC_BUILD_DIR=$bin "$src/scripts/run.sh" --no-wait >"$dir/out.$run" 2>&1 ||
        { cat "$dir/out.$run"; exit 1; }
    grep -Eq "^total +$want\$" "$dir/out.$run" || { cat "$dir/out.$run"; echo "run $run: total is not $want"; exit 1; }
    grep -q "^dashboard: *https://localhost:" "$dir/out.$run" || { echo "no dashboard address"; exit 1; }
    cmp "$dir/run/spool/violations.jsonl" "$src/samples/expected/sample.violations.jsonl"
done
echo "run_script_test: ok"
