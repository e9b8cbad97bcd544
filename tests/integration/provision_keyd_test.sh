#!/bin/bash
# edgectl provision with keyd (issue 16, item 2), on a SoftHSM2 token behind keyd (default_engine =
# "pkcs11"), daemons from `edgectl up --root`:
# - the intermediate's key imported into keyd signs a batch (--ca-key edgesec:KEY) whose device keys
#   are made on the token (--engine pkcs11): key.uri, no key.pem, the token's public key in each
#   cert, `openssl verify` against the root; a rerun keeps them, and certifies the keyd key of a
#   half-made device instead of making another; a second batch of the same prefix
#   into another directory is refused (keyd holds those keys); --engine tpm is refused and leaves
#   no key;
# - `provision device` (key on the token, cert in certd as 'device-id'): openssl s_server trusting
#   only the root (-Verify 1 -verify_return_error) accepts openssl s_client presenting certd's chain
#   with the key through the edgesec provider; a server trusting another root refuses it; a rerun
#   needs --force and keeps the key. Exits 77 without SoftHSM2.
. "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_PROVIDER_DIR:?run this test through meson test}"
SOFTHSM_LIB=/usr/lib/softhsm/libsofthsm2.so
command -v softhsm2-util >/dev/null && [ -f "$SOFTHSM_LIB" ] ||
  { echo "SKIP: SoftHSM2 (softhsm2-util, $SOFTHSM_LIB) is not installed" >&2; exit 77; }
make_test_pki
mk root2 "Another Root" self root
chmod 600 "$PKI"/*.key
mkdir -p "$DIR/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$DIR/softhsm/tokens" >"$DIR/softhsm/softhsm2.conf"
export SOFTHSM2_CONF=$DIR/softhsm/softhsm2.conf
printf 'prov-pin-1234' >"$DIR/softhsm/pin"
chmod 0600 "$DIR/softhsm/pin"
softhsm2-util --init-token --free --label edgesec-prov --pin prov-pin-1234 --so-pin prov-so-5678 >/dev/null
printf 'default_engine = "pkcs11"\n[pkcs11]\nlib_path = "%s"\nbase_slot = "%s"\n' "$SOFTHSM_LIB" \
  "pkcs11:token=edgesec-prov?pin-source=file:$DIR/softhsm/pin" >"$DIR/etc/edgesec/keyd/config.toml"
chmod 0600 "$DIR/etc/edgesec/keyd/config.toml"
UP=$(edgectl up) || { fail "edgectl up"; exit 1; }
eval "$(printf '%s\n' "$UP" | sed -n 's/^  export /export /p')"
P=(-provider-path "$EDGESEC_PROVIDER_DIR" -provider edgesec -provider default)
pub_of_key() { edgectl key show "$1" --json | json publicKey | openssl pkey -pubin -pubout 2>/dev/null; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey; }

# --- the CA key in keyd, device keys on the token ---------------------------------------------------
cat "$PKI/inter.pem" "$PKI/inter.key" >"$DIR/ca-bundle.pem"
edgectl cert import factory-ca "$DIR/ca-bundle.pem" >/dev/null || fail "importing the intermediate into keyd"
[ "$(edgectl key show factory-ca --json | json engine)" = pkcs11 ] && pass "the CA key is on the token" ||
  fail "factory-ca engine: $(edgectl key show factory-ca --json)"
batch() { edgectl provision --ca "$PKI/inter.pem" --ca-key edgesec:factory-ca --engine pkcs11 "$@"; }
batch --count 3 --out "$DIR/p11" >"$DIR/p11.out" 2>&1 && grep -q "^made 3, kept 0" "$DIR/p11.out" &&
  pass "3 devices with token keys, signed by the CA key in keyd" || fail "batch: $(cat "$DIR/p11.out")"
bad=0
for n in 1 2 3; do
  d=$DIR/p11/device-00000$n
  [ "$(cat "$d/key.uri")" = "edgesec:device-00000$n" ] && [ ! -e "$d/key.pem" ] &&
    [ "$(edgectl key show "device-00000$n" --json | json engine)" = pkcs11 ] &&
    [ "$(pub_of_key "device-00000$n")" = "$(pub_of_cert "$d/cert.pem")" ] || bad=$((bad + 1))
done
[ "$bad" = 0 ] && pass "key.uri names the token key, whose public key each cert holds; no key.pem" ||
  fail "$bad devices' keys are wrong"
[ "$(openssl verify -CAfile "$PKI/root.pem" -untrusted "$PKI/inter.pem" "$DIR"/p11/device-*/cert.pem |
  grep -c ': OK$')" = 3 ] && pass "openssl verify accepts the 3 certs" || fail "openssl verify"
batch --count 3 --out "$DIR/p11" >"$DIR/again.out" 2>&1 && grep -q "^made 0, kept 3" "$DIR/again.out" &&
  pass "a rerun keeps the devices" || fail "rerun: $(cat "$DIR/again.out")"
# A run killed after keyd made device 4's key but before its directory was renamed: the rerun
# discards the .tmp directory and certifies that key, making no second one.
edgectl key create device-000004 >/dev/null || fail "key create device-000004"
mkdir "$DIR/p11/.tmp-device-000004"
batch --count 4 --out "$DIR/p11" >"$DIR/resume.out" 2>&1 && grep -q "^made 1, kept 3" "$DIR/resume.out" &&
  [ "$(pub_of_key device-000004)" = "$(pub_of_cert "$DIR/p11/device-000004/cert.pem")" ] &&
  [ "$(edgectl key list | grep -c '^device-000004 ')" = 1 ] && [ ! -e "$DIR/p11/.tmp-device-000004" ] &&
  pass "a half-made device's keyd key is reused, not duplicated" ||
  fail "half-made keyd device: $(cat "$DIR/resume.out"); $(edgectl key list)"
batch --count 1 --out "$DIR/p11b" >"$DIR/dup.out" 2>&1 && fail "a second batch reused keyd's keys"
grep -q "keyd already holds a key pair 'device-000001'" "$DIR/dup.out" &&
  [ -z "$(ls -A "$DIR/p11b" 2>/dev/null)" ] &&
  pass "another batch of the same prefix is refused: keyd holds its keys; nothing left" ||
  fail "second batch: $(cat "$DIR/dup.out"); left: $(ls -A "$DIR/p11b" 2>/dev/null)"
edgectl provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --engine tpm --count 1 \
  --prefix tpmdev --out "$DIR/tpm" >"$DIR/tpm.out" 2>&1 && fail "--engine tpm succeeded on a pkcs11 keyd"
grep -q "in engine 'pkcs11', not 'tpm'" "$DIR/tpm.out" && ! edgectl key show tpmdev-000001 >/dev/null 2>&1 &&
  pass "--engine tpm with keys going to pkcs11 is refused and leaves no key" ||
  fail "--engine tpm: $(cat "$DIR/tpm.out")"
edgectl provision --ca "$PKI/inter.pem" --ca-key edgesec:no-such-key --count 1 --out "$DIR/nokey" \
  >"$DIR/nokey.out" 2>&1 && fail "an absent keyd CA key was accepted"
grep -q "CA key 'edgesec:no-such-key' in keyd" "$DIR/nokey.out" && [ ! -e "$DIR/nokey" ] &&
  pass "an absent keyd CA key is refused, naming it" || fail "absent CA key: $(cat "$DIR/nokey.out")"

# --- provision device: the device identity in certd, accepted by a server trusting the root -------
device() { edgectl provision device --engine pkcs11 --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --device-id gw-42 "$@"; }
device >"$DIR/device.out" 2>&1 && pass "provision device: $(head -1 "$DIR/device.out")" ||
  fail "provision device: $(cat "$DIR/device.out")"
call certd GET '/certificates/device-id?api-version=2020-09-01'
echo "$BODY" | json pem >"$DIR/device-id.pem" 2>/dev/null
split_chain "$DIR/device-id.pem" "$DIR/leaf.pem" "$DIR/chain.pem"
openssl x509 -in "$DIR/leaf.pem" -noout -subject 2>/dev/null | grep -q 'CN *= *gw-42' &&
  [ "$(pub_of_key device-id)" = "$(pub_of_cert "$DIR/leaf.pem")" ] &&
  [ "$(edgectl key show device-id --json | json engine)" = pkcs11 ] &&
  pass "certd holds cert 'device-id' (CN gw-42) of the token key 'device-id'" ||
  fail "device-id in certd: $STATUS $(head -c 300 "$DIR/device-id.pem")"

# tls_client_auth ROOT: s_server trusting only ROOT, requiring a verified client cert; s_client with
# certd's chain and the key through the provider. Returns s_client's status (logs in $DIR/tls.*).
tls_client_auth() {
  local port rc=1
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert "$PKI/edgeca.pem" -key "$PKI/edgeca.key" \
    -quiet -CAfile "$1" -Verify 1 -verify_return_error >"$DIR/tls.server" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do
    echo hello | timeout 20 openssl s_client "${P[@]}" -connect "127.0.0.1:$port" -cert "$DIR/leaf.pem" \
      -cert_chain "$DIR/chain.pem" -key edgesec:device-id >"$DIR/tls.client" 2>&1
    rc=$?
    grep -q "Connection refused" "$DIR/tls.client" || break
    sleep 0.1
  done
  wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
  return $rc
}
# s_client's exit status does not tell (TLS 1.3: the server checks the client cert after the
# client's handshake is done): the server's verify callback does.
if tls_client_auth "$PKI/root.pem" && grep -A1 'depth=0 CN *= *gw-42' "$DIR/tls.server" | grep -q 'verify return:1' &&
  ! grep -qi 'error' "$DIR/tls.server"; then
  pass "a server trusting only the root accepts the device (chain from certd, key on the token)"
else
  fail "TLS with the device identity: client: $(tail -5 "$DIR/tls.client"); server: $(cat "$DIR/tls.server")"
fi
tls_client_auth "$PKI/root2.pem"
grep -q 'verify error' "$DIR/tls.server" && pass "a server trusting another root refuses it" ||
  fail "another root: server: $(cat "$DIR/tls.server")"

before=$(pub_of_cert "$DIR/leaf.pem")
device >"$DIR/again.out" 2>&1 && fail "provision device replaced the identity without --force"
grep -q "already holds cert 'device-id'; --force" "$DIR/again.out" &&
  pass "a second provision device needs --force" || fail "no --force: $(cat "$DIR/again.out")"
device --force >"$DIR/force.out" 2>&1 || fail "--force: $(cat "$DIR/force.out")"
call certd GET '/certificates/device-id?api-version=2020-09-01'
echo "$BODY" | json pem >"$DIR/forced.pem" 2>/dev/null
[ "$(pub_of_cert "$DIR/forced.pem")" = "$before" ] &&
  [ "$(openssl x509 -in "$DIR/forced.pem" -noout -serial)" != "$(openssl x509 -in "$DIR/leaf.pem" -noout -serial)" ] &&
  pass "--force issues a new cert for the same token key" || fail "--force: same cert or another key"
edgectl provision device --engine tpm --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --cert-id tpm-id \
  --device-id gw-43 >"$DIR/devtpm.out" 2>&1 && fail "provision device --engine tpm succeeded on a pkcs11 keyd"
grep -q "not 'tpm'" "$DIR/devtpm.out" && ! edgectl key show tpm-id >/dev/null 2>&1 &&
  pass "provision device --engine tpm is refused when keyd keeps keys elsewhere" ||
  fail "device --engine tpm: $(cat "$DIR/devtpm.out")"
finish
