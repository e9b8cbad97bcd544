#!/bin/bash
# The integrator's whole path on a real systemd (issue 11, "Proof on a real systemd"): boots this
# machine's own Debian twice under systemd-nspawn --boot (systemd 252 as PID 1, its real D-Bus and
# polkit, no double) on one overlay of / whose upper dir persists between the boots — the second boot
# is a reboot of the same machine. integrator_checks.sh runs inside: boot 1 installs the .deb, applies
# a config.toml with an Edge CA from files, verifies a module server cert from workload.sock with
# openssl s_client against the trust bundle, `edgectl check`, PKCS#11 on SoftHSM2 with the documented
# group setup, an on_change_units consumer reloaded on an Edge CA change, planted faults that `check`
# finds and whose hints fix them; boot 2 checks that identities, certs and keys survived, installs the
# same .deb again (upgrade) and purges it. Skipped, loudly, without root, nspawn, overlayfs or cgroups.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
container_preflight
have_identityd || skip "edgesec-identityd is not built: the integrator's path needs it"
# The container runs this machine's own /: what the checks inside use must be here.
require_tool dbus-daemon softhsm2-util openssl curl setpriv usermod
[ -x /usr/lib/polkit-1/polkitd ] || skip "polkitd is not installed (scripts/deps.sh installs it): the on_change_units hook needs it"
[ -e /usr/lib/softhsm/libsofthsm2.so ] || skip "SoftHSM2's module is not installed (scripts/deps.sh installs softhsm2)"

# EDGESEC_KEEP_MACHINE=1 keeps the machine (overlay upper dir) and the logs for a look afterwards.
[ -n "${EDGESEC_KEEP_MACHINE:-}" ] && trap 'echo "kept $TMP (machine/upper, share/out.log, share/journal-*.log)" >&2' EXIT
SHARE=$TMP/share
mkdir -p "$SHARE"
DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
cp "$DEB" "$SHARE/edgesec.deb"
cp "$(dirname "$0")/integrator_checks.sh" "$SHARE/checks.sh"
# Switches of integrator_checks.sh (changes landing elsewhere), e.g. HOOK_RULE_FROM_APPLY=yes.
env | grep -E '^(HOOK_RULE_FROM_APPLY|FAULT_[A-Z_]+)=' >"$SHARE/switches"

for phase in 1 2; do
  echo "$phase" >"$SHARE/phase"
  start=$(date +%s)
  boot_container "$SHARE" "$TMP/machine" checks.sh 150 || true
  echo "boot $phase ($(date -u -d "@$start" +%T) UTC) took $(($(date +%s) - start)) s"
  grep -qx "DONE $phase" "$SHARE/results" 2>/dev/null && continue
  fail "boot $phase did not finish its checks; systemd-nspawn said:"
  tail -30 "$SHARE/boot.log" >&2
  break
done

[ -f "$SHARE/results" ] && cat "$SHARE/results"
FAILED=$((FAILED + $(cat "$SHARE/results" 2>/dev/null | grep -c '^FAIL')))
grep '^FAIL' "$SHARE/results" 2>/dev/null | while read -r line; do echo "$line" >&2; done
grep '^TODO' "$SHARE/results" 2>/dev/null | while read -r line; do echo "$line" >&2; done
if [ "$FAILED" -ne 0 ]; then
  echo "--- container log:" >&2
  cat "$SHARE/out.log" >&2
  for j in "$SHARE"/journal-*.log; do [ -f "$j" ] && { echo "--- $j:" >&2; tail -60 "$j" >&2; }; done
fi

finish
