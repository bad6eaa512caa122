#!/bin/bash
# Style checks run by scripts/test.sh:
#  1. every C file under src/, include/ and tests/ is formatted as
#     .clang-format says (clang-format from Debian; prints the differences);
#  2. log calls name their level (OC_LOG_*), never a bare number
#     (logm(d, 3, ...), logf_(u, 3, ...), s->log(ud, 4, ...)).
# FIX=1 reformats the files in place instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "lint: clang-format is missing (scripts/setup.sh installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' 2>/dev/null ||
    find src include tests -name '*.[ch]')
bad=0
if [ "${FIX:-0}" = 1 ]; then
    clang-format -i "${files[@]}"
else
    for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "lint: $f is not formatted as .clang-format says:" >&2
            clang-format "$f" | diff -u "$f" - | head -20 >&2 || true
            bad=1
        fi
    done
fi
# the level is the second argument of every log call: log(...), logm(...),
# logf_(...), oc_dlog(...) and any other *_log / *log[mf]_ function
if grep -nE '(^|[^A-Za-z0-9_])([A-Za-z0-9_]*_)?d?log[mf]?_?\([^,()]+, *[0-9]+ *,' "${files[@]}" >&2; then
    echo "lint: a log call with a bare level number (use the OC_LOG_* names)" >&2
    bad=1
fi
[ "$bad" = 0 ] && echo "lint: ok (${#files[@]} files)"
exit "$bad"
