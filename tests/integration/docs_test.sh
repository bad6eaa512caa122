#!/bin/bash
# The docs keep up with the code:
#  1. every docs/ document named by the docs, the README, the code, the
#     tests and the scripts exists in the repo (as docs/<name>.md, a bare
#     <name>.md, or a relative link);
#  2. every metric ordercamd exports, every engine counter (drop reasons,
#     engine events) and every counter of the daemon's own is listed in
#     docs/daemon.md.
# usage: docs_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
bad=0
missing() { echo "docs_test: $*" >&2; bad=1; }

# 1. references: a docs/ path anywhere, and relative links inside docs/ and the README
while IFS=: read -r file ref; do
    [ -e "$ref" ] || missing "$file names $ref, which does not exist"
done < <(grep -rIoE "docs/[A-Za-z0-9_.-]+\.md" README.md docs src include tests scripts config samples 2>/dev/null |
    grep -v "/node_modules/" | sort -u)
# a document named without its folder ("see events.md") is one of docs/
# (or a README)
while IFS=: read -r file ref; do
    [ -e "docs/$ref" ] || [ "$ref" = README.md ] || missing "$file names $ref, which is not in docs/"
done < <(grep -rIoE "(^|[^/A-Za-z0-9_.-])[A-Za-z0-9_-]+\.md\b" README.md docs src include tests scripts 2>/dev/null |
    sed -E 's/:[^A-Za-z0-9_-]?/:/' | sort -u)
for md in README.md docs/*.md samples/README.md; do
    dir=$(dirname "$md")
    while read -r link; do
        target=${link%%#*}
        [ -z "$target" ] && continue
        case $target in http*|mailto:*) continue ;; esac
        [ -e "$dir/$target" ] || missing "$md links to $link, which does not exist"
    done < <(grep -oE "\]\([^)]+\)" "$md" | sed -E 's/^\]\((.*)\)$/\1/' | sed -E 's/ .*//')
done

# 2. metrics and counters
for m in $(grep -rhoE '"ordercam_[a-z_]+' src/edge | tr -d '"' | sort -u); do
    grep -q "\b$m\b" docs/daemon.md || missing "metric $m is not in docs/daemon.md"
done
for c in $(grep -oE 'X\([A-Z0-9_]+, *"[a-z0-9_]+"' include/ordercam/oc_counters.h | cut -d'"' -f2); do
    c2=${c#drop_}; c2=${c2#msg_}; grep -q "\b$c2\b" docs/daemon.md || missing "counter $c is not in docs/daemon.md"
done
# the daemon's own counters (ordercam_engine_events_total{event=...})
for c in $(grep -hoE '\[OC_D_[A-Z0-9_]+\] = "[a-z0-9_]+"' src/edge/*.c | cut -d'"' -f2); do
    grep -q "\b$c\b" docs/daemon.md || missing "daemon counter $c is not in docs/daemon.md"
done
[ "$bad" = 0 ] && echo "docs_test: ok"
exit "$bad"
