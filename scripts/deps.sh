#!/bin/sh
# Installs the Debian 12 packages edgesec builds and tests with (sudo when not root).
set -eu
PACKAGES="meson ninja-build pkg-config g++ libssl-dev libmicrohttpd-dev libcurl4-openssl-dev
  libtomlplusplus-dev libboost-dev catch2 nlohmann-json3-dev libsystemd-dev libyaml-cpp-dev
  openssl curl util-linux procps python3
  libtss2-dev libtss2-tcti-tabrmd0 swtpm swtpm-tools tpm2-tools tpm2-abrmd dbus
  libp11-kit-dev p11-kit softhsm2 opensc
  python3-cryptography strongswan-pki libstrongswan-standard-plugins libstrongswan-extra-plugins
  systemd systemd-container polkitd dpkg-dev lintian groff-base man-db bsdextrautils python3-dbus python3-gi"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# promtool, unpacked from Debian's prometheus package without installing it (scripts/promtool.sh).
"$(dirname "$0")/promtool.sh" >/dev/null || echo "warning: promtool could not be unpacked; the metrics test will skip (fail under CI)" >&2
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
