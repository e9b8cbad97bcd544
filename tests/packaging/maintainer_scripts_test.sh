#!/bin/bash
# The package's maintainer scripts, run as dpkg runs them but against a DPKG_ROOT (the package
# unpacked into a temp dir, which systemd-sysusers, systemd-tmpfiles and deb-systemd-helper all
# honour): postinst configure creates the users edgeks/edgecs/edgeid and their group memberships,
# the /etc/edgesec directories with the right owners and modes, and enables every socket and service;
# a second configure (upgrade) changes nothing; prerm/postrm remove mask the units; postrm purge
# unmasks them, forgets the enablement and deletes /etc/edgesec and /var/lib/edgesec, keeping the
# users. Nothing outside the temp dir is touched.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool dpkg-deb dpkg-shlibdeps meson python3 systemd-sysusers systemd-tmpfiles deb-systemd-helper
[ "$(id -u)" -eq 0 ] || skip "systemd-sysusers and systemd-tmpfiles need root to write a DPKG_ROOT"
[ "$(build_option prefix)" = /usr ] ||
  skip "the build's prefix is '$(build_option prefix)', not /usr: no Debian package to check"

DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
ROOT=$TMP/root
dpkg-deb -x "$DEB" "$ROOT" && dpkg-deb -e "$DEB" "$TMP/control" || { echo "FAIL: cannot unpack '$DEB'" >&2; exit 1; }
mkdir -p "$ROOT/etc" "$ROOT/var/lib"
# What base-passwd gives every Debian system before any package's postinst runs.
echo 'root:x:0:0:root:/root:/bin/bash' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"

# run SCRIPT ARGS...: the maintainer script as dpkg runs it, with DPKG_ROOT; it must exit 0.
run() {
  local script=$1
  shift
  if ! out=$(cd / && DPKG_ROOT=$ROOT DPKG_MAINTSCRIPT_NAME=$script DPKG_MAINTSCRIPT_PACKAGE=edgesec \
               sh -e "$TMP/control/$script" "$@" 2>&1); then
    fail "$script $* failed: $out"
  elif [ -n "$out" ]; then
    echo "$script $*: $out"
  fi
}
entry() { grep "^$2:" "$ROOT/etc/$1"; }
# dir_is PATH MODE OWNER GROUP
dir_is() {
  local path=$ROOT$1
  [ -d "$path" ] || { fail "'$1' was not created"; return; }
  local mode uid gid
  read -r mode uid gid <<<"$(stat -c '%a %u %g' "$path")"
  [ "$mode" = "$2" ] || fail "'$1' has mode $mode, expected $2"
  local want_uid want_gid
  want_uid=$(entry passwd "$3" | cut -d: -f3)
  want_gid=$(entry group "$4" | cut -d: -f3)
  [ "$uid" = "$want_uid" ] || fail "'$1' is owned by uid $uid, expected $3 ($want_uid)"
  [ "$gid" = "$want_gid" ] || fail "'$1' has gid $gid, expected $4 ($want_gid)"
}
members() { entry group "$1" | cut -d: -f4 | tr ',' '\n' | sort | tr '\n' ' ' | sed 's/ $//'; }
wants_link() {
  local target=$1 unit=$2
  [ "$(readlink "$ROOT/etc/systemd/system/$target.wants/$unit")" = "/lib/systemd/system/$unit" ]
}
check_installed() {
  local when=$1 user
  for user in edgeks edgecs edgeid; do
    local line
    line=$(entry passwd $user) || { fail "$when: no user $user"; continue; }
    [ "$(echo "$line" | cut -d: -f7)" = /usr/sbin/nologin ] || fail "$when: $user has shell '$(echo "$line" | cut -d: -f7)'"
    [ "$(echo "$line" | cut -d: -f3)" -lt 1000 ] || fail "$when: $user is not a system user: $line"
    [ "$(entry passwd $user | wc -l)" -eq 1 ] || fail "$when: $user is in passwd more than once"
  done
  [ "$(members edgeks)" = "edgecs edgeid" ] || fail "$when: group edgeks has members '$(members edgeks)', expected certd's and identityd's users"
  [ "$(members edgecs)" = edgeid ] || fail "$when: group edgecs has members '$(members edgecs)', expected edgeid"
  [[ " $(members tss) " == *" edgeks "* ]] || fail "$when: edgeks is not in the group tss ('$(members tss)')"
  dir_is /etc/edgesec 755 root root
  for pair in keyd:edgeks certd:edgecs identityd:edgeid; do
    dir_is "/etc/edgesec/${pair%%:*}" 750 root "${pair#*:}"
    dir_is "/etc/edgesec/${pair%%:*}/config.d" 750 root "${pair#*:}"
  done
  dir_is /var/lib/edgesec 755 root root
  for unit in $(expected_units); do
    case $unit in
      edgesec-trust.service) ;;  # static: identityd starts it after an Edge CA rollover
      *.socket) wants_link sockets.target "$unit" || fail "$when: $unit is not enabled (sockets.target.wants)" ;;
      *.service) wants_link multi-user.target "$unit" || fail "$when: $unit is not enabled (multi-user.target.wants)" ;;
    esac
  done
}

run postinst configure
check_installed "after installation"
cp "$ROOT/etc/passwd" "$TMP/passwd.1"
cp "$ROOT/etc/group" "$TMP/group.1"
# An upgrade runs configure with the old version: nothing new, nothing duplicated, the admin's choice
# (a disabled unit) kept.
rm "$ROOT/etc/systemd/system/multi-user.target.wants/edgesec-keyd.service"
DPKG_ROOT=$ROOT deb-systemd-helper update-state edgesec-keyd.service >/dev/null 2>&1
run postinst configure 0.0.9
cmp -s "$ROOT/etc/passwd" "$TMP/passwd.1" || fail "the upgrade changed /etc/passwd: $(diff "$TMP/passwd.1" "$ROOT/etc/passwd")"
cmp -s "$ROOT/etc/group" "$TMP/group.1" || fail "the upgrade changed /etc/group: $(diff "$TMP/group.1" "$ROOT/etc/group")"
[ -e "$ROOT/etc/systemd/system/multi-user.target.wants/edgesec-keyd.service" ] &&
  fail "the upgrade enabled edgesec-keyd.service again, which the admin had disabled"
ln -s /lib/systemd/system/edgesec-keyd.service "$ROOT/etc/systemd/system/multi-user.target.wants/edgesec-keyd.service"

# Some state, as the services would leave it.
mkdir -p "$ROOT/var/lib/edgesec/keyd" && echo 1 >"$ROOT/var/lib/edgesec/keyd/FORMAT"
mkdir -p "$ROOT/var/log/edgesec" && echo '{}' >"$ROOT/var/log/edgesec/audit.jsonl"
echo 'x = 1' >"$ROOT/etc/edgesec/keyd/config.d/00-super.toml"

run prerm remove
run postrm remove
for unit in $(expected_units); do
  [ "$(readlink "$ROOT/etc/systemd/system/$unit")" = /dev/null ] || fail "postrm remove did not mask $unit"
done
[ -f "$ROOT/var/lib/edgesec/keyd/FORMAT" ] || fail "postrm remove deleted the state (only purge may)"
[ -f "$ROOT/var/log/edgesec/audit.jsonl" ] || fail "postrm remove deleted the audit log (only purge may)"
[ -f "$ROOT/etc/edgesec/keyd/config.d/00-super.toml" ] || fail "postrm remove deleted the config (only purge may)"

# What `edgectl config apply` writes outside /etc/edgesec when keys are on SoftHSM2; an admin's own
# drop-in beside it stays.
mkdir -p "$ROOT/etc/systemd/system/edgesec-keyd.service.d" "$ROOT/etc/systemd/system/edgesec-certd.service.d"
echo '[Service]' >"$ROOT/etc/systemd/system/edgesec-keyd.service.d/50-edgesec-pkcs11.conf"
echo '[Service]' >"$ROOT/etc/systemd/system/edgesec-certd.service.d/override.conf"
mkdir -p "$ROOT/etc/polkit-1/rules.d"
echo '// on_change_units' >"$ROOT/etc/polkit-1/rules.d/50-edgesec-hooks.rules"
echo '// an admin rule' >"$ROOT/etc/polkit-1/rules.d/60-admin.rules"
run postrm purge
[ -e "$ROOT/etc/systemd/system/edgesec-keyd.service.d" ] && fail "postrm purge left config apply's keyd drop-in"
[ -e "$ROOT/etc/polkit-1/rules.d/50-edgesec-hooks.rules" ] && fail "postrm purge left config apply's polkit rule"
[ -e "$ROOT/etc/polkit-1/rules.d/60-admin.rules" ] || fail "postrm purge deleted an admin's polkit rule"
[ -e "$ROOT/etc/systemd/system/edgesec-certd.service.d/override.conf" ] || fail "postrm purge deleted an admin's drop-in"
rm -rf "$ROOT/etc/systemd/system/edgesec-certd.service.d"
for unit in $(expected_units); do
  [ -L "$ROOT/etc/systemd/system/$unit" ] && fail "postrm purge left $unit masked"
  find "$ROOT/etc/systemd/system" -name "$unit" | grep -q . && fail "postrm purge left a link to $unit"
done
[ -e "$ROOT/var/lib/edgesec" ] && fail "postrm purge left /var/lib/edgesec"
[ -e "$ROOT/var/log/edgesec" ] && fail "postrm purge left the audit log /var/log/edgesec"
[ -e "$ROOT/etc/edgesec" ] && fail "postrm purge left /etc/edgesec"
entry passwd edgeks >/dev/null || fail "postrm purge removed the user edgeks (users stay, as on Debian)"

# Reinstalling after a purge enables everything again.
run postinst configure
check_installed "after a purge and a new installation"

finish
