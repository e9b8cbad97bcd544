#!/bin/bash
# certd's write authorization (DESIGN.md, "Authorization"): certd.sock open to every uid, one principal
# (uid 65534, certs 'allowed-*'). As 65534 and as a uid with no principal (65533), every route that
# writes a cert root owns — PUT (import), DELETE, POST /certificates (for a root cert id, and for an
# allowed id with a foreign issuer) and POST renew — answers 401 "user <uid> is not authorized to …" and
# leaves certd's store byte for byte as it was. The same routes on 'allowed-*' succeed, so the 401s are
# the principal check and not some other refusal. Needs root to drop to other uids (setpriv): skipped
# (77) otherwise.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: must run as root to drop to other uids with setpriv" >&2; exit 77; fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv is not installed" >&2; exit 77; }

mkdir -p "$DIR/etc/edgesec/certd" "$DIR/etc/edgesec/keyd"
cat > "$DIR/etc/edgesec/certd/config.toml" <<'CFG'
socket_mode = "0666"

[[principal]]
uid = 65534
certs = ["allowed-*"]
CFG
cat > "$DIR/etc/edgesec/keyd/config.toml" <<'CFG'
[[principal]]
uid = 65534
keys = ["allowed-*"]
CFG
up
STORE=$DIR/var/lib/edgesec/certd

for _ in $(seq 100); do
  call certd GET '/certificates/edge-ca?api-version=2020-09-01'
  [ "$STATUS" = 200 ] && break
  sleep 0.1
done
[ "$STATUS" = 200 ] || { fail "the quickstart Edge CA was not issued: $STATUS $BODY"; exit 1; }

# A cert root imports (a self-signed CA made by openssl), and the PEM body of it for imports.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/ca.key" \
  -out "$DIR/ca.pem" -subj /CN=test-ca -days 30 -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
PEM_JSON=$(python3 -c 'import json,sys; print(json.dumps({"pem": open(sys.argv[1]).read()}))' "$DIR/ca.pem")
call certd PUT '/certificates/victim?api-version=2020-09-01' "$PEM_JSON"
[ "$STATUS" = 201 ] || fail "root imports 'victim': $STATUS $BODY"

# A CSR for POST /certificates (any key: certd signs what the CSR names).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/leaf.key" \
  -subj /CN=leaf -out "$DIR/leaf.csr" 2>/dev/null
CSR_B64=$(openssl req -in "$DIR/leaf.csr" -outform DER | base64 -w0)

snapshot() { (cd "$STORE" && find . -type f -print0 | sort -z | xargs -0 sha256sum) ; }
BEFORE=$(snapshot)

denied() { unauthorized certd snapshot "$@"; }

for who in 65534 65533; do
  denied "$who" PUT /certificates/victim "$PEM_JSON"
  denied "$who" PUT /certificates/edge-ca "$PEM_JSON"
  denied "$who" PUT /certificates/newcert "$PEM_JSON"
  denied "$who" DELETE /certificates/victim
  denied "$who" DELETE /certificates/edge-ca
  denied "$who" POST /certificates "{\"certId\":\"victim\",\"csr\":\"$CSR_B64\"}"
  denied "$who" POST /certificates "{\"certId\":\"newcert\",\"csr\":\"$CSR_B64\"}"
  denied "$who" POST /credentials/edge-ca/renew '{}'
  denied "$who" GET /certificates/victim
done
# An allowed id, but signed by an issuer the caller may not use: the issuer is checked too.
denied 65534 POST /certificates \
  "{\"certId\":\"allowed-leaf\",\"csr\":\"$CSR_B64\",\"issuer\":{\"certId\":\"edge-ca\"}}"
denied 65533 POST /certificates "{\"certId\":\"allowed-leaf\",\"csr\":\"$CSR_B64\"}"

# The same routes on the principal's own ids succeed: the 401s above came from the principal check.
call certd PUT '/certificates/allowed-imp?api-version=2020-09-01' "$PEM_JSON" 65534
[ "$STATUS" = 201 ] && pass "uid 65534 imports its own 'allowed-imp' → 201" || fail "own import: $STATUS $BODY"
call certd GET '/certificates/allowed-imp?api-version=2020-09-01' '' 65534
[ "$STATUS" = 200 ] && pass "uid 65534 reads it back" || fail "own read: $STATUS $BODY"
call certd DELETE '/certificates/allowed-imp?api-version=2020-09-01' '' 65534
[ "$STATUS" = 204 ] && pass "uid 65534 deletes it → 204" || fail "own delete: $STATUS $BODY"
call certd POST '/certificates?api-version=2020-09-01' "{\"certId\":\"allowed-self\",\"csr\":\"$CSR_B64\"}" 65534
# Without an issuer and without a credential certd cannot say how to sign it: anything but 401.
[ "$STATUS" != 401 ] && pass "uid 65534 POST /certificates for its own id is not refused as unauthorized ($STATUS)" \
  || fail "own issuance refused as unauthorized: $BODY"
[ "$(snapshot)" = "$BEFORE" ] || fail "the principal's own import and delete left the store changed"

# Root still finds its certs as they were.
call certd GET '/certificates/victim?api-version=2020-09-01'
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json pem | openssl x509 -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$DIR/ca.pem" -noout -fingerprint -sha256)" ] \
  && pass "root's 'victim' is unchanged" || fail "victim after the attempts: $STATUS $BODY"

[ "$FAILED" -eq 0 ] || { echo "$FAILED check(s) failed" >&2; exit 1; }
echo "all checks passed"
