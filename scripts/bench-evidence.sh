#!/bin/sh
# Evidence image benchmark (docs/bench.md): one evidence image from three
# 1920x1080 key frames against libjpeg-turbo's own floor (3 full decodes +
# 1 encode of the output's size), measured in the same run, on one core.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target bench_evidence >/dev/null
build-bench/tests/bench/bench_evidence "${ITERATIONS:-60}"
