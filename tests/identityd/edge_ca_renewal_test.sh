#!/bin/bash
# Edge CA renewal as modules see it: a renewed quickstart Edge CA (certd renews it) is picked up by
# identityd from certd's events, the on_change hook runs once, the trust bundle carries old and new,
# and new module certs come from the new one while old ones still verify. An expired Edge CA (the
# clocks of certd and identityd moved 100 days ahead through EDGESEC_TEST_CLOCK_FILE, with certd's
# own renewal turned off) is renewed before any module cert is issued from it.
. "$(dirname "$0")/lib.sh"

export EDGESEC_TEST_CLOCK_FILE=$DIR/clock-offset
echo 0 > "$EDGESEC_TEST_CLOCK_FILE"
mkdir -p "$DIR/etc/edgesec/certd" "$DIR/etc/edgesec/identityd"
cat > "$DIR/etc/edgesec/identityd/config.toml" <<CFG
[edge_ca]
on_change = ["/bin/sh", "-c", "echo \"\$EDGESEC_EDGE_CA_OLD_SHA256 \$EDGESEC_EDGE_CA_NEW_SHA256\" >> $DIR/hook.log"]
CFG
cat > "$DIR/etc/edgesec/certd/config.toml" <<'CFG'
[edge_ca]
quickstart = false

[[credential]]
cert_id = "edge-ca"
method = "self_signed"
profile = "edge-ca"
common_name = "Test Edge CA"
auto_renew = false
CFG
up
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

for _ in $(seq 100); do edgectl ca show --json > "$DIR/ca1.json" 2>/dev/null && break; sleep 0.1; done
json pem < "$DIR/ca1.json" > "$DIR/ca1.pem" || fail "edgectl ca show"
mkdir -p "$DIR/m1"
module_cert edgehub edgegateway.local "$DIR/m1" || fail "module cert from the first Edge CA"

# --- "Renew if needed" (what identityd asks when it finds the Edge CA missing or expired) leaves a
# valid, not-due Edge CA alone: no second Edge CA right after certd's own issuance or renewal.
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{"ifNeeded":true}'
echo "$BODY" | json pem > "$DIR/ca1-again.pem"
[ "$STATUS" = 200 ] && [ "$(fp "$DIR/ca1-again.pem")" = "$(fp "$DIR/ca1.pem")" ] \
  && pass "ifNeeded on a valid Edge CA answers it unchanged" || fail "ifNeeded: $STATUS $BODY"
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{"ifNeeded":"yes"}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "ifNeeded" && pass "ifNeeded must be a boolean" || fail "ifNeeded type: $STATUS $BODY"

# --- A renewal through certd (as its renewal engine or `edgectl cert renew edge-ca` does it)
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{}'
[ "$STATUS" = 200 ] && pass "certd renewed the Edge CA" || fail "renew edge-ca: $STATUS $BODY"
echo "$BODY" | json pem > "$DIR/ca2.pem"
[ "$(fp "$DIR/ca1.pem")" != "$(fp "$DIR/ca2.pem")" ] && pass "a new Edge CA cert" || fail "same Edge CA after renewal"
for _ in $(seq 100); do [ -s "$DIR/hook.log" ] && break; sleep 0.1; done
[ "$(cat "$DIR/hook.log" 2>/dev/null)" = "$(fp "$DIR/ca1.pem") $(fp "$DIR/ca2.pem")" ] \
  && pass "identityd saw the change through certd's events and ran the hook once" \
  || fail "hook log '$(cat "$DIR/hook.log" 2>/dev/null)'"
mkdir -p "$DIR/m2"
module_cert edgehub edgegateway.local "$DIR/m2" || fail "module cert after renewal"
check "new module certs chain to the new Edge CA" openssl verify -CAfile "$DIR/ca2.pem" "$DIR/m2/leaf.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/m2/trust-bundle.pem")" = 2 ] && pass "the trust bundle holds old and new Edge CA" \
  || fail "bundle holds $(grep -c 'BEGIN CERTIFICATE' "$DIR/m2/trust-bundle.pem") certs"
check "a module cert from the old Edge CA still verifies against the bundle" \
  openssl verify -CAfile "$DIR/m2/trust-bundle.pem" "$DIR/m1/leaf.pem"
tls_handshake "$DIR/m2" edgegateway.local && pass "TLS handshake on the new module cert" || fail "handshake after renewal"
edgectl ca show | grep -q "Edge CAs in the trust bundle: 2" && pass "edgectl ca show counts both" || fail "ca show after renewal"

# --- An expired Edge CA is renewed before it issues
echo $((100 * 86400)) > "$EDGESEC_TEST_CLOCK_FILE"
mkdir -p "$DIR/m3"
module_cert edgehub edgegateway.local "$DIR/m3" || fail "module cert with an expired Edge CA"
NOW=$(( $(date +%s) + 100 * 86400 ))  # after the issuance: the cert's notBefore is certd's "now"
split_chain "$DIR/m3/edgehub.cert.pem" "$DIR/m3/leaf.pem" "$DIR/m3/ca3.pem"
[ "$(fp "$DIR/m3/ca3.pem")" != "$(fp "$DIR/ca2.pem")" ] && pass "the expired Edge CA was renewed first" || fail "issued from the expired Edge CA"
if openssl verify -attime "$NOW" -CAfile "$DIR/m3/ca3.pem" -verify_hostname edgegateway.local "$DIR/m3/leaf.pem" > "$DIR/m3/verify.log" 2>&1; then
  pass "the module cert verifies at the moved clock"
else
  fail "the module cert does not verify at the moved clock: $(cat "$DIR/m3/verify.log"; openssl x509 -in "$DIR/m3/leaf.pem" -noout -dates; openssl x509 -in "$DIR/m3/ca3.pem" -noout -dates)"
fi
[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/m3/trust-bundle.pem")" = 1 ] && pass "expired Edge CAs leave the trust bundle" \
  || fail "bundle at +100 days holds $(grep -c 'BEGIN CERTIFICATE' "$DIR/m3/trust-bundle.pem") certs"

# --- A clock before this build's date (a gateway booting without RTC or NTP): nothing is issued
echo $(( -10 * 365 * 86400 )) > "$EDGESEC_TEST_CLOCK_FILE"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local"}'
[ "$STATUS" = 503 ] && echo "$BODY" | grep -q "until the clock is set" && echo "$HEADERS" | grep -qi "^Retry-After" \
  && pass "an implausible clock → 503 with Retry-After, nothing issued" || fail "implausible clock: $STATUS $BODY"
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{}'
[ "$STATUS" = 503 ] && pass "… and no renewal either" || fail "renew with an implausible clock: $STATUS $BODY"

finish
