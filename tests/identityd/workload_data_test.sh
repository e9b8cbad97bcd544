#!/bin/bash
# The rest of IoT Edge's workload API on the real daemons (`edgectl up --root`): encrypt/decrypt
# for a module (AES-256-GCM in keyd under the master encryption key, bound to module id + genid),
# which another module, another genid, another IV or an altered ciphertext cannot decrypt (400);
# who may ask (module principals for their own modules only: 403); request errors naming the
# field; GET /manifest-trust-bundle with no bundle ("") and with config.toml's
# manifest_trust_bundle_cert through `edgectl config apply`, and config check's errors for a
# missing file or a non-file URI; …/sign answered 400 in the workload error shape; exact JSON keys
# of every answer (the peer's API files). The uid checks need root (setpriv): skipped loudly
# otherwise, the rest still runs.
. "$(dirname "$0")/lib.sh"

V=2020-07-07
keys() { python3 -c 'import json,sys; print(",".join(sorted(json.load(sys.stdin).keys())))'; }
b64() { printf '%s' "$1" | base64 -w0; }
# flip_b64 B64: the same bytes with the first one altered.
flip_b64() { python3 -c 'import base64,sys; b=bytearray(base64.b64decode(sys.argv[1])); b[0]^=1; print(base64.b64encode(bytes(b)).decode())' "$1"; }

mkdir -p "$DIR/etc/edgesec/identityd"
cat > "$DIR/etc/edgesec/identityd/config.toml" <<'CFG'
[[principal]]
uid = 65534
modules = ["$edgeHub"]

[[principal]]
uid = 65533
modules = ["modb"]

[[principal]]
uid = 65532
idtype = "device"
CFG
up

# --- encrypt → decrypt for $edgeHub (URL-encoded as the peer's clients send it), as root
IV=$(openssl rand -base64 12)
PLAIN='edgeHub stored secret: 0123456789'
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
  "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 200 ] && pass "encrypt → 200" || fail "encrypt: $STATUS $BODY"
[ "$(echo "$BODY" | keys)" = ciphertext ] && pass "encrypt answers exactly {\"ciphertext\"}" \
  || fail "encrypt shape: $BODY"
CT=$(echo "$BODY" | json ciphertext)
CT_LEN=$(echo "$CT" | base64 -d | wc -c)
[ "$CT_LEN" -eq $(( ${#PLAIN} + 16 )) ] && pass "ciphertext = plaintext length + a 16-byte GCM tag" \
  || fail "ciphertext length $CT_LEN for ${#PLAIN} plaintext bytes"
echo "$CT" | base64 -d | grep -q "edgeHub stored secret" && fail "the plaintext shows in the ciphertext" \
  || pass "the plaintext does not show in the ciphertext"
decrypt() {  # decrypt MODULE GENID CIPHERTEXT IV [AS]
  call workload POST "/modules/$1/genid/$2/decrypt?api-version=$V" \
    "{\"ciphertext\":\"$3\",\"initializationVector\":\"$4\"}" "${5-}"
}
decrypt %24edgeHub 637 "$CT" "$IV"
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json plaintext | base64 -d)" = "$PLAIN" ] \
  && pass "decrypt gives the plaintext back" || fail "decrypt: $STATUS $BODY"
[ "$(echo "$BODY" | keys)" = plaintext ] && pass "decrypt answers exactly {\"plaintext\"}" \
  || fail "decrypt shape: $BODY"
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=2018-06-28" \
  "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json ciphertext)" = "$CT" ] \
  && pass "api-version 2018-06-28 is accepted; same key, IV and AAD give the same ciphertext" \
  || fail "encrypt at 2018-06-28: $STATUS $BODY"

# --- what cannot decrypt it
decrypt modb 637 "$CT" "$IV"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "another module or genid" \
  && pass "another module cannot decrypt it (400, even as root)" || fail "other module: $STATUS $BODY"
decrypt %24edgeHub 638 "$CT" "$IV"
[ "$STATUS" = 400 ] && pass "the same module with another genid cannot decrypt it (400)" \
  || fail "other genid: $STATUS $BODY"
decrypt %24edgeHub 637 "$CT" "$(openssl rand -base64 12)"
[ "$STATUS" = 400 ] && pass "another initializationVector cannot decrypt it (400)" || fail "other IV: $STATUS $BODY"
decrypt %24edgeHub 637 "$(flip_b64 "$CT")" "$IV"
[ "$STATUS" = 400 ] && [ "$(echo "$BODY" | keys)" = message ] \
  && pass "a tampered ciphertext → 400 {\"message\"}" || fail "tampered: $STATUS $BODY"
decrypt %24edgeHub 637 "$(b64 short)" "$IV"
[ "$STATUS" = 400 ] && pass "a ciphertext shorter than its tag → 400" || fail "short ciphertext: $STATUS $BODY"

# --- request errors name the field
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" "{\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'plaintext'" && pass "missing plaintext → 400 naming it" \
  || fail "missing plaintext: $STATUS $BODY"
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" "{\"plaintext\":\"$(b64 x)\"}"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'initializationVector'" \
  && pass "missing initializationVector → 400 naming it" || fail "missing iv: $STATUS $BODY"
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
  "{\"plaintext\":\"~~not base64~~\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'plaintext'" && pass "bad base64 plaintext → 400 naming it" \
  || fail "bad plaintext: $STATUS $BODY"
decrypt %24edgeHub 637 "$CT" "~~"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'initializationVector'" \
  && pass "bad base64 initializationVector → 400 naming it" || fail "bad iv: $STATUS $BODY"
decrypt %24edgeHub 637 "$CT" ""
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'initializationVector'" \
  && pass "an empty initializationVector → 400 naming it" || fail "empty iv: $STATUS $BODY"
call workload POST "/modules/%24edgeHub/genid/637/decrypt?api-version=$V" "{\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "'ciphertext'" && pass "missing ciphertext → 400 naming it" \
  || fail "missing ciphertext: $STATUS $BODY"
call workload POST "/modules/bad%2Fid/genid/637/encrypt?api-version=$V" \
  "{\"plaintext\":\"$(b64 x)\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 400 ] && pass "an invalid module id → 400" || fail "bad module id: $STATUS $BODY"

# --- who may ask
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
  echo "SKIP (part): the uid checks need root and setpriv" >&2
else
  call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
    "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}" 65534
  [ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json ciphertext)" = "$CT" ] \
    && pass "uid 65534 encrypts for its module \$edgeHub (same key as root)" || fail "own encrypt: $STATUS $BODY"
  decrypt %24edgeHub 637 "$CT" "$IV" 65534
  [ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json plaintext | base64 -d)" = "$PLAIN" ] \
    && pass "uid 65534 decrypts its module's data" || fail "own decrypt: $STATUS $BODY"
  decrypt %24edgeHub 637 "$CT" "$IV" 65533
  [ "$STATUS" = 403 ] && echo "$BODY" | grep -q "user 65533 is not authorized" \
    && pass "modb's user cannot decrypt for \$edgeHub (403 naming the user)" || fail "65533 as edgeHub: $STATUS $BODY"
  decrypt modb 637 "$CT" "$IV" 65533
  [ "$STATUS" = 400 ] && pass "… and not as its own module either (400)" || fail "65533 as modb: $STATUS $BODY"
  decrypt %24edgeHub 637 "$CT" "$IV" 65532
  [ "$STATUS" = 403 ] && pass "an idtype = device principal cannot decrypt a module's data (403)" \
    || fail "device principal: $STATUS $BODY"
  decrypt %24edgeHub 637 "$CT" "$IV" 65531
  [ "$STATUS" = 403 ] && pass "a uid with no principal → 403" || fail "stranger: $STATUS $BODY"
  call workload GET "/manifest-trust-bundle?api-version=$V" '' 65531
  [ "$STATUS" = 200 ] && pass "the manifest trust bundle is public" || fail "stranger manifest: $STATUS $BODY"
fi

# --- sign: IoT Hub module keys are out of scope
call workload POST "/modules/%24edgeHub/genid/637/sign?api-version=$V" \
  "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"$(b64 x)\"}"
[ "$STATUS" = 400 ] && [ "$(echo "$BODY" | keys)" = message ] \
  && echo "$BODY" | json message | grep -q "IoT Hub module keys are out of scope" \
  && pass "sign → 400 {\"message\"} saying IoT Hub module keys are out of scope" || fail "sign: $STATUS $BODY"

# --- manifest trust bundle: none configured
call workload GET "/manifest-trust-bundle?api-version=$V"
[ "$STATUS" = 200 ] && [ "$BODY" = '{"certificate":""}' ] \
  && pass "no manifest_trust_bundle_cert → 200 {\"certificate\":\"\"}" || fail "empty manifest bundle: $STATUS $BODY"
call workload GET "/manifest-trust-bundle?api-version=2019-11-05"
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "2020-07-07" \
  && pass "manifest-trust-bundle before 2020-07-07 → 400 naming the version" || fail "old version: $STATUS $BODY"

# --- manifest trust bundle from config.toml through edgectl config apply
down
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=Manifest signer root" -days 30 -out "$DIR/manifest-root.pem" 2>/dev/null
mkdir -p "$DIR/etc/edgesec"
rm "$DIR/etc/edgesec/identityd/config.toml"
write_config() {
  printf 'hostname = "gw-manifest"\nmanifest_trust_bundle_cert = "%s"\n' "$1" > "$DIR/etc/edgesec/config.toml"
  chmod 600 "$DIR/etc/edgesec/config.toml"
}
write_config "file://$DIR/missing.pem"
OUT=$(edgectl config check 2>&1); RC=$?
[ "$RC" = 1 ] && echo "$OUT" | grep -q "manifest_trust_bundle_cert.*missing.pem' does not exist" \
  && pass "config check: a missing manifest_trust_bundle_cert file is an error naming the key and file" \
  || fail "missing file: rc $RC: $OUT"
write_config "https://example.com/manifest.pem"
OUT=$(edgectl config check 2>&1); RC=$?
[ "$RC" = 1 ] && echo "$OUT" | grep -q "manifest_trust_bundle_cert.*file:///" \
  && pass "config check: a non-file URI is an error asking for file:///" || fail "non-file URI: rc $RC: $OUT"
write_config "file://$DIR/manifest-root.pem"
edgectl config check >/dev/null 2>&1 && pass "config check accepts a file:// manifest_trust_bundle_cert" \
  || fail "config check: $(edgectl config check 2>&1)"
edgectl config apply >/dev/null 2>&1 || fail "config apply: $(edgectl config apply 2>&1)"
grep -q "manifest_trust_bundle_cert" "$DIR/etc/edgesec/identityd/config.d/00-super.toml" \
  && pass "apply passes manifest_trust_bundle_cert to identityd" || fail "identityd's generated config lacks it"
up
call workload GET "/manifest-trust-bundle?api-version=$V"
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | keys)" = certificate ] \
  && pass "manifest-trust-bundle → 200 exactly {\"certificate\"}" || fail "manifest bundle: $STATUS $BODY"
echo "$BODY" | json certificate > "$DIR/served.pem"
[ "$(openssl x509 -in "$DIR/served.pem" -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$DIR/manifest-root.pem" -noout -fingerprint -sha256)" ] \
  && pass "it serves the configured bundle" || fail "served: $(cat "$DIR/served.pem")"
call workload GET "/trust-bundle?api-version=$V"
echo "$BODY" | grep -q "$(sed -n 2p "$DIR/manifest-root.pem")" \
  && fail "the manifest root leaked into the trust bundle" || pass "the manifest root is not in the trust bundle"

# --- encrypted data survives a restart (the master key is kept by keyd)
call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
  "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}"
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json ciphertext)" = "$CT" ] \
  && pass "after a restart with a config.toml, the same master key encrypts" || fail "after restart: $STATUS $BODY"

# --- outside --root's one-user world: identityd as its own uid, keyd as another, with the keyd
# principals that `edgectl config apply` generates (golden tests/data/apply/empty/keyd.toml, the
# service user names as uids): identityd creates and uses the master encryption key; without the
# key in its principal, a 500 that says what to add.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
  echo "SKIP (part): identityd as another uid needs root and setpriv" >&2
else
  down
  U=$DIR/u
  mkdir -p "$U/etc/edgesec/keyd" "$U/run/edgesec" "$U/var/lib/edgesec/identityd"
  chmod 0755 "$U" "$U/var" "$U/var/lib" "$U/var/lib/edgesec"
  chmod 0777 "$U/run/edgesec"
  chown 65534:65534 "$U/var/lib/edgesec/identityd"
  { echo 'socket_mode = "0666"'
    sed 's/name = "edgeid"/uid = 65534/; s/name = "edgecs"/uid = 65533/' \
      "$EDGESEC_SOURCE_ROOT/tests/data/apply/empty/keyd.toml"; } > "$U/etc/edgesec/keyd/config.toml"
  grep -q '"iotedge_master_encryption_id"' "$U/etc/edgesec/keyd/config.toml" \
    || fail "the generated keyd principal of identityd lacks the master encryption key"
  "$EDGESEC_KEYD" --root "$U" > "$U/keyd.log" 2>&1 &
  KEYD_PID=$!
  setpriv --reuid=65534 --regid=65534 --clear-groups "$EDGESEC_IDENTITYD" --root "$U" > "$U/identityd.log" 2>&1 &
  IDENTITYD_PID=$!
  trap 'kill "$KEYD_PID" "$IDENTITYD_PID" 2>/dev/null; cleanup' EXIT
  for _ in $(seq 100); do [ -S "$U/run/edgesec/keyd.sock" ] && [ -S "$U/run/edgesec/workload.sock" ] && break; sleep 0.1; done
  RUN_SAVED=$RUN; RUN=$U/run/edgesec
  call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
    "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}" 65534
  [ "$STATUS" = 200 ] && CT2=$(echo "$BODY" | json ciphertext) \
    && pass "identityd as uid 65534 creates and uses the master key with the generated keyd principal" \
    || fail "identityd as its own uid: $STATUS $BODY $(tail -3 "$U/keyd.log")"
  decrypt %24edgeHub 637 "${CT2:-}" "$IV" 65534
  [ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json plaintext | base64 -d)" = "$PLAIN" ] \
    && pass "… and decrypts with it" || fail "decrypt as its own uid: $STATUS $BODY"
  sed -i 's/, "iotedge_master_encryption_id"\|"iotedge_master_encryption_id"/"device-id"/' "$U/etc/edgesec/keyd/config.toml"
  kill -HUP "$KEYD_PID"
  for _ in $(seq 50); do grep -q "reloaded" "$U/keyd.log" && break; sleep 0.1; done
  call workload POST "/modules/%24edgeHub/genid/637/encrypt?api-version=$V" \
    "{\"plaintext\":\"$(b64 "$PLAIN")\",\"initializationVector\":\"$IV\"}" 65534
  [ "$STATUS" = 500 ] && echo "$BODY" | grep -q "add it to identityd's principal in keyd's config" \
    && pass "without the key in identityd's keyd principal: 500 saying what to add" \
    || fail "principal without the master key: $STATUS $BODY"
  RUN=$RUN_SAVED
  kill "$KEYD_PID" "$IDENTITYD_PID" 2>/dev/null
  wait "$KEYD_PID" "$IDENTITYD_PID" 2>/dev/null
fi

finish
