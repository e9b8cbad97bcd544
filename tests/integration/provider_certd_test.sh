#!/bin/bash
# The edgesec OpenSSL provider on the real path of `edgectl up --root` (quickstart Edge CA, file
# keys): certd's certificates by URI, `edgesec:edge-ca?object=cert` (the chain, leaf first, as
# certd holds it) and `edgesec:edge-ca` where a certificate is expected; the Edge CA's own key,
# `edgesec:edge-ca`, issues a leaf with `openssl x509 -req -CAkey` that `openssl verify` accepts
# against identityd's trust bundle. Sockets from EDGESEC_KEYD_SOCKET / EDGESEC_CERTD_SOCKET, as
# the export line `edgectl up --root` prints sets them.
. "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_PROVIDER_DIR:?run this test through meson test}"
# `edgectl up --root` prints the exports that point OpenSSL programs at this root: run them.
UP=$(edgectl up) || { fail "edgectl up"; exit 1; }
eval "$(printf '%s\n' "$UP" | sed -n 's/^  export /export /p')"
[ "${EDGESEC_KEYD_SOCKET:-}" = "$RUN/keyd.sock" ] && [ "${EDGESEC_CERTD_SOCKET:-}" = "$RUN/certd.sock" ] &&
  pass "edgectl up prints the exports for this root" || fail "edgectl up printed: $UP"
P=(-provider-path "$EDGESEC_PROVIDER_DIR" -provider edgesec -provider default)
fp() { openssl x509 -noout -fingerprint -sha256 "$@" 2>/dev/null; }

# certd's copy of the Edge CA, read over its socket with curl: the reference.
call certd GET '/certificates/edge-ca?api-version=2020-09-01'
[ "$STATUS" = 200 ] || { fail "certd GET edge-ca: $STATUS $BODY"; exit 1; }
echo "$BODY" | json pem >"$DIR/edge-ca.certd.pem"
split_chain "$DIR/edge-ca.certd.pem" "$DIR/certd-leaf.pem" "$DIR/certd-chain.pem"

openssl storeutl "${P[@]}" -certs -out "$DIR/store.pem" 'edgesec:edge-ca?object=cert' \
  >"$DIR/storeutl.log" 2>&1 || fail "storeutl edgesec:edge-ca?object=cert: $(cat "$DIR/storeutl.log")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/store.pem")" = "$(grep -c 'BEGIN CERTIFICATE' "$DIR/edge-ca.certd.pem")" ] &&
  [ "$(fp -in "$DIR/store.pem")" = "$(fp -in "$DIR/certd-leaf.pem")" ] &&
  pass "edgesec:edge-ca?object=cert is certd's chain, leaf first" ||
  fail "storeutl gave $(grep -c 'BEGIN CERTIFICATE' "$DIR/store.pem") certificates, first $(fp -in "$DIR/store.pem")"

openssl x509 "${P[@]}" -in 'edgesec:edge-ca' -out "$DIR/x509.pem" >"$DIR/x509.log" 2>&1 &&
  [ "$(fp -in "$DIR/x509.pem")" = "$(fp -in "$DIR/certd-leaf.pem")" ] &&
  pass "edgesec:edge-ca where a certificate is expected is the certificate" ||
  fail "openssl x509 -in edgesec:edge-ca: $(cat "$DIR/x509.log")"

# The Edge CA's key, in keyd, signs a leaf through the provider; the trust bundle verifies it.
call identityd GET '/trust-bundle?api-version=2020-09-01'
echo "$BODY" | json certificate >"$DIR/bundle.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/leaf.key" \
  -subj /CN=device-behind-gateway -out "$DIR/leaf.csr" 2>/dev/null
if openssl x509 -req "${P[@]}" -in "$DIR/leaf.csr" -CA "$DIR/certd-leaf.pem" -CAkey edgesec:edge-ca \
  -days 1 -set_serial 0x1234 -out "$DIR/leaf.pem" >"$DIR/sign.log" 2>&1; then
  untrusted=()
  [ -s "$DIR/certd-chain.pem" ] && untrusted=(-untrusted "$DIR/certd-chain.pem")
  check "a leaf signed with edgesec:edge-ca verifies against the trust bundle" \
    openssl verify -CAfile "$DIR/bundle.pem" "${untrusted[@]}" "$DIR/leaf.pem"
else
  fail "openssl x509 -req -CAkey edgesec:edge-ca: $(cat "$DIR/sign.log")"
fi

# An absent certificate: certd's answer, named.
openssl x509 "${P[@]}" -in 'edgesec:no-such-cert?object=cert' >/dev/null 2>"$DIR/absent.log" &&
  fail "openssl x509 of an absent cert succeeded"
grep -q "edgesec: certificate 'no-such-cert'" "$DIR/absent.log" &&
  pass "an absent certificate is named in the error" || fail "absent cert: $(cat "$DIR/absent.log")"

[ "$FAILED" -eq 0 ]
