#!/bin/bash
# The seed's scenario with an Edge CA from a PKI: root → intermediate → Edge CA, made here with the
# openssl command; the Edge CA's key preloaded in keyd, its cert (+ the intermediate) preloaded in
# certd, the root as trust_bundle_cert. A module server cert from it passes a real TLS handshake
# verified against the trust bundle with hostname checking. An Edge CA file that is not a CA is
# refused with a message that says so. The on_change hook runs when the Edge CA changes.
. "$(dirname "$0")/lib.sh"

make_test_pki
mk notca "Not a CA" inter notca
cat "$PKI/notca.pem" "$PKI/inter.pem" > "$PKI/notca-chain.pem"
mk nosign "No keyCertSign CA" inter nosign
cat "$PKI/nosign.pem" "$PKI/inter.pem" > "$PKI/nosign-chain.pem"
check "the test PKI verifies" openssl verify -CAfile "$PKI/root.pem" -untrusted "$PKI/inter.pem" "$PKI/edgeca.pem"

cat > "$DIR/etc/edgesec/keyd/config.toml" <<CFG
[preloaded_keys]
edge-ca = "file://$PKI/edgeca.key"
not-a-ca = "file://$PKI/notca.key"
no-sign = "file://$PKI/nosign.key"
CFG
cat > "$DIR/etc/edgesec/certd/config.toml" <<CFG
[preloaded_certs]
edge-ca = "file://$PKI/edgeca-chain.pem"
not-a-ca = "file://$PKI/notca-chain.pem"
no-sign = "file://$PKI/nosign-chain.pem"

[[credential]]
cert_id = "edge-ca"
method = "preloaded"

[[credential]]
cert_id = "not-a-ca"
method = "preloaded"

[[credential]]
cert_id = "no-sign"
method = "preloaded"
CFG
cat > "$DIR/etc/edgesec/identityd/config.toml" <<CFG
trust_bundle_cert = "file://$PKI/root.pem"

[edge_ca]
cert_id = "edge-ca"
on_change = ["/bin/sh", "-c", "env > $DIR/hook.env; echo \"\$EDGESEC_EDGE_CA_OLD_SHA256 \$EDGESEC_EDGE_CA_NEW_SHA256\" >> $DIR/hook.log"]
CFG
up

mkdir -p "$DIR/edgehub"
module_cert edgehub edgegateway.local "$DIR/edgehub" || fail "module cert from the PKI's Edge CA"
openssl x509 -in "$DIR/edgehub/leaf.pem" -noout -issuer | grep -q "EdgeGateway Edge CA" \
  && pass "the module cert is issued by the Edge CA from files" || fail "issuer: $(openssl x509 -in "$DIR/edgehub/leaf.pem" -noout -issuer)"
[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/edgehub/chain.pem")" = 2 ] && pass "chain: Edge CA + intermediate" \
  || fail "chain has $(grep -c 'BEGIN CERTIFICATE' "$DIR/edgehub/chain.pem") certs"
for cn in "Contoso Root CA" "EdgeGateway Edge CA" "Contoso Intermediate CA"; do
  openssl crl2pkcs7 -nocrl -certfile "$DIR/edgehub/trust-bundle.pem" | openssl pkcs7 -print_certs -noout | grep -q "subject=CN = $cn" \
    && pass "trust bundle holds '$cn'" || fail "trust bundle lacks '$cn'"
done
check "openssl verify: leaf → Edge CA → intermediate → root" \
  openssl verify -CAfile "$PKI/root.pem" -untrusted "$DIR/edgehub/chain.pem" -verify_hostname edgegateway.local "$DIR/edgehub/leaf.pem"
if tls_handshake "$DIR/edgehub" edgegateway.local && grep -q "Verified peername: edgegateway.local" "$DIR/edgehub/s_client.log"; then
  pass "TLS handshake verified against the trust bundle (root → intermediate → Edge CA → module)"
else
  fail "TLS handshake: $(tail -5 "$DIR/edgehub/s_client.log")"
fi
# Only the root as CAfile: the server sends the chain, s_client completes it.
cp "$PKI/root.pem" "$DIR/edgehub/trust-bundle.pem"
tls_handshake "$DIR/edgehub" edgegateway.local && pass "TLS handshake with only the root as trust anchor" \
  || fail "root-only handshake: $(tail -5 "$DIR/edgehub/s_client.log")"
[ ! -s "$DIR/hook.log" ] && pass "no hook run while the Edge CA did not change" || fail "hook ran: $(cat "$DIR/hook.log")"
OLD_SHA=$(openssl x509 -in "$PKI/edgeca.pem" -noout -fingerprint -sha256 | cut -d= -f2)

# An Edge CA that is not a CA: clear error, nothing issued.
sed -i 's/cert_id = "edge-ca"/cert_id = "not-a-ca"/' "$DIR/etc/edgesec/identityd/config.toml"
down; up
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local"}'
[ "$STATUS" = 503 ] && echo "$BODY" | grep -q "basicConstraints CA:TRUE" && echo "$HEADERS" | grep -qi "Retry-After" \
  && pass "a non-CA Edge CA → 503 saying it lacks CA:TRUE" || fail "non-CA Edge CA: $STATUS $BODY"

# Back to the real Edge CA, then a new Edge CA from the PKI (the integrator replaced the files): the
# hook runs once with both fingerprints; the old CA stays in the bundle.
# A CA whose keyUsage lacks keyCertSign: refused the same way, naming keyCertSign.
sed -i 's/cert_id = "not-a-ca"/cert_id = "no-sign"/' "$DIR/etc/edgesec/identityd/config.toml"
down; up
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local"}'
[ "$STATUS" = 503 ] && echo "$BODY" | grep -q "keyUsage without keyCertSign" \
  && pass "an Edge CA whose keyUsage lacks keyCertSign → 503 saying so" || fail "no-keyCertSign Edge CA: $STATUS $BODY"

sed -i 's/cert_id = "no-sign"/cert_id = "edge-ca"/' "$DIR/etc/edgesec/identityd/config.toml"
down; up
mk edgeca2 "EdgeGateway Edge CA 2" inter edgeca
cp "$PKI/edgeca2.key" "$PKI/edgeca.key"
cat "$PKI/edgeca2.pem" "$PKI/inter.pem" > "$PKI/edgeca-chain.pem"
down
# systemd's variables for the main process only (issue 11, trap 4): `edgectl up` passes none of
# them to the daemons, and identityd, started here with them as systemd would, none to the hook.
SD_VARS=(NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS LISTEN_PID LISTEN_FDNAMES)
SD_ENV=(NOTIFY_SOCKET="$DIR/notify.sock" WATCHDOG_USEC=30000000 WATCHDOG_PID=1 LISTEN_FDS=1 LISTEN_PID=1
  LISTEN_FDNAMES=identityd)
env "${SD_ENV[@]}" "$EDGESEC_EDGECTL" --root "$DIR" up >/dev/null || { fail "edgectl up"; exit 1; }
for d in keyd certd identityd; do
  leaked=$(tr '\0' '\n' < "/proc/$(cat "$RUN/$d.pid")/environ" | grep -E "^($(IFS='|'; echo "${SD_VARS[*]}"))=")
  [ -z "$leaked" ] && pass "edgectl up passes no systemd main-process variable to $d" || fail "$d got: $leaked"
done
kill "$(cat "$RUN/identityd.pid")"
for _ in $(seq 100); do [ -e "$RUN/identityd.sock" ] || break; sleep 0.05; done
env "${SD_ENV[@]}" "$EDGESEC_IDENTITYD" --root "$DIR" >> "$DIR/var/log/edgesec/identityd.log" 2>&1 &
echo $! > "$RUN/identityd.pid"
for _ in $(seq 100); do [ -S "$RUN/identityd.sock" ] && break; sleep 0.05; done
mkdir -p "$DIR/edgehub2"
module_cert edgehub edgegateway.local "$DIR/edgehub2" || fail "module cert after the Edge CA changed"
openssl x509 -in "$DIR/edgehub2/leaf.pem" -noout -issuer | grep -q "EdgeGateway Edge CA 2" \
  && pass "module certs now come from the new Edge CA" || fail "issuer after change: $(openssl x509 -in "$DIR/edgehub2/leaf.pem" -noout -issuer)"
NEW_SHA=$(openssl x509 -in "$PKI/edgeca2.pem" -noout -fingerprint -sha256 | cut -d= -f2)
for _ in $(seq 50); do [ -s "$DIR/hook.log" ] && break; sleep 0.1; done
[ "$(cat "$DIR/hook.log" 2>/dev/null)" = "$OLD_SHA $NEW_SHA" ] && pass "on_change hook ran once with old and new fingerprints" \
  || fail "hook log: '$(cat "$DIR/hook.log" 2>/dev/null)' (want '$OLD_SHA $NEW_SHA')"
leaked=$(grep -E "^($(IFS='|'; echo "${SD_VARS[*]}"))=" "$DIR/hook.env")
[ -z "$leaked" ] && grep -q "^EDGESEC_EDGE_CA_NEW_SHA256=$NEW_SHA$" "$DIR/hook.env" \
  && pass "the hook inherits none of systemd's main-process variables (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*)" \
  || fail "hook environment: leaked '$leaked'; $(grep EDGESEC_ "$DIR/hook.env")"
openssl crl2pkcs7 -nocrl -certfile "$DIR/edgehub2/trust-bundle.pem" | openssl pkcs7 -print_certs -noout > "$DIR/bundle.txt"
grep -q "subject=CN = EdgeGateway Edge CA$" "$DIR/bundle.txt" && grep -q "subject=CN = EdgeGateway Edge CA 2" "$DIR/bundle.txt" \
  && pass "the trust bundle carries the old and the new Edge CA" || fail "bundle after rollover: $(cat "$DIR/bundle.txt")"
check "a cert from the old Edge CA still verifies against the bundle" \
  openssl verify -CAfile "$DIR/edgehub2/trust-bundle.pem" -untrusted "$DIR/edgehub/chain.pem" "$DIR/edgehub/leaf.pem"

# A damaged stored cert over the Edge CA from files (issue 12, fault 5: 0 bytes and cut alike): kept
# aside at certd's start, the Edge CA reloaded from the files.
STORED=$DIR/var/lib/edgesec/certd/certs/edge-ca-$(printf %s edge-ca | sha256sum | cut -c1-32).pem
for how in zero half; do
  down
  { echo "edgesec-cert-id: edge-ca"; cat "$PKI/edgeca-chain.pem"; } > "$STORED"
  [ "$how" = zero ] && : > "$STORED" || head -c 700 "$PKI/edgeca-chain.pem" > "$STORED"
  up
  mkdir -p "$DIR/edgehub-$how"
  module_cert edgehub edgegateway.local "$DIR/edgehub-$how" || fail "module cert with a damaged stored Edge CA ($how)"
  openssl x509 -in "$DIR/edgehub-$how/leaf.pem" -noout -issuer | grep -q "EdgeGateway Edge CA 2" \
    && ls "$STORED".bad-* > /dev/null 2>&1 && [ ! -e "$STORED" ] \
    && pass "a damaged ($how) stored Edge CA is kept aside, the Edge CA reloaded from its files" \
    || fail "damaged ($how) stored Edge CA: $(ls "$(dirname "$STORED")")"
  check "… and the module cert verifies against the served trust bundle ($how)" \
    openssl verify -CAfile "$DIR/edgehub-$how/trust-bundle.pem" -untrusted "$DIR/edgehub-$how/chain.pem" "$DIR/edgehub-$how/leaf.pem"
  rm -f "$STORED".bad-*
done

finish
