#!/bin/bash
# The quickstart Edge CA and module server certs through the workload API, on the embedded defaults
# (no config at all): the Edge CA's extensions, a module cert's names and EKU, a real TLS handshake
# with hostname checking against the trust bundle (the seed's "Is this really EdgeGateway?"), the
# wire shape of the workload API, and its errors.
. "$(dirname "$0")/lib.sh"

up

# --- The Edge CA
edgectl ca show --json > "$DIR/ca.json" || fail "edgectl ca show"
json pem < "$DIR/ca.json" > "$DIR/edge-ca.pem"
openssl x509 -in "$DIR/edge-ca.pem" -noout -text > "$DIR/edge-ca.txt"
HOST=$(hostname)
check "Edge CA subject is 'edgesec Edge CA <hostname>'" \
  grep -q "Subject: CN = edgesec Edge CA ${HOST:0:48}" "$DIR/edge-ca.txt"
check "Edge CA is self-signed" openssl verify -CAfile "$DIR/edge-ca.pem" "$DIR/edge-ca.pem"
check "basicConstraints critical CA:TRUE pathlen:0" \
  grep -A1 -q "X509v3 Basic Constraints: critical" "$DIR/edge-ca.txt"
grep -A1 "X509v3 Basic Constraints: critical" "$DIR/edge-ca.txt" | grep -q "CA:TRUE, pathlen:0" \
  && pass "pathlen:0" || fail "Edge CA basicConstraints: $(grep -A1 'Basic Constraints' "$DIR/edge-ca.txt")"
grep -A1 "X509v3 Key Usage: critical" "$DIR/edge-ca.txt" | grep -q "Digital Signature, Certificate Sign" \
  && pass "keyUsage critical digitalSignature keyCertSign" \
  || fail "Edge CA keyUsage: $(grep -A1 'Key Usage' "$DIR/edge-ca.txt")"
NB=$(date -d "$(openssl x509 -in "$DIR/edge-ca.pem" -noout -startdate | cut -d= -f2)" +%s)
NA=$(date -d "$(openssl x509 -in "$DIR/edge-ca.pem" -noout -enddate | cut -d= -f2)" +%s)
DAYS=$(( (NA - NB) / 86400 ))
[ "$DAYS" -ge 89 ] && [ "$DAYS" -le 90 ] && pass "Edge CA lives 90 days" || fail "Edge CA lives $DAYS days"

# --- A module server cert and a real TLS handshake
mkdir -p "$DIR/edgehub"
module_cert edgehub edgegateway.local "$DIR/edgehub" || fail "edgectl module cert edgehub"
openssl x509 -in "$DIR/edgehub/leaf.pem" -noout -text > "$DIR/leaf.txt"
check "leaf CN is the common name" grep -q "Subject: CN = edgegateway.local" "$DIR/leaf.txt"
grep -A1 "Subject Alternative Name" "$DIR/leaf.txt" | grep -q "DNS:edgegateway.local, DNS:edgehub" \
  && pass "SANs: the common name and the module id" \
  || fail "SANs: $(grep -A1 'Subject Alternative Name' "$DIR/leaf.txt")"
grep -A1 "Extended Key Usage" "$DIR/leaf.txt" | grep -q "TLS Web Server Authentication" \
  && pass "EKU serverAuth" || fail "EKU: $(grep -A1 'Extended Key Usage' "$DIR/leaf.txt")"
grep -q "CA:FALSE" "$DIR/leaf.txt" && pass "leaf is not a CA" || fail "leaf basicConstraints"
LNA=$(date -d "$(openssl x509 -in "$DIR/edgehub/leaf.pem" -noout -enddate | cut -d= -f2)" +%s)
LDAYS=$(( (LNA - $(date +%s)) / 86400 ))
[ "$LDAYS" -ge 29 ] && [ "$LDAYS" -le 30 ] && pass "module cert lives 30 days" || fail "module cert lives $LDAYS days"
check "key is PKCS#8 ('BEGIN PRIVATE KEY')" grep -q "BEGIN PRIVATE KEY" "$DIR/edgehub/edgehub.key.pem"
[ "$(openssl pkey -in "$DIR/edgehub/edgehub.key.pem" -pubout)" = "$(openssl x509 -in "$DIR/edgehub/leaf.pem" -noout -pubkey)" ] \
  && pass "the key matches the cert" || fail "the key does not match the cert"
check "key is EC P-256" sh -c "openssl pkey -in '$DIR/edgehub/edgehub.key.pem' -noout -text | grep -q 'prime256v1'"
check "openssl verify with the trust bundle and hostname edgegateway.local" \
  openssl verify -CAfile "$DIR/edgehub/trust-bundle.pem" -untrusted "$DIR/edgehub/chain.pem" \
  -verify_hostname edgegateway.local "$DIR/edgehub/leaf.pem"
if openssl verify -CAfile "$DIR/edgehub/trust-bundle.pem" -untrusted "$DIR/edgehub/chain.pem" \
  -verify_hostname other.local "$DIR/edgehub/leaf.pem" >/dev/null 2>&1; then
  fail "a wrong hostname verified"
else
  pass "a wrong hostname does not verify"
fi
if tls_handshake "$DIR/edgehub" edgegateway.local; then
  grep -q "Verification: OK" "$DIR/edgehub/s_client.log" && grep -q "Verified peername: edgegateway.local" "$DIR/edgehub/s_client.log" \
    && pass "TLS handshake verified edgegateway.local against the trust bundle" \
    || fail "s_client did not report a verified peer: $(cat "$DIR/edgehub/s_client.log")"
else
  fail "TLS handshake failed: $(tail -5 "$DIR/edgehub/s_client.log")"
fi
if tls_handshake "$DIR/edgehub" intruder.local; then
  fail "s_client accepted a wrong hostname"
else
  grep -qi "hostname mismatch" "$DIR/edgehub/s_client.log" && pass "s_client refuses a wrong hostname (hostname mismatch)" \
    || fail "wrong hostname failed for another reason: $(tail -3 "$DIR/edgehub/s_client.log")"
fi

# --- The workload API's wire shape (as IoT Edge modules call it)
call workload POST '/modules/%24edgeHub/genid/637/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local"}'
[ "$STATUS" = 201 ] && pass "POST …/certificate/server → 201" || fail "server cert: $STATUS $BODY"
[ "$(echo "$BODY" | json privateKey.type)" = key ] && pass "privateKey.type = key" || fail "privateKey.type: $BODY"
echo "$BODY" | json privateKey.bytes | grep -q "BEGIN PRIVATE KEY" && pass "privateKey.bytes is PKCS#8 PEM" || fail "privateKey.bytes"
EXP=$(echo "$BODY" | json expiration)
[[ "$EXP" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] && pass "expiration is RFC 3339 ($EXP)" || fail "expiration '$EXP'"
echo "$BODY" | json certificate > "$DIR/edgehub2.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/edgehub2.pem")" -ge 2 ] && pass "certificate is leaf + chain" || fail "certificate is not leaf + chain"
openssl x509 -in "$DIR/edgehub2.pem" -noout -ext subjectAltName | grep -q "DNS:edgehub" \
  && pass "\$edgeHub becomes DNS:edgehub" || fail "module SAN for \$edgeHub: $(openssl x509 -in "$DIR/edgehub2.pem" -noout -ext subjectAltName)"
SERIAL1=$(openssl x509 -in "$DIR/edgehub2.pem" -noout -serial)
call workload POST '/modules/%24edgeHub/genid/637/certificate/server?api-version=2018-06-28' '{"commonName":"edgegateway.local"}'
echo "$BODY" | json certificate > "$DIR/edgehub3.pem"
[ "$SERIAL1" != "$(openssl x509 -in "$DIR/edgehub3.pem" -noout -serial)" ] && pass "each request issues a fresh cert" || fail "same serial twice"

call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2022-08-03' '{"commonName":"10.1.2.3"}'
echo "$BODY" | json certificate | openssl x509 -noout -ext subjectAltName | grep -q "IP Address:10.1.2.3" \
  && pass "an address as common name becomes an IP SAN" || fail "IP SAN: $STATUS $BODY"

SOON=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2020-07-07' "{\"commonName\":\"edgegateway.local\",\"expiration\":\"$SOON\"}"
END=$(echo "$BODY" | json certificate | openssl x509 -noout -enddate | cut -d= -f2)
[ "$(date -d "$END" +%s)" -le "$(date -d "$SOON" +%s)" ] && pass "an earlier expiration is honoured" || fail "expiration not honoured: $END vs $SOON"

call workload POST '/modules/edgehub/genid/1/certificate/identity?api-version=2019-01-30' '{}'
[ "$STATUS" = 201 ] || fail "identity cert: $STATUS $BODY"
echo "$BODY" | json certificate | openssl x509 -noout -subject -ext extendedKeyUsage > "$DIR/id.txt"
grep -q "CN = edgehub" "$DIR/id.txt" && grep -q "TLS Web Client Authentication" "$DIR/id.txt" \
  && pass "identity cert: CN = module id, EKU clientAuth" || fail "identity cert: $(cat "$DIR/id.txt")"
call workload POST '/modules/edgehub/certificate/identity?api-version=2019-01-30' '{}'
[ "$STATUS" = 201 ] && pass "identity cert without genid" || fail "identity cert without genid: $STATUS $BODY"

call workload GET '/trust-bundle?api-version=2018-06-28'
[ "$STATUS" = 200 ] && echo "$BODY" | json certificate | openssl x509 -noout -subject | grep -q "edgesec Edge CA" \
  && pass "GET /trust-bundle holds the Edge CA" || fail "trust bundle: $STATUS $BODY"
call identityd GET '/trust-bundle?api-version=2020-09-01'
[ "$STATUS" = 200 ] && pass "identityd.sock serves the trust bundle too" || fail "identity trust bundle: $STATUS"

# --- Errors
call workload POST '/modules/edgehub/genid/1/certificate/server' '{"commonName":"x"}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "api-version not specified" && pass "missing api-version → 400" || fail "no api-version: $STATUS $BODY"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2017-01-01' '{"commonName":"x"}'
[ "$STATUS" = 400 ] && pass "unknown api-version → 400" || fail "bad api-version: $STATUS $BODY"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "commonName" && pass "missing commonName → 400 naming it" || fail "no commonName: $STATUS $BODY"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local","expiration":"tomorrow"}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "expiration" && pass "bad expiration → 400 naming it" || fail "bad expiration: $STATUS $BODY"
call workload POST '/modules/bad%2Fid/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"x"}'
[ "$STATUS" = 400 ] && pass "bad module id → 400" || fail "bad module id: $STATUS $BODY"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' 'not json'
[ "$STATUS" = 422 ] && pass "garbage body → 422" || fail "garbage body: $STATUS $BODY"

# --- Local module identities on identityd.sock
call identityd POST '/identities/modules?api-version=2021-12-01' '{"type":"local","moduleId":"sensor","localIdOpts":{"type":"x509","attributes":"client"}}'
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json type)" = local ] && pass "POST /identities/modules (local)" || fail "create module: $STATUS $BODY"
echo "$BODY" | json spec.auth.certificate | openssl x509 -noout -ext extendedKeyUsage | grep -q "Client Authentication" \
  && pass "client attributes → EKU clientAuth" || fail "module identity EKU"
call identityd GET '/identities/modules?api-version=2020-09-01'
echo "$BODY" | grep -q '"sensor"' && pass "GET /identities/modules lists it" || fail "list modules: $BODY"
call identityd GET '/identities/modules/sensor?api-version=2020-09-01'
[ "$STATUS" = 200 ] && pass "GET /identities/modules/sensor" || fail "get module: $STATUS $BODY"
call identityd POST '/identities/modules?api-version=2020-09-01' '{"type":"aziot","moduleId":"hubmod"}'
[ "$STATUS" = 400 ] && pass "hub identities → 400" || fail "aziot module: $STATUS $BODY"
down; up
call identityd GET '/identities/modules/sensor?api-version=2020-09-01'
[ "$STATUS" = 200 ] && pass "module identities survive a restart" || fail "after restart: $STATUS $BODY"
call identityd DELETE '/identities/modules/sensor?api-version=2020-09-01'
[ "$STATUS" = 204 ] && pass "DELETE /identities/modules/sensor" || fail "delete module: $STATUS $BODY"
call identityd GET '/identities/modules/sensor?api-version=2020-09-01'
[ "$STATUS" = 404 ] && pass "deleted module → 404" || fail "deleted module: $STATUS $BODY"
call identityd GET '/identities/identity?api-version=2020-09-01'
[ "$STATUS" = 404 ] && echo "$BODY" | grep -q "device_identity" && pass "no device identity configured → 404 saying how" || fail "identity without config: $STATUS $BODY"

finish
