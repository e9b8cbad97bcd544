#!/bin/bash
# The package under a real systemd 252: boots this machine's own Debian as a container
# (systemd-nspawn --boot on an overlay of /, so nothing on the host changes) with one unit, which
# runs container_checks.sh: dpkg -i, sockets started by postinst, each service socket-activated
# inside its sandbox as its own user (keys made and used, config reload by SIGHUP, the Edge CA made
# through certd and keyd, the workload socket open to every uid, a key in a TPM through tpm2-abrmd and
# swtpm), no sandbox refusal in the journal, then upgrade, remove and purge. The only test that runs the services inside their sandbox: CI has no
# systemd as PID 1. Skipped, loudly, without root, systemd-nspawn or overlayfs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
container_preflight
# The container runs this machine's own /: what the checks inside need must be here, or they would
# pass with parts unchecked.
require_tool swtpm tpm2-abrmd dbus-daemon
[ -x /usr/lib/polkit-1/polkitd ] ||
  skip "polkitd is not installed (scripts/deps.sh installs it): the hook and trust checks need it"

SHARE=$TMP/share
mkdir -p "$SHARE"
DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
cp "$DEB" "$SHARE/edgesec.deb"
cp "$(dirname "$0")/container_checks.sh" "$SHARE/checks.sh"
echo "$DAEMONS" >"$SHARE/daemons"

boot_container "$SHARE" "$TMP/machine" checks.sh 150 || true

if [ ! -f "$SHARE/results" ]; then
  echo "FAIL: the container produced no results; systemd-nspawn said:" >&2
  cat "$SHARE/boot.log" >&2
  exit 1
fi
cat "$SHARE/results"
grep '^FAIL' "$SHARE/results" | while read -r line; do echo "$line" >&2; done
FAILED=$(grep -c '^FAIL' "$SHARE/results")
grep -qx DONE "$SHARE/results" || { fail "the checks did not finish"; }
if [ "$FAILED" -ne 0 ] || ! grep -qx DONE "$SHARE/results"; then
  echo "--- container log:" >&2
  cat "$SHARE/out.log" >&2
fi

finish
