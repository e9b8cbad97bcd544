#!/bin/bash
# Revocation of certd's own certs by OCSP (issue 16, item 1): a test CA run with `openssl ca`, its
# certs naming an OCSP responder (authorityInfoAccess) run by `openssl ocsp` on the test's port;
# two certs preloaded into certd. Signed by the CA: good, source ocsp; a delegated responder (a cert
# the CA issued with OCSPSigning) says dev1 is revoked → status revoked, history, audit; a responder
# signing with an unrelated key is refused with a line saying why, and dev2 stays good.
. "$(dirname "$0")/../identityd/lib.sh"
OPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OURL=http://127.0.0.1:$OPORT
CA=$DIR/ca
mkdir -p "$DIR/etc/edgesec/certd" "$DIR/other"
. "$(dirname "$0")/openssl_ca.sh"
openssl_ca_init "$CA" "authorityInfoAccess = OCSP;URI:$OURL"
openssl_ca_self_signed "$CA" "OCSP Test CA"
openssl_ca_self_signed "$DIR/other" "OCSP Test CA"  # the same name, an unrelated key
openssl_ca_issue dev1 leaf; openssl_ca_issue dev2 leaf; openssl_ca_issue responder responder
for n in dev1 dev2; do cat "$DIR/$n.pem" "$CA/ca.pem" >"$DIR/$n-chain.pem"; done
OCSP_PID=
responder() {  # responder SIGNER-CERT SIGNER-KEY: (re)starts openssl ocsp
  [ -n "$OCSP_PID" ] && { kill "$OCSP_PID" 2>/dev/null; wait "$OCSP_PID" 2>/dev/null; }
  openssl ocsp -index "$CA/index.txt" -CA "$CA/ca.pem" -rsigner "$1" -rkey "$2" -port "$OPORT" \
    -nmin 60 >>"$DIR/ocsp.log" 2>&1 &
  OCSP_PID=$!
  for _ in $(seq 50); do
    openssl ocsp -issuer "$CA/ca.pem" -cert "$DIR/dev2.pem" -url "$OURL" -noverify >/dev/null 2>&1 && break
    sleep 0.1
  done
}
trap '[ -n "$OCSP_PID" ] && kill $OCSP_PID 2>/dev/null; cleanup' EXIT
responder "$CA/ca.pem" "$CA/ca.key"

cat >"$DIR/etc/edgesec/certd/config.toml" <<CFG
[preloaded_certs]
dev1 = "file://$DIR/dev1-chain.pem"
dev2 = "file://$DIR/dev2-chain.pem"
CFG
up
LOG=$DIR/var/log/edgesec/certd.log
check_now() { call certd POST "/certificates/$1/revocation-check?api-version=2020-09-01"; }
state() { echo "$BODY" | json revocation.state; }
for n in dev1 dev2; do
  check_now $n
  [ "$(state)" = good ] && [ "$(echo "$BODY" | json revocation.source)" = ocsp ] &&
    pass "$n good by OCSP (signed by the CA)" || fail "$n: $STATUS $BODY"
done
[ "$(echo "$BODY" | json revocation.nextUpdate)" != null ] && pass "nextUpdate from the answer" || fail "no nextUpdate: $BODY"

openssl ca -config "$CA/ca.cnf" -batch -revoke "$DIR/dev1.pem" -crl_reason keyCompromise 2>>"$DIR/openssl.log"
responder "$DIR/responder.pem" "$DIR/responder.key"  # delegated: issued by the CA for OCSPSigning
check_now dev1
[ "$(state)" = revoked ] && pass "dev1 revoked by the delegated responder" || fail "dev1: $STATUS $BODY"
[ "$(echo "$BODY" | json status)" = revoked ] && pass "dev1 status revoked" || fail "dev1 status: $BODY"
edgectl --json cert history dev1 | python3 -c 'import json,sys; g=json.load(sys.stdin)["generations"][-1]; sys.exit(g["revoked"]["reason"] != "keyCompromise")' &&
  pass "history: revoked, keyCompromise" || fail "history: $(edgectl --json cert history dev1)"
sleep 0.3
grep -q '"cert.revoke"' "$DIR/var/log/edgesec/audit.jsonl" && pass "audit cert.revoke" || fail "no cert.revoke audit event"

responder "$DIR/other/ca.pem" "$DIR/other/ca.key"  # an unrelated key under the CA's name
check_now dev2
[ "$(state)" = good ] && [ "$(echo "$BODY" | json status)" = active ] && pass "dev2 still good after a forged answer" || fail "dev2: $BODY"
grep -q "cert 'dev2': OCSP answer of '$OURL' is refused: the OCSP answer's signature does not verify" "$LOG" &&
  pass "the forged answer is refused with a line saying why" || fail "log: $(grep OCSP "$LOG" | tail -2)"
echo "$BODY" | json revocation.lastError | grep -q "refused" && pass "lastError says it" || fail "lastError: $BODY"
grep -q "cert 'dev1' .* is revoked since .* according to its OCSP responder" "$LOG" && pass "the error line names OCSP" ||
  fail "log: $(grep "is revoked" "$LOG")"
finish
