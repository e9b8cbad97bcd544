# Lamassu's DMS model (issue 11, 7e) end to end: config.toml with only a bootstrap (IDevID)
# identity → `config apply` + `up` → the device identity is enrolled directly with the bootstrap
# cert (no intermediate EST identity with the device's CN), CN = the device id, issued by the
# fixture's CA (openssl verify). A re-enrollment the server refuses as "invalid reenroll window" is
# a scheduled retry (logged so, not as a failure); once the window opens, certd re-enrolls with the
# device cert as TLS client cert and the subject DER of that cert (the fixture compares bytes), the
# server revokes the old cert at issuance and nothing presents it afterwards.
source "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }

LAM=$(mktemp -d /tmp/es-lam-XXXXXX)
# Certs valid for 60 s (plus 60 s back-dated); re-enrollment allowed in the last 30 s.
python3 "$EDGESEC_SOURCE_ROOT/tests/est/lamassu_server.py" --dir "$LAM" --port-file "$LAM/port" \
  --log "$LAM/requests.log" --label dms-01 --bootstrap-cn idevid-0042 --validity 60 \
  --reenroll-delta 30 --revoke-on-reenroll >"$LAM/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$LAM/port" ] && break; sleep 0.1; done
[ -s "$LAM/port" ] || { fail "the Lamassu fixture did not start: $(cat "$LAM/server.log")"; exit 1; }
PORT=$(cat "$LAM/port")

mkdir -p "$DIR/etc/edgesec"
cat >"$DIR/etc/edgesec/config.toml" <<EOF
hostname = "gw-lamassu"

[provisioning]
source = "manual"
[provisioning.authentication]
method = "x509"
[provisioning.authentication.identity_cert]
method = "est"
common_name = "device-0042"
[provisioning.authentication.identity_cert.auto_renew]
threshold = "10%"
retry = "5%"

[cert_issuance.est]
trusted_certs = ["file://$LAM/root.pem"]
[cert_issuance.est.urls]
default = "https://127.0.0.1:$PORT/.well-known/est/dms-01"
[cert_issuance.est.auth]
bootstrap_identity_cert = "file://$LAM/bootstrap.pem"
bootstrap_identity_pk = "file://$LAM/bootstrap.key"
EOF
chmod 600 "$DIR/etc/edgesec/config.toml"
edgectl config apply >"$DIR/apply.out" 2>&1 || { fail "config apply: $(cat "$DIR/apply.out")"; exit 1; }
if grep -q 'est-id' "$DIR/etc/edgesec/certd/config.d/00-super.toml"; then
  fail "apply invented an EST identity: $(cat "$DIR/etc/edgesec/certd/config.d/00-super.toml")"
else pass "apply names no EST identity of its own"; fi
# Test pacing: the scheduler looks every second and may retry after 5 s.
mkdir -p "$DIR/etc/edgesec/certd/config.d"
printf '[renewal]\ntick = "1s"\nretry_floor = "5s"\n' >"$DIR/etc/edgesec/certd/config.d/50-test.toml"
up

pem_of() {  # pem_of CERT_ID: the stored chain, leaf first (certd's API)
  call certd GET "/certificates/$1?api-version=2020-09-01"
  [ "$STATUS" = 200 ] && echo "$BODY" | json pem
}
for _ in $(seq 150); do pem_of device-id >"$DIR/dev1.pem" 2>/dev/null && [ -s "$DIR/dev1.pem" ] && break; sleep 0.2; done
[ -s "$DIR/dev1.pem" ] || { fail "device-id was not enrolled: $(cat "$LAM/requests.log")"; exit 1; }
SUBJ=$(openssl x509 -in "$DIR/dev1.pem" -noout -subject -nameopt RFC2253)
ISSUER=$(openssl x509 -in "$DIR/dev1.pem" -noout -issuer -nameopt RFC2253)
SERIAL1=$(openssl x509 -in "$DIR/dev1.pem" -noout -serial | cut -d= -f2 | sed "s/^0*//")  # as the fixture logs it (%X)
case "$SUBJ" in *CN=device-0042*) pass "device identity CN = the device id";; *) fail "subject: $SUBJ";; esac
case "$ISSUER" in *"Lamassu Test Device CA"*) pass "issued by the fixture's CA";; *) fail "issuer: $ISSUER";; esac
cat "$LAM/device-ca.pem" >"$DIR/untrusted.pem"
check "openssl verify: device cert → device CA → root" \
  openssl verify -CAfile "$LAM/root.pem" -untrusted "$DIR/untrusted.pem" "$DIR/dev1.pem"

enrolls=$(grep '/simpleenroll' "$LAM/requests.log")
if [ "$(echo "$enrolls" | grep -c '"status": 200')" = 1 ] &&
   echo "$enrolls" | grep '"status": 200' | grep -q '"client_subject": "CN=idevid-0042".*"csr_subject": "CN=device-0042"'; then
  pass "one /simpleenroll, with the bootstrap cert, for the device id"
else fail "enrollments: $enrolls"; fi
if grep -q '"status": 500' "$LAM/requests.log" && ! grep '"status": 500' "$LAM/requests.log" | grep -q 'reenroll window'; then
  fail "the server refused something: $(grep '"status": 500' "$LAM/requests.log")"
fi

# threshold 10% is due at once: the server refuses until notAfter − 30 s → a scheduled retry.
CERTD_LOG=$DIR/var/log/edgesec/certd.log
for _ in $(seq 100); do grep -q "scheduled retry" "$CERTD_LOG" && break; sleep 0.2; done
if grep -q "re-enrollment window is not open); scheduled retry at" "$CERTD_LOG"; then
  pass "a re-enrollment before the window is logged as a scheduled retry"
else fail "no scheduled-retry line in certd's log"; fi
if grep "cert 'device-id'" "$CERTD_LOG" | grep -q "failed"; then
  fail "the closed window was logged as a failure: $(grep "cert 'device-id'" "$CERTD_LOG")"
else pass "and not as a failure"; fi
grep -q '"err": "invalid reenroll window"' "$LAM/requests.log" &&
  pass "the fixture answered 500 invalid reenroll window" || fail "the fixture saw no early re-enrollment"
edgectl cert list >"$DIR/list.out" 2>&1
grep -q "invalid reenroll window" "$DIR/list.out" && pass "cert list shows the server's err text" ||
  fail "cert list: $(cat "$DIR/list.out")"

# The window opens 30 s after issuance: a retry then re-enrolls with the device cert.
for _ in $(seq 300); do grep -q "re-enrolled cert 'device-id'" "$CERTD_LOG" && break; sleep 0.2; done
grep -q "re-enrolled cert 'device-id'" "$CERTD_LOG" || { fail "no re-enrollment within 60 s"; exit 1; }
reenroll=$(grep '/simplereenroll' "$LAM/requests.log" | grep '"status": 200' | head -1)
case "$reenroll" in
  *"\"client_serial\": \"$SERIAL1\""*"\"csr_subject\": \"O=Lamassu DMS,CN=device-0042\""*"\"revoked\": \"$SERIAL1\""*)
    pass "re-enrolled with the device cert as client cert and its subject; the old cert revoked";;
  *) fail "re-enrollment: $reenroll (first serial $SERIAL1)";;
esac
pem_of device-id >"$DIR/dev2.pem"
SERIAL2=$(openssl x509 -in "$DIR/dev2.pem" -noout -serial | cut -d= -f2)
[ -n "$SERIAL2" ] && [ "$SERIAL2" != "$SERIAL1" ] && pass "the new cert is committed" || fail "store: $SERIAL2"
check "openssl verify: the re-enrolled cert" \
  openssl verify -CAfile "$LAM/root.pem" -untrusted "$DIR/untrusted.pem" "$DIR/dev2.pem"
sleep 2
if grep -q '"err": "certificate revoked"' "$LAM/requests.log"; then
  fail "the revoked cert was presented again: $(grep 'certificate revoked' "$LAM/requests.log")"
else pass "the revoked cert was never presented again"; fi
if grep '"status": 500' "$LAM/requests.log" | grep -v 'reenroll window' | grep -q .; then
  fail "unexpected refusals: $(grep '"status": 500' "$LAM/requests.log" | grep -v 'reenroll window')"
fi
rm -rf "$LAM"
[ "$FAILED" -eq 0 ] || exit 1
