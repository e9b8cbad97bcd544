# Shared by the packaging tests (sourced, bash): the build under test, a staging tree from
# `meson install --destdir`, and the loud skips of DESIGN.md's test conventions (77 = skip).

: "${EDGESEC_BUILD_ROOT:?run this test through meson test (EDGESEC_BUILD_ROOT is not set)}"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test (EDGESEC_SOURCE_ROOT is not set)}"

skip() { echo "SKIP: $*" >&2; exit 77; }
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
require_tool() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/deps.sh installs it)"
  done
}
# The daemons this build has: identityd only once daemon/ is part of the build.
DAEMONS="keyd certd"
if [ -n "${EDGESEC_IDENTITYD:-}" ] && [ -x "$EDGESEC_IDENTITYD" ]; then
  DAEMONS="keyd certd identityd"
fi
have_identityd() { [[ " $DAEMONS " == *" identityd "* ]]; }

# Exits: 1 when a check failed; else 77 when identityd could not be checked (it is not built yet), so
# that the missing daemon shows as a skip and not as a pass; else 0.
finish() {
  if [ "$FAILED" -ne 0 ]; then
    echo "$FAILED check(s) failed" >&2
    exit 1
  fi
  if ! have_identityd; then
    echo "SKIP: keyd and certd passed, but edgesec-identityd is not built, so its units and page were not checked" >&2
    exit 77
  fi
  echo "all checks passed"
  exit 0
}

build_option() {
  meson introspect "$EDGESEC_BUILD_ROOT" --buildoptions |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
project_version() {
  meson introspect "$EDGESEC_BUILD_ROOT" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'
}

# stage DIR: `meson install --destdir DIR` of the build under test (never rebuilds). Sets PREFIX,
# LIBEXECDIR (absolute, as in ExecStart=) and UNITDIR (inside DIR).
stage() {
  local dir=$1
  meson install -C "$EDGESEC_BUILD_ROOT" --no-rebuild --quiet --destdir "$dir" >"$dir.install.log" 2>&1 || {
    cat "$dir.install.log" >&2
    echo "FAIL: meson install --destdir '$dir' failed" >&2
    exit 1
  }
  rm -f "$dir.install.log"
  PREFIX=$(build_option prefix)
  LIBEXECDIR=$PREFIX/$(build_option libexecdir)/edgesec
  UNITDIR=""
  local d
  for d in "$PREFIX/lib/systemd/system" /lib/systemd/system /usr/lib/systemd/system; do
    [ -d "$dir$d" ] && { UNITDIR=$dir$d; break; }
  done
  [ -n "$UNITDIR" ] || { echo "FAIL: meson install put no systemd units into '$dir'" >&2; exit 1; }
}

# The units that must be there for the daemons of this build.
expected_units() {
  local daemon
  for daemon in $DAEMONS; do
    echo "edgesec-$daemon.service"
    echo "edgesec-$daemon.socket"
  done
  have_identityd && echo edgesec-workload.socket
  # Static (no [Install]): identityd starts it after an Edge CA rollover.
  have_identityd && echo edgesec-trust.service
  return 0
}

TMP=$(mktemp -d /tmp/es-pkg-XXXXXX)
chmod 0755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# --- booting this machine's own Debian under systemd (the container tests) -----------------------------
# container_preflight: skips, loudly, where no container with systemd as PID 1 can boot here.
container_preflight() {
  require_tool dpkg-deb dpkg-shlibdeps meson python3 systemd-nspawn unshare systemd-id128
  [ "$(id -u)" -eq 0 ] || skip "booting a container needs root"
  [ "$(build_option prefix)" = /usr ] ||
    skip "the build's prefix is '$(build_option prefix)', not /usr: no Debian package to install"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs in this kernel"
  unshare -m --propagation private true 2>/dev/null ||
    skip "cannot make a mount namespace here (unshare -m): no container can boot"
  [ -d /sys/fs/cgroup ] && [ -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] ||
    skip "no cgroup file system: systemd cannot boot in a container here"
}

# boot_container SHARE STATE SCRIPT [SECONDS]: boots this machine's own / with systemd-nspawn --boot
# (systemd as PID 1) on an overlay whose upper dir is STATE/upper, so nothing on the host changes and a
# second call with the same STATE boots the same machine again (a reboot: what the first boot wrote is
# there, /run is not). The overlay is mounted in a private mount namespace and vanishes with it. SHARE
# is bound at /e2e; the boot runs one unit, `bash /e2e/SCRIPT`, then powers off (systemd.unit=: only
# sysinit and sockets, not the host's services). nspawn's output is appended to SHARE/boot.log; the
# boot is cut after SECONDS (default 150). Returns nspawn's status.
boot_container() {
  unshare -m --propagation private bash -s "$@" <<'BOOT'
set -eu
SHARE=$1 STATE=$2 SCRIPT=$3 LIMIT=${4:-150}
mkdir -p "$STATE/lower" "$STATE/upper" "$STATE/work" "$STATE/merged"
mount --bind / "$STATE/lower"
mount -t overlay overlay -o "lowerdir=$STATE/lower,upperdir=$STATE/upper,workdir=$STATE/work" "$STATE/merged"
M=$STATE/merged
# Its own machine id (kept across its boots), no Docker-style policy-rc.d (postinst must start the
# sockets), and one unit.
[ -e "$STATE/upper/etc/machine-id" ] || systemd-id128 new >"$M/etc/machine-id"
rm -f "$M/usr/sbin/policy-rc.d"
cat >"$M/etc/systemd/system/package-checks.service" <<UNIT
[Unit]
Description=edgesec package checks under systemd
# What a boot starts before the services: the sockets enabled for boot (systemd.unit= below pulls in
# only sysinit.target).
Wants=sockets.target
After=sockets.target
[Service]
Type=oneshot
ExecStart=/bin/bash /e2e/$SCRIPT
ExecStopPost=/bin/systemctl --no-block poweroff
UNIT
# --foreground: nspawn stays in this process group, so that meson's kill of a timed-out test ends the
# container too.
# Where systemd runs the host, nspawn gets its own delegated scope from it; elsewhere (CI containers,
# VMs whose PID 1 is not systemd) it stays in this process's cgroup, unregistered.
REGISTER=(--register=no --keep-unit)
[ -d /run/systemd/system ] && REGISTER=()
rc=0
timeout --foreground "$LIMIT" systemd-nspawn --quiet --directory="$M" "${REGISTER[@]}" --link-journal=no \
  --bind="$SHARE:/e2e" --console=pipe --boot -- systemd.unit=package-checks.service \
  >>"$SHARE/boot.log" 2>&1 </dev/null || rc=$?
[ "$rc" -eq 0 ] || echo "systemd-nspawn exited with $rc" >>"$SHARE/boot.log"
exit "$rc"
BOOT
}
