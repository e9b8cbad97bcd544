#!/bin/bash
# Every installed binary answers --help (exit 0, a usage line on stdout) and --version; every man
# page that `meson install` puts in place renders with groff and man without a single warning; each
# daemon's page documents every option its --help lists. edgectl's page is compared with its --help
# too, but a command or option missing from edgectl(1) is only a loud warning, because cli/ grows
# commands faster than the page (fix: document it in docs/man/edgectl.1).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool groff man meson python3

STAGE=$TMP/stage
stage "$STAGE"
MANDIR=$STAGE$PREFIX/share/man

# Run the installed copies: they must work from the install tree, not only from the build tree.
BINARIES="$STAGE$PREFIX/bin/edgectl"
for daemon in $DAEMONS; do BINARIES="$BINARIES $STAGE$LIBEXECDIR/edgesec-$daemon"; done
for bin in $BINARIES; do
  name=$(basename "$bin")
  [ -x "$bin" ] || { fail "'$bin' is not installed"; continue; }
  help=$("$bin" --help 2>"$TMP/help.err")
  rc=$?
  [ $rc -eq 0 ] || fail "$name --help exits $rc: $(cat "$TMP/help.err")"
  [[ $help == "Usage: $name "* ]] || fail "$name --help does not start with 'Usage: $name': '${help%%$'\n'*}'"
  printf '%s\n' "$help" >"$TMP/$name.help"
  if [ "$name" != edgectl ]; then
    version=$("$bin" --version 2>&1)
    [ "$version" = "$name $(project_version)" ] || fail "$name --version prints '$version'"
  fi
  echo "ok: $name --help"
done

# render PAGE: groff with all warnings, then man as lintian runs it; any diagnostic is a failure.
render() {
  local page=$1 out
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$out" ] || fail "groff warns about $(basename "$page"): $out"
  out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
  [ -z "$out" ] || fail "man --warnings warns about $(basename "$page"): $out"
  LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$page" 2>/dev/null | col -b >"$TMP/$(basename "$page").txt"
  [ -s "$TMP/$(basename "$page").txt" ] || fail "man -l renders nothing for $(basename "$page")"
}
PAGES="$MANDIR/man1/edgectl.1"
for daemon in $DAEMONS; do PAGES="$PAGES $MANDIR/man8/edgesec-$daemon.8"; done
for page in $PAGES; do
  [ -f "$page" ] || { fail "man page '${page#"$STAGE"}' is not installed"; continue; }
  render "$page"
  echo "ok: ${page#"$STAGE"} renders"
done
# Every file a page names under /usr/share/doc/edgesec is installed.
for page in $PAGES; do
  [ -f "$page" ] || continue
  for doc in $(grep -oE '/usr/share/doc/edgesec/[A-Za-z0-9._/-]*[A-Za-z0-9_]' "$page" | sort -u); do
    [ -e "$STAGE$doc" ] || fail "$(basename "$page") names '$doc', which meson install does not install"
  done
done
for page in "$MANDIR"/man*/*; do
  [[ " $PAGES " == *" $page "* ]] || fail "unexpected man page '${page#"$STAGE"}'"
done

# options HELPFILE: the long options a --help lists.
options() { grep -oE '(^|[[:space:]])--[a-z][a-z0-9-]*' "$1" | tr -d ' \t' | sort -u; }
for daemon in $DAEMONS; do
  text=$TMP/edgesec-$daemon.8.txt
  [ -f "$text" ] || continue
  for opt in $(options "$TMP/edgesec-$daemon.help"); do
    grep -qF -- "$opt" "$text" || fail "edgesec-$daemon(8) does not document $opt (listed by --help)"
  done
done
if [ -f "$TMP/edgectl.1.txt" ]; then
  # The commands: the first one or two words of each line under "Commands:".
  commands=$(sed -n '/^Commands:/,/^$/p' "$TMP/edgectl.help" | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}.*/\1\2/p')
  while read -r command; do
    [ -n "$command" ] || continue
    grep -qF -- "$command" "$TMP/edgectl.1.txt" ||
      echo "WARNING: edgectl(1) does not document 'edgectl $command' (add it to docs/man/edgectl.1)" >&2
    "$STAGE$PREFIX/bin/edgectl" $command --help >"$TMP/cmd.help" 2>/dev/null ||
      { fail "edgectl $command --help fails"; continue; }
    for opt in $(sed '/^Global options/,$d' "$TMP/cmd.help" | options /dev/stdin); do
      grep -qF -- "$opt" "$TMP/edgectl.1.txt" ||
        echo "WARNING: edgectl(1) does not document '$opt' of 'edgectl $command' (add it to docs/man/edgectl.1)" >&2
    done
  done <<<"$commands"
  for opt in $(sed -n '/^Global options/,/^$/p' "$TMP/edgectl.help" | options /dev/stdin); do
    grep -qF -- "$opt" "$TMP/edgectl.1.txt" || fail "edgectl(1) does not document the global option $opt"
  done
fi

finish
