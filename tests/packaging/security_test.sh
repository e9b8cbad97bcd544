#!/bin/bash
# `systemd-analyze security --offline=yes` on each service as `meson install` puts it in place: every
# one is rated "OK" or better (systemd 252's scale: exposure < 5.0 is OK, < 1.0 SAFE, 0 PERFECT; 5.0 and
# up is MEDIUM, EXPOSED, UNSAFE, DANGEROUS). Prints each exposure, and the checks that still count
# against it, so that a change that weakens a sandbox shows in the log.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool systemd-analyze meson python3

STAGE=$TMP/stage
stage "$STAGE"

for daemon in $DAEMONS; do
  unit=edgesec-$daemon.service
  [ -f "$UNITDIR/$unit" ] || { fail "'$unit' is not installed"; continue; }
  out=$(cd "$STAGE" && SYSTEMD_LOG_COLOR=0 SYSTEMD_COLORS=0 systemd-analyze security --offline=yes \
        --root="$STAGE" --no-pager "$UNITDIR/$unit" 2>&1)
  rc=$?
  verdict=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
  if [ -z "$verdict" ]; then
    fail "$unit: no exposure level in the output of systemd-analyze security (exit $rc):"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    continue
  fi
  exposure=${verdict% *}
  rating=${verdict#* }
  echo "$unit: exposure $exposure $rating"
  # The findings that still cost something (✗ lines), for the record.
  printf '%s\n' "$out" | grep '✗' | sed 's/^/    /'
  case $rating in
    OK|SAFE|PERFECT) ;;
    *) fail "$unit is rated $rating (exposure $exposure); it must be OK or better (< 5.0)" ;;
  esac
done

finish
