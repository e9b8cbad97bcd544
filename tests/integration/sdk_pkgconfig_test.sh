#!/bin/bash
# The client SDK as a third party uses it (issue 13): `meson install --destdir` of this build is the
# "installed SDK"; a program outside the tree (tests/integration/sdk_client.c, copied to a temp dir)
# builds with `pkg-config --cflags --libs edgesec` and no other flags — as C with cc, and as C++17
# with c++ -std=c++17 — pointed into the staging tree by PKG_CONFIG_SYSROOT_DIR/PKG_CONFIG_PATH
# only. Both builds then run (LD_LIBRARY_PATH into the staging tree) against a real keyd under a
# temp --root: they create an EC and an RSA key pair, sign a SHA-256 digest through
# edgesec_keys_sign, and sign a self-signed certificate and a CSR with the EVP_PKEY of
# edgesec_keys_load_evp_pkey. openssl verifies every signature, the certificate and the CSR (and
# rejects a tampered message). As uid 65534 (setpriv, root only), the same calls on root's key
# answer EDGESEC_CODE_UNAUTHORIZED.
set -uo pipefail

for tool in cc c++ pkg-config openssl meson curl cmp; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
: "${EDGESEC_KEYD:?run this test through meson test (EDGESEC_KEYD is not set)}"
: "${EDGESEC_BUILD_ROOT:?run this test through meson test}"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"

DIR=$(mktemp -d /tmp/es-XXXXXX)
chmod 0755 "$DIR"  # uid 65534 runs the program and reaches the socket below it
KEYD_PID=""
cleanup() {
  if [ -n "$KEYD_PID" ]; then kill "$KEYD_PID" 2>/dev/null; wait "$KEYD_PID" 2>/dev/null; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }

# --- the installed SDK ------------------------------------------------------------------------------
STAGE=$DIR/stage
meson install -C "$EDGESEC_BUILD_ROOT" --no-rebuild --quiet --destdir "$STAGE" >"$DIR/install.log" 2>&1 ||
  { cat "$DIR/install.log" >&2; echo "FAIL: meson install --destdir failed" >&2; exit 1; }
PC=$(find "$STAGE" -name edgesec.pc -path '*/pkgconfig/*')
[ "$(printf '%s\n' "$PC" | grep -c .)" = 1 ] || { echo "FAIL: the install tree has no single edgesec.pc: '$PC'" >&2; exit 1; }
LIBDIR=$(dirname "$(dirname "$PC")")
for f in edgesec.h common.h keys.h certs.h identity.h key_engine.h; do
  [ -n "$(find "$STAGE" -path "*/include/edgesec/$f")" ] || fail "the install tree has no include/edgesec/$f"
done
[ -L "$LIBDIR/libedgesec.so" ] || fail "no libedgesec.so symlink in $LIBDIR"

export PKG_CONFIG_SYSROOT_DIR=$STAGE PKG_CONFIG_PATH=$(dirname "$PC")
FLAGS=$(pkg-config --cflags --libs edgesec) || { echo "FAIL: pkg-config --cflags --libs edgesec failed" >&2; exit 1; }
echo "pkg-config --cflags --libs edgesec: $FLAGS"
[[ $FLAGS == *"$EDGESEC_SOURCE_ROOT"* || $FLAGS == *"$EDGESEC_BUILD_ROOT"* ]] &&
  fail "the flags name the source or build tree: $FLAGS"
[ "$(pkg-config --modversion edgesec)" = "$(meson introspect "$EDGESEC_BUILD_ROOT" --projectinfo |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" ] || fail "edgesec.pc has the wrong version"

# --- a program outside the tree ---------------------------------------------------------------------
PROG=$DIR/prog
mkdir -p "$PROG"
cp "$EDGESEC_SOURCE_ROOT/tests/integration/sdk_client.c" "$PROG/sdk_client.c"
cp "$EDGESEC_SOURCE_ROOT/tests/integration/sdk_client.c" "$PROG/sdk_client.cpp"
# shellcheck disable=SC2086 # FLAGS is a list of words
(cd "$PROG" && cc -o sdk_client_c sdk_client.c $FLAGS) || { echo "FAIL: the C program does not build with pkg-config alone" >&2; exit 1; }
# shellcheck disable=SC2086
(cd "$PROG" && c++ -std=c++17 -o sdk_client_cxx sdk_client.cpp $FLAGS) ||
  { echo "FAIL: the program does not build as C++17 with pkg-config alone" >&2; exit 1; }
# The headers are clean C99 and C++17 under -pedantic -Werror, and the client API's names do not clash
# with key_engine.h's (both included in one file).
printf '#include <edgesec/edgesec.h>\n#include <edgesec/key_engine.h>\nint main(void) { return edgesec_version() == 0; }\n' >"$PROG/headers.c"
cp "$PROG/headers.c" "$PROG/headers.cpp"
# shellcheck disable=SC2086
(cd "$PROG" && cc -std=c99 -pedantic -Wall -Wextra -Werror -c headers.c $FLAGS) || fail "the headers are not clean C99"
# shellcheck disable=SC2086
(cd "$PROG" && c++ -std=c++17 -pedantic -Wall -Wextra -Werror -c headers.cpp $FLAGS) || fail "the headers are not clean C++17"
export LD_LIBRARY_PATH=$LIBDIR
LDD=$(ldd "$PROG/sdk_client_c")
[[ $LDD == *"libedgesec.so.0 => $LIBDIR/libedgesec.so.0 "* ]] ||
  fail "sdk_client_c does not load the staged libedgesec.so.0: $(printf '%s\n' "$LDD" | grep edgesec)"

# --- a real keyd ------------------------------------------------------------------------------------
mkdir -p "$DIR/root/etc/edgesec/keyd"
cat >"$DIR/root/etc/edgesec/keyd/config.toml" <<'TOML'
socket_mode = "0666"

[[principal]]
uid = 65534
keys = ["allowed-*"]
TOML
"$EDGESEC_KEYD" --root "$DIR/root" >"$DIR/keyd.log" 2>&1 &
KEYD_PID=$!
export EDGESEC_KEYD_SOCKET=$DIR/root/run/edgesec/keyd.sock
for _ in $(seq 100); do
  curl -sf --unix-socket "$EDGESEC_KEYD_SOCKET" 'http://keyd.sock/version?api-version=2020-09-01' >/dev/null 2>&1 && break
  sleep 0.1
done

# check_outputs OUT: every signature, the certificate and the CSR verify with openssl.
check_outputs() {
  local out=$1 key
  for key in sdk-ec sdk-rsa; do
    openssl pkey -pubin -inform DER -in "$out/$key.pub.der" -out "$out/$key.pub.pem" 2>/dev/null ||
      { fail "$out: $key.pub.der is not a public key"; continue; }
    openssl dgst -sha256 -verify "$out/$key.pub.pem" -signature "$out/$key.sig" "$out/message" >/dev/null 2>&1 ||
      fail "$out: the $key signature of edgesec_keys_sign does not verify"
    printf 'tampered' >>"$out/message.bad"
    openssl dgst -sha256 -verify "$out/$key.pub.pem" -signature "$out/$key.sig" "$out/message.bad" >/dev/null 2>&1 &&
      fail "$out: the $key signature verifies a tampered message"
    openssl verify -x509_strict -CAfile "$out/$key.cert.pem" "$out/$key.cert.pem" >/dev/null 2>&1 ||
      fail "$out: openssl verify rejects the self-signed $key certificate: $(openssl verify -CAfile "$out/$key.cert.pem" "$out/$key.cert.pem" 2>&1)"
    openssl x509 -in "$out/$key.cert.pem" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null |
      cmp -s - "$out/$key.pub.der" || fail "$out: the $key certificate does not hold keyd's public key"
    openssl req -in "$out/$key.csr.pem" -noout -verify >/dev/null 2>&1 || fail "$out: the $key CSR does not verify"
  done
}

# run NAME: the program NAME signs into $DIR/out-NAME; its outputs verify.
run() {
  local name=$1 out=$DIR/out-$1
  mkdir -p "$out"
  printf 'a message signed by a key that never leaves keyd\n' >"$out/message"
  cp "$out/message" "$out/message.bad"
  "$PROG/$name" sign "$out" >"$out/stdout" 2>"$out/stderr" ||
    fail "$name sign failed: $(cat "$out/stderr")"
  cat "$out/stdout"
  check_outputs "$out"
}
run sdk_client_c
run sdk_client_cxx

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$PROG/sdk_client_c" denied sdk-ec ||
    fail "uid 65534 was not refused root's key with EDGESEC_CODE_UNAUTHORIZED"
else
  echo "NOTE: not root (or no setpriv): the unauthorized-caller check was NOT run" >&2
fi

if [ "$FAILED" -ne 0 ]; then
  echo "$FAILED check(s) failed; keyd log:" >&2
  cat "$DIR/keyd.log" >&2
  exit 1
fi
echo "all SDK checks passed"
