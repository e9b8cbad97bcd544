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
