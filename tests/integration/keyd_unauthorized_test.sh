#!/bin/bash
# Callers that are not authorized (DESIGN.md, "Authorization"): keyd runs with a socket every uid can
# reach and one principal, uid 65534, allowed keys 'allowed-*'. As uid 65534 (setpriv), every keys route
# on root's keys answers 401 "user 65534 is not authorized to …" — also the routes that take a valid
# handle obtained by root — and leaves them untouched, while the same routes succeed on 'allowed-*'.
# GET /keypairs lists only the caller's keys; GET /version stays open to anyone who can connect (it names
# no key: a documented choice). Needs root to drop to another uid: skipped (77) otherwise.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: this test must run as root to drop to uid 65534 with setpriv" >&2
  exit 77
fi
for tool in setpriv curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
: "${EDGESEC_KEYD:?run this test through meson test (EDGESEC_KEYD is not set)}"

DIR=$(mktemp -d /tmp/es-XXXXXX)
chmod 0755 "$DIR"  # uid 65534 must be able to reach the socket below it
SOCK=$DIR/run/edgesec/keyd.sock
KEYD_PID=""
cleanup() {
  if [ -n "$KEYD_PID" ]; then kill "$KEYD_PID" 2>/dev/null; wait "$KEYD_PID" 2>/dev/null; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

mkdir -p "$DIR/etc/edgesec/keyd"
cat >"$DIR/etc/edgesec/keyd/config.toml" <<'EOF'
socket_mode = "0666"

[[principal]]
uid = 65534
keys = ["allowed-*"]
EOF
"$EDGESEC_KEYD" --root "$DIR" >"$DIR/keyd.log" 2>&1 &
KEYD_PID=$!
for _ in $(seq 100); do
  curl -sf --unix-socket "$SOCK" 'http://keyd.sock/version?api-version=2020-09-01' >/dev/null 2>&1 && break
  sleep 0.1
done

FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }

# call WHO METHOD ROUTE [BODY]: WHO is root, nobody (65534) or stranger (65533, no principal at all).
# Sets STATUS and BODY.
call() {
  local who=$1 method=$2 route=$3 body=${4-}
  local -a as=()
  case $who in
    nobody) as=(setpriv --reuid=65534 --regid=65534 --clear-groups) ;;
    stranger) as=(setpriv --reuid=65533 --regid=65533 --clear-groups) ;;
  esac
  local -a data=()
  [ -n "$body" ] && data=(-H 'Content-Type: application/json' --data-binary "$body")
  local out
  out=$("${as[@]}" curl -sS --unix-socket "$SOCK" -X "$method" "${data[@]}" -w '\n%{http_code}' \
    "http://keyd.sock${route}?api-version=2021-05-01") || { fail "curl failed for $who $method $route"; STATUS=0; BODY=""; return; }
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2" 2>/dev/null; }
# expect STATUS: the last call answered STATUS (with a JSON body when not 204).
expect() {
  [ "$STATUS" = "$1" ] || fail "$LAST: expected $1, got $STATUS $BODY"
}
# denied WHO METHOD ROUTE [BODY]: 401 with "user <uid> is not authorized to …".
denied() {
  local uid=65534
  [ "$1" = stranger ] && uid=65533
  LAST="$1 $2 $3"
  call "$@"
  expect 401
  local message
  message=$(field "$BODY" message)
  [[ $message == "user $uid is not authorized to "* ]] || fail "$LAST: message '$message'"
}
# answers WHO METHOD ROUTE STATUS [BODY]: the last call answered STATUS.
answers() {
  LAST="$1 $2 $3"
  local status=$4
  call "$1" "$2" "$3" "${5-}"
  expect "$status"
}
handle() { field "$BODY" keyHandle; }
b64() { printf '%s' "$1" | base64 -w0; }

# --- root's keys ---------------------------------------------------------------------------------------
answers root POST /keypair 200 '{"keyId":"secret-1","preferredAlgorithms":"ec-p256"}'
H_PAIR=$(handle)
answers root POST /parameters/ec-point 200 "{\"keyHandle\":\"$H_PAIR\"}"
POINT_BEFORE=$(field "$BODY" value)
answers root POST /keypair 200 '{"keyId":"secret-rsa","preferredAlgorithms":"rsa-2048"}'
H_RSA=$(handle)
answers root POST /key 200 "{\"keyId\":\"secret-key\",\"usage\":\"derive,encrypt,sign\",\"keyBytes\":\"$(b64 0123456789abcdef0123456789abcdef)\"}"
H_KEY=$(handle)
answers root POST /derivedkey 200 "{\"baseKeyHandle\":\"$H_KEY\",\"derivationData\":\"$(b64 module)\"}"
H_DERIVED=$(handle)
AEAD_PARAMS="\"parameters\":{\"iv\":\"$(b64 123456789012)\",\"aad\":\"$(b64 aad)\"}"
answers root POST /encrypt 200 "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"plaintext\":\"$(b64 'root secret')\"}"
CIPHERTEXT=$(field "$BODY" ciphertext)
answers root POST /sign 200 "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$(b64 m)\"}}"
MAC_BEFORE=$(field "$BODY" signature)
answers root POST /keypair 200 '{"keyId":"allowed-made-by-root"}'
PKCS8=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER 2>/dev/null | base64 -w0)
[ -n "$PKCS8" ] || fail "openssl genpkey failed"
DIGEST=$(printf 'to be signed' | openssl dgst -sha256 -binary | base64 -w0)

# --- uid 65534 on root's keys: every route refused ---------------------------------------------------
denied nobody POST /keypair '{"keyId":"secret-1"}'
denied nobody POST /keypair '{"keyId":"not-allowed-new"}'
denied nobody GET /keypair/secret-1
denied nobody POST /keypair/secret-1 '{"from":"allowed-x"}'
denied nobody POST /keypair/allowed-stolen '{"from":"secret-1"}'
denied nobody PUT /keypair/secret-1 "{\"pkcs8\":\"$PKCS8\"}"
denied nobody DELETE /keypair "{\"keyHandle\":\"$H_PAIR\"}"
for name in algorithm ec-curve-oid ec-point rsa-modulus rsa-exponent engine security-level; do
  denied nobody POST "/parameters/$name" "{\"keyHandle\":\"$H_PAIR\"}"
done
denied nobody POST /parameters/rsa-modulus "{\"keyHandle\":\"$H_RSA\"}"
denied nobody POST /sign "{\"keyHandle\":\"$H_PAIR\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
denied nobody POST /sign "{\"keyHandle\":\"$H_RSA\",\"algorithm\":\"RSA-PSS-SHA256\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
denied nobody POST /encrypt "{\"keyHandle\":\"$H_RSA\",\"algorithm\":\"RSA-PKCS1\",\"plaintext\":\"$DIGEST\"}"
denied nobody POST /key '{"keyId":"secret-key","usage":"sign"}'
denied nobody POST /key "{\"keyId\":\"secret-key\",\"usage\":\"sign\",\"keyBytes\":\"$(b64 attacker-chosen-key-bytes-32byte)\"}"
denied nobody GET /key/secret-key
denied nobody DELETE /key "{\"keyHandle\":\"$H_KEY\"}"
denied nobody POST /sign "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$(b64 m)\"}}"
denied nobody POST /encrypt "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"plaintext\":\"$(b64 x)\"}"
denied nobody POST /decrypt "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"ciphertext\":\"$CIPHERTEXT\"}"
denied nobody POST /derivedkey "{\"baseKeyHandle\":\"$H_KEY\",\"derivationData\":\"$(b64 module)\"}"
denied nobody POST /derivedkey/export "{\"keyHandle\":\"$H_DERIVED\"}"
# A uid that is no principal at all may not even use 'allowed-*'.
denied stranger GET /keypair/allowed-made-by-root
denied stranger POST /keypair '{"keyId":"allowed-9"}'

# The messages name the action and the key.
call nobody GET /keypair/secret-1
[ "$(field "$BODY" message)" = "user 65534 is not authorized to use key 'secret-1'" ] || fail "message: $BODY"

# --- root's keys are untouched ---------------------------------------------------------------------------
answers root POST /parameters/ec-point 200 "{\"keyHandle\":\"$H_PAIR\"}"
[ "$(field "$BODY" value)" = "$POINT_BEFORE" ] || fail "secret-1 changed"
answers root GET /keypair/secret-1 200
answers root GET /keypair/allowed-stolen 404
answers root POST /sign 200 "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$(b64 m)\"}}"
[ "$(field "$BODY" signature)" = "$MAC_BEFORE" ] || fail "secret-key was overwritten"
answers root POST /decrypt 200 "{\"keyHandle\":\"$H_KEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"ciphertext\":\"$CIPHERTEXT\"}"
[ "$(field "$BODY" plaintext)" = "$(b64 'root secret')" ] || fail "decrypt after the attempts: $BODY"
answers root POST /derivedkey/export 200 "{\"keyHandle\":\"$H_DERIVED\"}"

# --- uid 65534 on 'allowed-*': every route works ---------------------------------------------------------
answers nobody POST /keypair 200 '{"keyId":"allowed-1","preferredAlgorithms":"ec-p256"}'
H_MINE=$(handle)
answers nobody GET /keypair/allowed-1 200
for name in algorithm ec-curve-oid ec-point engine security-level; do
  answers nobody POST "/parameters/$name" 200 "{\"keyHandle\":\"$H_MINE\"}"
done
answers nobody POST /parameters/ec-point 200 "{\"keyHandle\":\"$H_MINE\"}"
MY_POINT=$(field "$BODY" value)
answers nobody POST /sign 200 "{\"keyHandle\":\"$H_MINE\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
SIGNATURE=$(field "$BODY" signature)
# The signature verifies with `openssl pkeyutl -verify` against the point keyd reported (as an SPKI).
python3 - "$MY_POINT" "$SIGNATURE" "$DIGEST" "$DIR" <<'EOF'
import base64, sys
point, sig, digest, d = sys.argv[1:5]
spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + base64.b64decode(point)
open(d + "/mine.der", "wb").write(spki)
open(d + "/mine.sig", "wb").write(base64.b64decode(sig))
open(d + "/mine.dgst", "wb").write(base64.b64decode(digest))
EOF
openssl pkeyutl -verify -pubin -keyform DER -inkey "$DIR/mine.der" -in "$DIR/mine.dgst" -sigfile "$DIR/mine.sig" >/dev/null 2>&1 ||
  fail "the signature made for uid 65534 does not verify"
answers nobody PUT /keypair/allowed-imported 200 "{\"pkcs8\":\"$PKCS8\"}"
answers nobody POST /keypair/allowed-2 204 '{"from":"allowed-imported"}'
answers nobody GET /keypair/allowed-imported 404
answers nobody GET /keypair/allowed-made-by-root 200
answers nobody POST /key 200 '{"keyId":"allowed-key","usage":"derive,encrypt,sign"}'
H_MYKEY=$(handle)
answers nobody GET /key/allowed-key 200
answers nobody POST /encrypt 200 "{\"keyHandle\":\"$H_MYKEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"plaintext\":\"$(b64 mine)\"}"
MY_CT=$(field "$BODY" ciphertext)
answers nobody POST /decrypt 200 "{\"keyHandle\":\"$H_MYKEY\",\"algorithm\":\"AEAD\",$AEAD_PARAMS,\"ciphertext\":\"$MY_CT\"}"
[ "$(field "$BODY" plaintext)" = "$(b64 mine)" ] || fail "round trip as uid 65534: $BODY"
answers nobody POST /sign 200 "{\"keyHandle\":\"$H_MYKEY\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$(b64 m)\"}}"
answers nobody POST /derivedkey 200 "{\"baseKeyHandle\":\"$H_MYKEY\",\"derivationData\":\"$(b64 d)\"}"
H_MYDERIVED=$(handle)
answers nobody POST /derivedkey/export 200 "{\"keyHandle\":\"$H_MYDERIVED\"}"

# --- listing and /version ----------------------------------------------------------------------------------
answers nobody GET /keypairs 200
LISTED=$(python3 -c 'import json,sys; print(" ".join(sorted(k["keyId"] for k in json.loads(sys.argv[1])["keys"])))' "$BODY")
[ "$LISTED" = "allowed-1 allowed-2 allowed-made-by-root" ] || fail "uid 65534 lists '$LISTED'"
answers root GET /keypairs 200
LISTED=$(python3 -c 'import json,sys; print(" ".join(sorted(k["keyId"] for k in json.loads(sys.argv[1])["keys"])))' "$BODY")
[ "$LISTED" = "allowed-1 allowed-2 allowed-made-by-root secret-1 secret-rsa" ] || fail "root lists '$LISTED'"
answers stranger GET /keypairs 200
[ "$BODY" = '{"keys":[]}' ] || fail "a stranger lists $BODY"
answers nobody GET /version 200
[ "$(field "$BODY" name)" = "edgesec-keyd" ] || fail "/version for uid 65534: $BODY"
answers stranger GET /version 200

# Deleting its own keys works last (so that the checks above saw them).
answers nobody DELETE /keypair 204 "{\"keyHandle\":\"$H_MINE\"}"
answers nobody GET /keypair/allowed-1 404
answers nobody DELETE /key 204 "{\"keyHandle\":\"$H_MYKEY\"}"

if [ "$FAILED" -ne 0 ]; then
  echo "$FAILED check(s) failed; keyd log:" >&2
  cat "$DIR/keyd.log" >&2
  exit 1
fi
echo "all authorization checks passed"
