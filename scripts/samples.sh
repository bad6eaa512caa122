#!/bin/sh
# Regenerates the committed sample log and its expected outputs after a
# deliberate change to the generator or the engine. Review the diff of
# samples/expected/ before committing: it is the behaviour change.
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build}
"$bin/ordercam-gen" sample --out samples/sample.jsonl --manifest samples/sample.manifest.jsonl
gzip -n -9 -f samples/sample.jsonl
"$bin/ordercam-replay" --config samples/scene.json --log samples/sample.jsonl.gz \
    --out samples/expected/sample.violations.jsonl --tallies samples/expected/sample.tallies.jsonl \
    2>samples/expected/sample.summary.txt
