#!/bin/sh
# Draws the sample junction (cam-j1 of samples/scene.json) as
# docs/junction.png for docs/violations.md: scripts/junction_svg.py writes an
# SVG from the scene file, headless chromium renders it at the camera's size.
# usage: scripts/junction-drawing.sh [SCENE.json [CAMERA [OUT.png]]]
set -eu
cd "$(dirname "$0")/.."
scene=${1:-samples/scene.json}
cam=${2:-cam-j1}
out=${3:-docs/junction.png}
command -v chromium >/dev/null 2>&1 || scripts/setup.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/junction_svg.py "$scene" "$cam" >"$tmp/junction.svg"
size=$(python3 -c 'import json,re,sys
t=re.sub(r"/\*.*?\*/","",open(sys.argv[1]).read(),flags=re.S); t=re.sub(r"^\s*//[^\n]*","",t,flags=re.M)
c=[c for c in json.loads(t)["cameras"] if c["id"]==sys.argv[2]][0]; print("%d,%d"%(c["width"],c["height"]))' "$scene" "$cam")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$size" --screenshot="$tmp/junction.png" "file://$tmp/junction.svg" >/dev/null 2>&1
cp "$tmp/junction.png" "$out"
echo "wrote $out"
