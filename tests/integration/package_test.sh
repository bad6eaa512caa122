#!/bin/sh
# Packaging: `cmake --install` puts binaries, example configs, systemd units
# and docs where a Debian admin expects them, and cpack makes one .deb for
# the edge box and one for central with those files, their dependencies and
# the postinst that creates the service user.
# usage: package_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "package_test: $*" >&2; exit 1; }

DESTDIR=$tmp/root cmake --install "$bin" --prefix /usr >/dev/null
for f in usr/bin/ordercamd usr/bin/ordercam-replay usr/bin/ordercam-gen usr/bin/ordercam-central \
         usr/lib/systemd/system/ordercamd.service usr/lib/systemd/system/ordercam-central.service \
         usr/share/doc/ordercam-edge/examples/edge.example.json \
         usr/share/doc/ordercam-central/examples/central.example.json \
         usr/share/doc/ordercam-edge/daemon.md usr/share/doc/ordercam-central/central.md; do
    [ -e "$tmp/root/$f" ] || fail "cmake --install: /$f missing"
done
grep -q "^ExecStart=/usr/bin/ordercamd " "$tmp/root/usr/lib/systemd/system/ordercamd.service" ||
    fail "the unit does not start the installed binary"
"$tmp/root/usr/bin/ordercamd" -c "$tmp/root/usr/share/doc/ordercam-edge/examples/edge.example.json" --check >/dev/null ||
    fail "the installed example config is refused"

(cd "$bin" && cpack -G DEB -B "$tmp/debs" >/dev/null) || fail "cpack failed"
edge=$(ls "$tmp"/debs/ordercam-edge_*.deb)
central=$(ls "$tmp"/debs/ordercam-central_*.deb)
dpkg-deb -c "$edge" | grep -q "./usr/bin/ordercamd$" || fail "edge .deb has no ordercamd"
dpkg-deb -c "$edge" | grep -q "./usr/lib/systemd/system/ordercamd.service$" || fail "edge .deb has no unit"
dpkg-deb -c "$edge" | grep -q "ordercam-central$" && fail "edge .deb carries central"
dpkg-deb -c "$central" | grep -q "./usr/bin/ordercam-central$" || fail "central .deb has no ordercam-central"
dpkg-deb -c "$central" | grep -q "./usr/lib/systemd/system/ordercam-central.service$" || fail "central .deb has no unit"
dpkg-deb -f "$edge" Depends | grep -q "fonts-wqy-zenhei" || fail "edge .deb does not depend on the caption font"
dpkg-deb -f "$edge" Depends | grep -q "libturbojpeg0" || fail "edge .deb: shared-library dependencies missing"
dpkg-deb -f "$central" Depends | grep -q "libmicrohttpd" || fail "central .deb: shared-library dependencies missing"
dpkg-deb -e "$edge" "$tmp/ctl"
grep -q "adduser --system" "$tmp/ctl/postinst" || fail "no postinst creating the service user"
echo "package_test: ok ($(basename "$edge"), $(basename "$central"))"
