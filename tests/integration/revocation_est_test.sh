#!/bin/bash
# A revoked EST-issued cert is re-enrolled at once with a new key (issue 16, item 1): certd enrolls
# from the EST test server (tests/est/est_server.py), whose certs name a CRL distribution point on
# the test's own HTTP server; the cert is revoked with `openssl ca -revoke` + `-gencrl` using the
# server's issuing CA; certd finds it in the CRL, and re-enrolls through /simpleenroll with HTTP
# Basic (not /simplereenroll: the revoked cert cannot authenticate) under a new key id with a new
# public key; history reason `revoked`; the new cert passes `openssl verify`.
. "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/ca.crl
WWW=$DIR/www
mkdir -p "$WWW" "$DIR/etc/edgesec/certd" "$DIR/ca"
: >"$DIR/hits"
python3 "$(dirname "$0")/crl_server.py" "$WWW" "$PORT" &
CRL_PID=$!
EST=$DIR/est
mkdir -p "$EST"
python3 "$EDGESEC_SOURCE_ROOT/tests/est/est_server.py" --dir "$EST" --port-file "$EST/port" \
  --log "$EST/requests.log" --user estuser --password pw --crl-url "$URL" >"$EST/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $CRL_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$EST/port" ] && break; sleep 0.1; done
ESTPORT=$(cat "$EST/port")
: >"$DIR/ca/index.txt"
echo 01 >"$DIR/ca/crlnumber"
cat >"$DIR/ca/ca.cnf" <<CNF
[ca]
default_ca = est_ca
[est_ca]
database = $DIR/ca/index.txt
crlnumber = $DIR/ca/crlnumber
certificate = $EST/ca.pem
private_key = $EST/ca.key
default_md = sha256
default_crl_hours = 1
CNF
publish() { openssl ca -config "$DIR/ca/ca.cnf" -batch -gencrl -out "$DIR/crl.pem" 2>>"$DIR/openssl.log" &&
  openssl crl -in "$DIR/crl.pem" -outform DER -out "$WWW/ca.crl"; }
publish

cat >"$DIR/etc/edgesec/certd/config.toml" <<CFG
[renewal]
tick = "1s"

[est]
url = "https://estuser:pw@127.0.0.1:$ESTPORT"
trusted_certs = ["$EST/root.pem"]

[[credential]]
cert_id = "device-id"
key_id = "device-key"
method = "est"
common_name = "device-1"

[[credential]]
cert_id = "kg-id"
key_id = "kg-key"
method = "est"
common_name = "device-kg"
server_keygen = true

[edge_ca]
quickstart = false
CFG
up
edgectl cert enroll device-id >/dev/null 2>"$DIR/enroll.err" && pass "enrolled" || fail "enroll: $(cat "$DIR/enroll.err")"
get() { call certd GET "/certificates/device-id?api-version=2020-09-01"; }
get; echo "$BODY" | json pem >"$DIR/old.pem"
OLD_SERIAL=$(openssl x509 -in "$DIR/old.pem" -noout -serial | cut -d= -f2)
OLD_PUB=$(openssl x509 -in "$DIR/old.pem" -noout -pubkey | sha256sum)
openssl x509 -in "$DIR/old.pem" -noout -ext crlDistributionPoints 2>/dev/null | grep -q "$URL" &&
  pass "the EST cert names the CRL distribution point" || fail "no CRL DP in the enrolled cert"
call certd POST "/certificates/device-id/revocation-check?api-version=2020-09-01"
[ "$(echo "$BODY" | json revocation.state)" = good ] && pass "good before the revocation" || fail "check: $STATUS $BODY"

openssl x509 -in "$DIR/old.pem" -out "$DIR/old-leaf.pem"
openssl ca -config "$DIR/ca/ca.cnf" -batch -revoke "$DIR/old-leaf.pem" -crl_reason keyCompromise 2>>"$DIR/openssl.log"
publish
: >"$EST/requests.log"
call certd POST "/certificates/device-id/revocation-check?api-version=2020-09-01"
[ "$STATUS" = 200 ] || fail "revocation-check after revoke: $STATUS $BODY"
for _ in $(seq 50); do
  get; [ "$(echo "$BODY" | json revocation.state 2>/dev/null)" = good ] && break; sleep 0.2
done
echo "$BODY" | json pem >"$DIR/new.pem"
NEW_SERIAL=$(openssl x509 -in "$DIR/new.pem" -noout -serial | cut -d= -f2)
NEW_PUB=$(openssl x509 -in "$DIR/new.pem" -noout -pubkey | sha256sum)
[ "$NEW_SERIAL" != "$OLD_SERIAL" ] && pass "a new cert (serial $NEW_SERIAL)" || fail "same serial $NEW_SERIAL"
[ "$NEW_PUB" != "$OLD_PUB" ] && pass "with a new public key" || fail "the same public key"
[ "$(echo "$BODY" | json status)" = active ] && [ "$(echo "$BODY" | json revocation.state)" = good ] &&
  pass "the new cert is active and good by the CRL" || fail "new cert: $BODY"
split_chain "$DIR/new.pem" "$DIR/new-leaf.pem" "$DIR/new-chain.pem"
check "openssl verify of the new cert" openssl verify -CAfile "$EST/root.pem" -untrusted "$DIR/new-chain.pem" "$DIR/new-leaf.pem"
python3 - "$EST/requests.log" <<'PY' && pass "re-enrolled through /simpleenroll with HTTP Basic, not /simplereenroll" || fail "EST requests: $(cat "$EST/requests.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
paths = [r["path"] for r in reqs]
ok = any(p.endswith("/simpleenroll") and r.get("user", "").startswith("estuser") for p, r in zip(paths, reqs))
sys.exit(0 if ok and not any(p.endswith("/simplereenroll") for p in paths) else 1)
PY
H=$(edgectl --json cert history device-id)
echo "$H" | python3 -c '
import json, sys
g = json.load(sys.stdin)["generations"]
old, new = g[-2], g[-1]
assert old["revoked"]["reason"] == "keyCompromise", old
assert new["reason"] == "revoked", new
assert new["keyId"] != old["keyId"], (new["keyId"], old["keyId"])
print(old["keyId"], "->", new["keyId"])' >"$DIR/keys" 2>&1 &&
  pass "history: the old generation revoked, the new one reason revoked, key $(cat "$DIR/keys")" || fail "history: $(cat "$DIR/keys") $H"
grep -q '"cert.revoke"' "$DIR/var/log/edgesec/audit.jsonl" && pass "audit cert.revoke" || fail "no cert.revoke in the audit log"
grep -q "neither a bootstrap identity nor HTTP Basic" "$DIR/var/log/edgesec/certd.log" &&
  fail "certd says it had no HTTP Basic, with the URL's userinfo configured" ||
  pass "no false 'neither bootstrap identity nor HTTP Basic' notice (Basic from the URL's userinfo)"

# A server_keygen credential: re-enrolled through /serverkeygen with HTTP Basic — the revoked cert is
# not its TLS client identity either.
edgectl cert enroll kg-id >/dev/null 2>"$DIR/enroll.err" && pass "server_keygen credential enrolled" ||
  fail "enroll kg-id: $(cat "$DIR/enroll.err")"
call certd GET "/certificates/kg-id?api-version=2020-09-01"
echo "$BODY" | json pem >"$DIR/kg-old.pem"
KG_SERIAL=$(openssl x509 -in "$DIR/kg-old.pem" -noout -serial | cut -d= -f2 | sed 's/^0*//')
KG_PUB=$(openssl x509 -in "$DIR/kg-old.pem" -noout -pubkey | sha256sum)
openssl x509 -in "$DIR/kg-old.pem" -out "$DIR/kg-old-leaf.pem"
openssl ca -config "$DIR/ca/ca.cnf" -batch -revoke "$DIR/kg-old-leaf.pem" -crl_reason keyCompromise 2>>"$DIR/openssl.log"
publish
: >"$EST/requests.log"
call certd POST "/certificates/kg-id/revocation-check?api-version=2020-09-01"
for _ in $(seq 50); do
  call certd GET "/certificates/kg-id?api-version=2020-09-01"
  [ "$(echo "$BODY" | json revocation.state 2>/dev/null)" = good ] && break; sleep 0.2
done
echo "$BODY" | json pem >"$DIR/kg-new.pem"
[ "$(openssl x509 -in "$DIR/kg-new.pem" -noout -pubkey | sha256sum)" != "$KG_PUB" ] &&
  [ "$(echo "$BODY" | json status)" = active ] && pass "server_keygen: a new cert with a new key, active" ||
  fail "server_keygen after revocation: $BODY"
python3 - "$EST/requests.log" "$KG_SERIAL" <<'PY' && pass "server_keygen: /serverkeygen with HTTP Basic, never with the revoked cert" || fail "EST requests (revoked serial $KG_SERIAL, new $(openssl x509 -in "$DIR/kg-new.pem" -noout -serial)): $(cat "$EST/requests.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kg = [r for r in reqs if r["path"].endswith("/serverkeygen")]
ok = kg and all(r.get("user", "") and r.get("user").startswith("estuser") for r in kg)
sys.exit(0 if ok and not any(r.get("client_serial") == sys.argv[2] for r in reqs) else 1)
PY
finish
