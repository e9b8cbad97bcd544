#!/bin/sh
# The demo on the embedded defaults: keyd under a temp root (file keys), a P-256 key pair created over
# the socket, a signature made through keyd and verified by the openssl command.
#   scripts/demo.sh [--engine file|pkcs11]
# --engine pkcs11 makes a SoftHSM2 token under the temp root (its own SOFTHSM2_CONF) and gives keyd a
# [pkcs11] section with default_engine = "pkcs11": the same steps, with the key on the token.
set -eu
ENGINE=file
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) ENGINE="${2:-}"; shift 2 ;;
    --engine=*) ENGINE="${1#--engine=}"; shift ;;
    *) echo "usage: $0 [--engine file|pkcs11]" >&2; exit 2 ;;
  esac
done
case "$ENGINE" in file|pkcs11) ;; *) echo "unknown engine '$ENGINE' (file or pkcs11)" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh >/dev/null
EDGECTL=./build/edgectl
ROOT=$(mktemp -d /tmp/edgesec-demo.XXXXXX)
cleanup() { "$EDGECTL" down --root "$ROOT" >/dev/null 2>&1 || true; rm -rf "$ROOT"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
if [ "$ENGINE" = pkcs11 ]; then
  step "making a SoftHSM2 token 'edgesec-demo' under $ROOT/softhsm"
  mkdir -p "$ROOT/softhsm/tokens" "$ROOT/etc/edgesec/keyd"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$ROOT/softhsm/tokens" > "$ROOT/softhsm/softhsm2.conf"
  SOFTHSM2_CONF="$ROOT/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF
  printf '%s' 'demo-pin-1234' > "$ROOT/softhsm/pin"
  chmod 600 "$ROOT/softhsm/pin"
  softhsm2-util --init-token --free --label edgesec-demo --pin demo-pin-1234 --so-pin demo-so-5678
  cat > "$ROOT/etc/edgesec/keyd/config.toml" <<EOF2
default_engine = "pkcs11"
[pkcs11]
lib_path = "/usr/lib/softhsm/libsofthsm2.so"
base_slot = "pkcs11:token=edgesec-demo?pin-source=file:$ROOT/softhsm/pin"
security_level = 0   # SoftHSM2 is a software token
EOF2
  step "starting keyd under $ROOT (keys on the SoftHSM2 token)"
else
  step "starting keyd under $ROOT (embedded defaults: file keys, no config)"
fi
"$EDGECTL" up --root "$ROOT"

step "creating key pair 'demo-key' (EC P-256) through $ROOT/run/edgesec/keyd.sock"
"$EDGECTL" --root "$ROOT" key create demo-key --alg ec-p256

step "its public key, as keyd reports it"
"$EDGECTL" --root "$ROOT" key show demo-key --json |
  python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["publicKey"])' > "$ROOT/demo-key.pub.pem"
cat "$ROOT/demo-key.pub.pem"

step "signing the SHA-256 digest of a message through keyd (the private key never leaves keyd)"
printf 'Is this really EdgeGateway?\n' > "$ROOT/message.txt"
"$EDGECTL" --root "$ROOT" key sign demo-key --data-file "$ROOT/message.txt" --out "$ROOT/message.sig"

step "verifying the signature with the openssl command"
openssl dgst -sha256 -verify "$ROOT/demo-key.pub.pem" -signature "$ROOT/message.sig" "$ROOT/message.txt"

if [ "$ENGINE" = pkcs11 ]; then
  step "the key on the token, as opensc's pkcs11-tool sees it"
  pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --login --pin demo-pin-1234 --list-objects --type privkey
fi

step "stopping keyd"
"$EDGECTL" down --root "$ROOT"
printf '\nDemo complete (%s engine): keyd created a P-256 key, signed through its socket, OpenSSL verified the signature.\n' "$ENGINE"
