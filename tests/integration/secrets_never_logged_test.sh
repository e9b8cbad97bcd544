# Secrets never logged: the three daemons at debug level (EDGESEC_LOG=debug, `edgectl up --root`)
# through a workload that handles every kind of secret edgesec sees, then every daemon log and every
# edgectl output is searched for them:
# - the SoftHSM2 user PIN (pin-value in keyd's base_slot URI) and SO PIN, and a wrong PIN that makes
#   the token refuse (its error path names the URI);
# - the EST HTTP Basic password (certd's [est] password) used to enroll;
# - secret key bytes imported through POST /key (hex, base64, base64url), used to sign;
# - private keys: the PEM body lines of a PKCS#8 key imported with PUT /keypair, of a preloaded
#   file:// key, and of every PEM private key keyd's file engine holds (the Edge CA's among them);
# - keyd's handle secret (hex, base64);
# - a plaintext encrypted and decrypted through the workload API (raw and base64).
# Error paths are driven too (forged handles, wrong IV, wrong key bytes). Exits 77 without SoftHSM2.
source "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
SOFTHSM_LIB=/usr/lib/softhsm/libsofthsm2.so
command -v softhsm2-util >/dev/null && [ -f "$SOFTHSM_LIB" ] ||
  { echo "SKIP: SoftHSM2 (softhsm2-util, $SOFTHSM_LIB) is not installed" >&2; exit 77; }
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }
export EDGESEC_LOG=debug
V=2020-09-01
OUTS=$DIR/outs  # every edgectl stdout/stderr and curl answer of this test
SECRETS=$DIR/secrets.txt  # one fixed string a line: none may appear in a log or an output
mkdir -p "$OUTS"
: >"$SECRETS"
n=0
run() {  # run COMMAND...: edgectl with its output kept in $OUTS; sets RC and LAST
  n=$((n + 1)); LAST=$OUTS/$n
  edgectl "$@" >"$LAST" 2>&1
  RC=$?
}
secret() { printf '%s\n' "$@" >>"$SECRETS"; }
pem_body() {  # the base64 lines of a PEM file (the ones long enough not to match by chance)
  grep -v -e '-----' "$1" | awk 'length($0) >= 16'
}
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

PIN=user-pin-$RANDOM$RANDOM
SO_PIN=so-pin-$RANDOM$RANDOM
WRONG_PIN=wrong-pin-$RANDOM$RANDOM
PW=est-pw-$RANDOM$RANDOM
secret "$PIN" "$SO_PIN" "$WRONG_PIN" "$PW"

# --- SoftHSM2 token, EST server with HTTP Basic ------------------------------------------------------
mkdir -p "$DIR/softhsm/tokens" "$DIR/etc/edgesec/keyd" "$DIR/etc/edgesec/certd"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = DEBUG\n' \
  "$DIR/softhsm/tokens" >"$DIR/softhsm/softhsm2.conf"
export SOFTHSM2_CONF=$DIR/softhsm/softhsm2.conf
softhsm2-util --init-token --free --label edgesec-secrets --pin "$PIN" --so-pin "$SO_PIN" >/dev/null
EST=$(mktemp -d /tmp/es-est-XXXXXX)
python3 "$EDGESEC_SOURCE_ROOT/tests/est/est_server.py" --dir "$EST" --port-file "$EST/port" \
  --log "$EST/requests.log" --user estuser --password "$PW" >"$EST/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$EST/port" ] && break; sleep 0.1; done
PORT=$(cat "$EST/port")

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/preloaded.key.pem" 2>/dev/null
pem_body "$DIR/preloaded.key.pem" >>"$SECRETS"
keyd_config() {  # keyd_config PIN
  cat >"$DIR/etc/edgesec/keyd/config.toml" <<EOF
[pkcs11]
lib_path = "$SOFTHSM_LIB"
base_slot = "pkcs11:token=edgesec-secrets?pin-value=$1"
security_level = 0
[[key_engine]]
keys = ["hsm-*"]
engine = "pkcs11"
[preloaded_keys]
preloaded = "file://$DIR/preloaded.key.pem"
EOF
  chmod 0600 "$DIR/etc/edgesec/keyd/config.toml"
}
keyd_config "$PIN"
cat >"$DIR/etc/edgesec/certd/config.toml" <<EOF
[est]
url = "https://127.0.0.1:$PORT"
trusted_certs = ["$EST/root.pem"]
username = "estuser"
password = "$PW"

[[credential]]
cert_id = "device-id"
key_id = "device-key"
method = "est"
common_name = "device-1"
auto_renew = false
EOF
chmod 0600 "$DIR/etc/edgesec/certd/config.toml"
up

# --- the workload -------------------------------------------------------------------------------------
kcall() {  # kcall METHOD ROUTE [BODY]: keyd, answer kept in $OUTS
  call keyd "$1" "$2?api-version=$V" "${3-}"
  n=$((n + 1)); printf '%s %s\n%s\n' "$STATUS" "$2" "$BODY" >"$OUTS/$n"
}
run cert enroll device-id --json
[ "$RC" -eq 0 ] && pass "EST enrollment with HTTP Basic" || fail "enroll: $(cat "$LAST")"
grep -q "\"user\": *\"estuser:$PW\"" "$EST/requests.log" && pass "the EST server received the password" ||
  fail "no Basic credentials at the EST server"

kcall POST /keypair '{"keyId":"hsm-k","preferredAlgorithms":"ec-p256"}'
[ "$STATUS" = 200 ] && pass "a key pair on the token (PIN in use)" || fail "hsm key: $STATUS $BODY"
HSM_HANDLE=$(echo "$BODY" | json keyHandle)
DIGEST=$(printf hello | openssl dgst -sha256 -binary | base64)
kcall POST /sign "{\"keyHandle\":\"$HSM_HANDLE\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
[ "$STATUS" = 200 ] && pass "a token key signs" || fail "hsm sign: $STATUS $BODY"

head -c 32 /dev/urandom >"$DIR/secret.bin"
KEY_B64=$(base64 -w0 <"$DIR/secret.bin")
secret "$(hex "$DIR/secret.bin")" "$(hex "$DIR/secret.bin" | tr a-f A-F)" "$KEY_B64" \
  "$(printf %s "$KEY_B64" | tr '+/' '-_' | tr -d =)"
kcall POST /key "{\"keyId\":\"sk\",\"usage\":\"sign\",\"keyBytes\":\"$KEY_B64\"}"
[ "$STATUS" = 200 ] && pass "secret key imported" || fail "import secret key: $STATUS $BODY"
SK_HANDLE=$(echo "$BODY" | json keyHandle)
kcall POST /sign "{\"keyHandle\":\"$SK_HANDLE\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"aGVsbG8=\"}}"
[ "$STATUS" = 200 ] && pass "the secret key signs" || fail "hmac: $STATUS $BODY"
kcall POST /key "{\"keyId\":\"sk\",\"usage\":\"sign\",\"keyBytes\":\"$(base64 -w0 <"$DIR/secret.bin" | rev)\"}"
kcall POST /key "{\"keyId\":\"sk2\",\"usage\":\"nonsense\",\"keyBytes\":\"$KEY_B64\"}"
[ "$STATUS" = 400 ] && pass "a refused import (bad usage) → 400" || fail "bad usage: $STATUS $BODY"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/imported.key.pem" 2>/dev/null
pem_body "$DIR/imported.key.pem" >>"$SECRETS"
PKCS8=$(openssl pkcs8 -topk8 -nocrypt -in "$DIR/imported.key.pem" -outform DER | base64 -w0)
kcall PUT /keypair/imported "{\"pkcs8\":\"$PKCS8\"}"
[ "$STATUS" = 200 ] && pass "PKCS#8 key pair imported" || fail "import pkcs8: $STATUS $BODY"
kcall PUT /keypair/imported2 "{\"pkcs8\":\"${PKCS8:0:40}AAAA\"}"
kcall POST /keypair/preloaded '{}'
kcall GET /keypair/preloaded
PRE_HANDLE=$(echo "$BODY" | json keyHandle 2>/dev/null)
kcall POST /sign "{\"keyHandle\":\"$PRE_HANDLE\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
[ "$STATUS" = 200 ] && pass "the preloaded file key signs" || fail "preloaded sign: $STATUS $BODY"
# One character in the middle changed (a full 6 bits; the last may be padding bits, or already 'A').
C=${SK_HANDLE:10:1}; N=A; [ "$C" = A ] && N=B
FORGED="${SK_HANDLE:0:10}$N${SK_HANDLE:11}"
[ "$FORGED" != "$SK_HANDLE" ] || fail "the forged handle is the handle"
kcall POST /sign "{\"keyHandle\":\"$FORGED\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"aGVsbG8=\"}}"
[ "$STATUS" = 400 ] && pass "a forged handle → 400" || fail "forged handle: $STATUS $BODY"

# The workload API: encrypt/decrypt for a module (keyd's master encryption key).
PLAIN="plaintext-secret-$RANDOM$RANDOM"
secret "$PLAIN" "$(printf %s "$PLAIN" | base64 -w0)"
IV=$(openssl rand -base64 12)
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=2020-07-07" \
  "{\"plaintext\":\"$(printf %s "$PLAIN" | base64 -w0)\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 200 ] && pass "workload encrypt" || fail "encrypt: $STATUS $BODY"
CT=$(echo "$BODY" | json ciphertext)
call workload POST "/modules/%24edgeHub/genid/637/decrypt?api-version=2020-07-07" \
  "{\"ciphertext\":\"$CT\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json plaintext | base64 -d)" = "$PLAIN" ] &&
  pass "workload decrypt gives the plaintext back" || fail "decrypt: $STATUS $BODY"
call workload POST "/modules/%24edgeHub/genid/637/decrypt?api-version=2020-07-07" \
  "{\"ciphertext\":\"$CT\",\"initializationVector\":\"$(openssl rand -base64 12)\"}"
[ "$STATUS" = 400 ] && pass "decrypt with another IV → 400" || fail "wrong IV: $STATUS $BODY"

run cert list
run key list
run key show hsm-k
run key show preloaded
run ca show
run identity trust-bundle
run check
run config show
edgectl module cert secretmod --common-name secretmod --out "$DIR/modcert" >"$OUTS/modcert" 2>&1 ||
  fail "module cert: $(cat "$OUTS/modcert")"
down

# A wrong PIN: the token refuses, keyd reports it (naming the URI), certd and identityd see errors.
keyd_config "$WRONG_PIN"
run up
run key list
call keyd POST "/keypair?api-version=$V" '{"keyId":"hsm-k2","preferredAlgorithms":"ec-p256"}'
[ "$STATUS" != 200 ] && pass "a wrong PIN is refused ($STATUS)" || fail "a wrong PIN gave a key"
n=$((n + 1)); printf '%s\n%s\n' "$STATUS" "$BODY" >"$OUTS/$n"
down
grep -i -e 'CKR_PIN' -e 'login' "$DIR/var/log/edgesec/keyd.log" | tail -3
grep -qi -e 'CKR_PIN_INCORRECT' -e 'login' "$DIR/var/log/edgesec/keyd.log" &&
  pass "keyd logged the token's refusal of the wrong PIN" || fail "no PIN refusal in keyd.log"

# The handle secret and every PEM private key keyd's file engine holds (read after the daemons stop).
HS=$DIR/var/lib/edgesec/keyd/handle-secret
[ -s "$HS" ] && secret "$(hex "$HS")" "$(base64 -w0 <"$HS")" || fail "no handle secret at $HS"
pems=0
for f in $(grep -rl -e '-----BEGIN .*PRIVATE KEY-----' "$DIR/var/lib/edgesec" 2>/dev/null); do
  pem_body "$f" >>"$SECRETS"; pems=$((pems + 1))
done
[ "$pems" -ge 2 ] && pass "$pems PEM private keys in keyd's state are searched for" ||
  fail "only $pems PEM private keys found in keyd's state"

# --- the search -----------------------------------------------------------------------------------------
logs=("$DIR"/var/log/edgesec/*.log)
[ "${#logs[@]}" -ge 3 ] && [ -s "${logs[0]}" ] && pass "${#logs[@]} daemon logs" || fail "no daemon logs: ${logs[*]}"
grep -q '<7>' "${logs[@]}" && pass "the logs are at debug level" || fail "no debug line in the logs"
echo "searching for $(wc -l <"$SECRETS") secret strings in ${#logs[@]} logs and $(ls "$OUTS" | wc -l) outputs"
leaks=$(grep -rlF -f "$SECRETS" "${logs[@]}" "$OUTS")
if [ -z "$leaks" ]; then pass "no secret in any log or output"; else
  fail "secrets leaked into: $leaks"
  for f in $leaks; do grep -nF -f "$SECRETS" "$f" | cut -c1-300 >&2; done
fi
rm -rf "$EST"
[ "$FAILED" -eq 0 ] || exit 1
