#!/bin/bash
# The SDK's certificates and identity APIs (tests/integration/sdk_services.c, linked against
# libedgesec) against keyd, certd and identityd started by `edgectl up --root` (tests/identityd/lib.sh):
# the device identity (certd's self_signed 'device-id'), whose key handle signs through
# edgesec_keys_sign — openssl verifies the signature with the public key of the cert that
# edgesec_certs_get returns; a module server cert from the workload API that openssl verifies with
# the trust bundle and hostname, and whose private key matches it; a cert issued by the Edge CA from
# a CSR signed through edgesec_keys_load_evp_pkey, verified by openssl; import, get, list, delete.
. "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SDK_SERVICES:?run this test through meson test (EDGESEC_SDK_SERVICES is not set)}"

mkdir -p "$DIR/etc/edgesec/certd" "$DIR/etc/edgesec/identityd"
cat > "$DIR/etc/edgesec/certd/config.toml" <<'CFG'
[[credential]]
cert_id = "device-id"
method = "self_signed"
common_name = "gateway-01"
CFG
cat > "$DIR/etc/edgesec/identityd/config.toml" <<'CFG'
[device_identity]
cert_id = "device-id"
CFG
up
for _ in $(seq 100); do
  call identityd GET '/identities/identity?api-version=2020-09-01'
  [ "$STATUS" = 200 ] && break
  sleep 0.1
done

export EDGESEC_KEYD_SOCKET=$RUN/keyd.sock EDGESEC_CERTD_SOCKET=$RUN/certd.sock
export EDGESEC_IDENTITYD_SOCKET=$RUN/identityd.sock EDGESEC_WORKLOAD_SOCKET=$RUN/workload.sock
OUT=$DIR/out
mkdir -p "$OUT"
"$EDGESEC_SDK_SERVICES" "$OUT" && pass "every check inside sdk-services" || fail "sdk-services (above)"

printf 'proof of possession' > "$DIR/msg"
openssl x509 -in "$OUT/device.pem" -noout -pubkey > "$DIR/device.pub" 2>/dev/null
check "the device identity's key handle signs for its cert's key (openssl dgst -verify)" \
  openssl dgst -sha256 -verify "$DIR/device.pub" -signature "$OUT/device.sig" "$DIR/msg"
split_chain "$OUT/edgehub.cert.pem" "$DIR/leaf.pem" "$DIR/chain.pem"
check "the module server cert verifies with the trust bundle and hostname edgegateway.local" \
  openssl verify -CAfile "$OUT/workload-bundle.pem" -untrusted "$DIR/chain.pem" \
  -verify_hostname edgegateway.local "$DIR/leaf.pem"
[ -s "$OUT/edgehub.key.pem" ] &&
  [ "$(openssl pkey -in "$OUT/edgehub.key.pem" -pubout 2>/dev/null)" = "$(openssl x509 -in "$DIR/leaf.pem" -noout -pubkey)" ] &&
  pass "the module's private key matches its cert" || fail "the module's private key does not match its cert"
cmp -s "$OUT/bundle.pem" "$OUT/workload-bundle.pem" && pass "both sockets serve the same trust bundle" ||
  fail "identityd's and the workload API's trust bundles differ"
split_chain "$OUT/sdk-leaf.pem" "$DIR/sdk-leaf.pem" "$DIR/sdk-chain.pem"
check "the cert issued from the EVP_PKEY-signed CSR verifies up to the trust bundle" \
  openssl verify -CAfile "$OUT/bundle.pem" -untrusted "$DIR/sdk-chain.pem" "$DIR/sdk-leaf.pem"
grep -q "CN *= *sdk-leaf" <(openssl x509 -in "$DIR/sdk-leaf.pem" -noout -subject 2>/dev/null) &&
  pass "its subject is the CSR's" || fail "subject: $(openssl x509 -in "$DIR/sdk-leaf.pem" -noout -subject 2>&1)"

[ "$FAILED" -eq 0 ] || exit 1
echo "all SDK service checks passed"
