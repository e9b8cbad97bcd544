#!/bin/sh
# The demo on the embedded defaults: keyd under a temp root (file keys), a P-256 key pair created over
# the socket, a signature made through keyd and verified by the openssl command.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh >/dev/null
EDGECTL=./build/edgectl
ROOT=$(mktemp -d /tmp/edgesec-demo.XXXXXX)
cleanup() { "$EDGECTL" down --root "$ROOT" >/dev/null 2>&1 || true; rm -rf "$ROOT"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
step "starting keyd under $ROOT (embedded defaults: file keys, no config)"
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

step "stopping keyd"
"$EDGECTL" down --root "$ROOT"
printf '\nDemo complete: keyd created a P-256 key, signed through its socket, OpenSSL verified the signature.\n'
