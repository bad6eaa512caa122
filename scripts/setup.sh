#!/bin/sh
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: packages already present are not downloaded again.
set -eu
PKGS="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev gzip openssl curl bc python3
libcjson-dev libcmocka-dev zlib1g-dev libxml2-dev
libmosquitto-dev mosquitto mosquitto-clients
libcurl4-openssl-dev libturbojpeg0-dev libjpeg62-turbo-dev libfreetype-dev libsqlite3-dev
libmicrohttpd-dev libssl-dev sqlite3 jq libpq-dev postgresql libsodium-dev
chromium fonts-wqy-zenhei"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# the browser test drives chromium from Node.js; the machine's own Node is
# used when there is one, else Debian's
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -z "$missing" ]; then
    echo "setup: all packages present"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
