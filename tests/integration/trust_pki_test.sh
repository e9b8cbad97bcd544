#!/bin/bash
# edgectl ca export --downstream and trust install with an Edge CA from a PKI (seeds 002/003: root →
# intermediate → Edge CA, made here with the openssl command; certd holds Edge CA + intermediate, the
# root is identityd's trust_bundle_cert): the export is the PKI's root, found through the trust
# bundle, and a module server cert chain verifies against it alone; trust install writes one file
# per certificate. Without trust_bundle_cert the chain stops at the intermediate: the export fails,
# names the root to give the downstream device, and writes nothing.
. "$(dirname "$0")/../identityd/lib.sh"

make_test_pki
cat > "$DIR/etc/edgesec/keyd/config.toml" <<CFG
[preloaded_keys]
edge-ca = "file://$PKI/edgeca.key"
CFG
cat > "$DIR/etc/edgesec/certd/config.toml" <<CFG
[preloaded_certs]
edge-ca = "file://$PKI/edgeca-chain.pem"

[[credential]]
cert_id = "edge-ca"
method = "preloaded"
CFG
echo "trust_bundle_cert = \"file://$PKI/root.pem\"" > "$DIR/etc/edgesec/identityd/config.toml"
up
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

mkdir -p "$DIR/m"
module_cert edgehub edgegateway.local "$DIR/m" || fail "module cert from the PKI's Edge CA"
edgectl ca export --downstream "$DIR/downstream.pem" > "$DIR/out" 2>&1 || fail "ca export: $(cat "$DIR/out")"
[ "$(fp "$DIR/downstream.pem" 2>/dev/null)" = "$(fp "$PKI/root.pem")" ] \
  && pass "ca export --downstream writes the PKI's root (found through the trust bundle)" \
  || fail "exported: $(openssl x509 -in "$DIR/downstream.pem" -noout -subject 2>&1)"
grep -q "self-signed Edge CA itself" "$DIR/out" && fail "a PKI's root is not the Edge CA: $(cat "$DIR/out")"
check "edgeHub's chain (leaf, Edge CA, intermediate) verifies against the exported root alone" \
  openssl verify -CAfile "$DIR/downstream.pem" -untrusted "$DIR/m/chain.pem" -verify_hostname edgegateway.local "$DIR/m/leaf.pem"
check "… and not against the Edge CA's own intermediate as the only anchor (the export matters)" \
  sh -c "! openssl verify -CAfile '$PKI/inter.pem' -untrusted '$DIR/m/chain.pem' '$DIR/m/leaf.pem'"

STORE=$DIR/usr/local/share/ca-certificates/edgesec
edgectl trust install > "$DIR/out" 2>&1 || fail "trust install: $(cat "$DIR/out")"
[ "$(ls "$STORE" | wc -l)" = 3 ] && pass "trust install: root, intermediate and Edge CA, one file each" \
  || fail "files: $(ls "$STORE")"
for f in "$STORE"/*.crt; do [ "$(grep -c 'BEGIN CERTIFICATE' "$f")" = 1 ] || fail "$f holds more than one certificate"; done
ls "$STORE" | grep -q '^contoso-root-ca-' && pass "named by subject (contoso-root-ca-…)" || fail "names: $(ls "$STORE")"

# Without trust_bundle_cert the chain stops at the intermediate.
: > "$DIR/etc/edgesec/identityd/config.toml"
down; up
rm -f "$DIR/downstream.pem"
edgectl ca export --downstream "$DIR/downstream.pem" > "$DIR/out" 2>&1
RC=$?
[ $RC = 1 ] && grep -q "not self-signed" "$DIR/out" && grep -q "Contoso Root CA" "$DIR/out" \
  && pass "no root in the chain or the bundle: a clear error naming the root to give the device" \
  || fail "export without a root: exit $RC, $(cat "$DIR/out")"
[ ! -e "$DIR/downstream.pem" ] && pass "… and nothing written" || fail "downstream.pem written"
finish
