#!/bin/sh
# Puts promtool (for `promtool check metrics` in the tests) in a cache directory and prints its path:
# Debian's `prometheus` package ships it, but installing that package would start a Prometheus
# server, so the .deb is downloaded (apt-get download) and only unpacked (dpkg-deb -x) there.
# Cache: $EDGESEC_PROMTOOL_CACHE, default ${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/edgesec/prometheus.
set -eu
cache=${EDGESEC_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/edgesec/prometheus}
tool=$cache/usr/bin/promtool
if [ -x "$tool" ]; then echo "$tool"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"  # apt's _apt user downloads into it
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  (cd "$tmp" && apt-get download -qq prometheus >/dev/null)
fi
mkdir -p "$cache"
dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
mkdir -p "$cache/usr/bin"
cp "$tmp/x/usr/bin/promtool" "$tool.tmp"
mv "$tool.tmp" "$tool"
echo "$tool"
