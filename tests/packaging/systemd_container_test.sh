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
require_tool dpkg-deb dpkg-shlibdeps meson python3 systemd-nspawn unshare systemd-id128
# The container runs this machine's own /: what the checks inside need must be here, or they would
# pass with parts unchecked.
require_tool swtpm tpm2-abrmd dbus-daemon
[ -x /usr/lib/polkit-1/polkitd ] ||
  skip "polkitd is not installed (scripts/deps.sh installs it): the hook and trust checks need it"
[ "$(id -u)" -eq 0 ] || skip "booting a container needs root"
[ "$(build_option prefix)" = /usr ] ||
  skip "the build's prefix is '$(build_option prefix)', not /usr: no Debian package to install"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs in this kernel"
unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here (unshare -m): no container can boot"
[ -d /sys/fs/cgroup ] && [ -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] || skip "no cgroup file system: systemd cannot boot in a container here"

SHARE=$TMP/share
mkdir -p "$SHARE"
DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
cp "$DEB" "$SHARE/edgesec.deb"
cp "$(dirname "$0")/container_checks.sh" "$SHARE/checks.sh"
echo "$DAEMONS" >"$SHARE/daemons"

# In a private mount namespace: the overlay vanishes with it, whatever happens.
unshare -m --propagation private bash -s "$TMP" <<'BOOT'
set -eu
TMP=$1
mkdir -p "$TMP/lower" "$TMP/upper" "$TMP/work" "$TMP/merged"
mount --bind / "$TMP/lower"
mount -t overlay overlay -o "lowerdir=$TMP/lower,upperdir=$TMP/upper,workdir=$TMP/work" "$TMP/merged"
M=$TMP/merged
# Its own machine id, no Docker-style policy-rc.d (postinst must start the sockets), and one unit.
systemd-id128 new >"$M/etc/machine-id"
rm -f "$M/usr/sbin/policy-rc.d"
cat >"$M/etc/systemd/system/package-checks.service" <<'UNIT'
[Unit]
Description=edgesec package checks under systemd
[Service]
Type=oneshot
ExecStart=/bin/bash /e2e/checks.sh
ExecStopPost=/bin/systemctl --no-block poweroff
UNIT
# systemd.unit=: boot only what the checks need (sysinit, basic), not the host's services.
# Where systemd runs the host, nspawn gets its own delegated scope from it; elsewhere (CI containers,
# VMs whose PID 1 is not systemd) it stays in this process's cgroup, unregistered.
REGISTER=(--register=no --keep-unit)
[ -d /run/systemd/system ] && REGISTER=()
timeout 150 systemd-nspawn --quiet --directory="$M" "${REGISTER[@]}" --link-journal=no \
  --bind="$TMP/share:/e2e" --console=pipe --boot -- systemd.unit=package-checks.service \
  >"$TMP/share/boot.log" 2>&1 </dev/null || echo "systemd-nspawn exited with $?" >>"$TMP/share/boot.log"
BOOT

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
