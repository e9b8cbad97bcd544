#!/bin/sh
# The demo on the embedded defaults: keyd, certd and identityd under a temp root (file keys,
# quickstart Edge CA); a module server cert for 'edgehub' (CN edgegateway.local) from the workload
# API; openssl s_server serves it and openssl s_client verifies the hostname against the trust
# bundle ("Is this really EdgeGateway?").
#   scripts/demo.sh [--engine file|pkcs11]
# --engine pkcs11 makes a SoftHSM2 token under the temp root (its own SOFTHSM2_CONF) and gives keyd a
# [pkcs11] section with default_engine = "pkcs11": the same steps, with the Edge CA key on the token.
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
  step "starting keyd, certd and identityd under $ROOT (keys on the SoftHSM2 token)"
else
  step "starting keyd, certd and identityd under $ROOT (embedded defaults: file keys, quickstart Edge CA, no config)"
fi
"$EDGECTL" up --root "$ROOT"

step "the Edge CA (quickstart: self-signed, issued by certd at start, key in keyd)"
"$EDGECTL" --root "$ROOT" ca show

step "a server cert for module 'edgehub', common name edgegateway.local, through the workload API"
"$EDGECTL" --root "$ROOT" module cert edgehub --common-name edgegateway.local --out "$ROOT/edgehub"
# The workload API answers leaf + chain; s_server wants them apart.
awk -v leaf="$ROOT/edgehub/leaf.pem" -v chain="$ROOT/edgehub/chain.pem" \
  '/BEGIN CERTIFICATE/{n++} {print > (n == 1 ? leaf : chain)}' "$ROOT/edgehub/edgehub.cert.pem"
openssl x509 -in "$ROOT/edgehub/leaf.pem" -noout -subject -issuer -enddate -ext subjectAltName,extendedKeyUsage

step "openssl s_server serving it; openssl s_client asks: is this really EdgeGateway?"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$PORT" -naccept 1 -quiet \
  -cert "$ROOT/edgehub/leaf.pem" -key "$ROOT/edgehub/edgehub.key.pem" -cert_chain "$ROOT/edgehub/chain.pem" \
  > "$ROOT/s_server.log" 2>&1 &
SERVER=$!
# No probe connection (s_server -naccept 1 would count it): retry while the port is not open yet.
for _ in $(seq 50); do
  echo 'Hello from the demo' | openssl s_client -connect "127.0.0.1:$PORT" -servername edgegateway.local \
    -verify_hostname edgegateway.local -CAfile "$ROOT/edgehub/trust-bundle.pem" -verify_return_error \
    > "$ROOT/s_client.log" 2>&1 && break
  grep -q "Connection refused" "$ROOT/s_client.log" || { cat "$ROOT/s_client.log"; echo "TLS verification FAILED" >&2; exit 1; }
  sleep 0.1
done
wait "$SERVER" 2>/dev/null || true
sed -n '/^Certificate chain/,/^---/p' "$ROOT/s_client.log"
grep -E '^(Verification|Verified peername|Verify return code)' "$ROOT/s_client.log"

if [ "$ENGINE" = pkcs11 ]; then
  step "the Edge CA's key on the token, as opensc's pkcs11-tool sees it"
  pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --login --pin demo-pin-1234 --list-objects --type privkey
fi

step "stopping the daemons"
"$EDGECTL" down --root "$ROOT"
printf '\nDemo complete (%s engine): the Edge CA issued a server cert for edgehub, and openssl s_client verified edgegateway.local against the trust bundle.\n' "$ENGINE"
