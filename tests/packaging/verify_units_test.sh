#!/bin/bash
# `systemd-analyze verify --root=<staging tree>` on every unit that `meson install` puts in place:
# zero errors and zero warnings. verify needs the binaries at their ExecStart= paths, so the staging
# tree is the real `meson install --destdir` of this build, and each ExecStart= must name a file in it.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool systemd-analyze meson python3

STAGE=$TMP/stage
stage "$STAGE"
# What the package's units reference that the package does not ship: systemd's own units (targets such
# as sockets.target) and /usr/bin/kill (ExecReload=). They come from this machine, as on the system the
# package is installed on; `cp -n` keeps the staged edgesec units even if edgesec is installed here.
# MANPATH lets verify check Documentation=man:… against the staged man pages.
mkdir -p "$STAGE/lib/systemd/system" "$STAGE/usr/bin"
cp -an /lib/systemd/system/. "$STAGE/lib/systemd/system/"
[ -e "$STAGE/bin" ] || ln -s usr/bin "$STAGE/bin"
cp -n /usr/bin/kill "$STAGE/usr/bin/kill"
export MANPATH=$STAGE$PREFIX/share/man
echo "edgesec units in ${UNITDIR#"$STAGE"}: $(cd "$UNITDIR" && ls edgesec-* | tr '\n' ' ')"

for unit in $(expected_units); do
  [ -f "$UNITDIR/$unit" ] || fail "meson install did not install '$unit'"
done
for unit_file in "$UNITDIR"/edgesec-*; do
  unit=$(basename "$unit_file")
  case $unit in *.service) ;; *.socket) ;; *) fail "unexpected file '$unit' in the unit directory"; continue ;; esac
  if [ "${unit%.service}" != "$unit" ]; then
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit_file")
    exec_bin=${exec_start%% *}
    [ -x "$STAGE$exec_bin" ] || fail "$unit: ExecStart='$exec_start' is not an executable in the install tree"
    if [ "$unit" = edgesec-trust.service ]; then
      # The root oneshot identityd starts on an Edge CA rollover runs edgectl.
      [ "$exec_bin" = "$PREFIX/bin/edgectl" ] || fail "$unit: ExecStart='$exec_start' is not '$PREFIX/bin/edgectl …'"
    else
      [[ $exec_start == "$LIBEXECDIR"/* ]] || fail "$unit: ExecStart='$exec_start' is not in '$LIBEXECDIR'"
    fi
    grep -q '@[A-Z_]*@' "$unit_file" && fail "$unit: an unsubstituted @VARIABLE@ is left"
  fi
  # systemd-analyze prints every finding on stderr (and some on stdout); the exit code alone misses
  # warnings such as unknown keys, so any output is a failure.
  out=$(cd "$STAGE" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --root="$STAGE" "$unit_file" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    fail "systemd-analyze verify $unit (exit $rc):"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
  else
    echo "ok: systemd-analyze verify $unit"
  fi
done

finish
