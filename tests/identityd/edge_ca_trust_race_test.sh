#!/bin/bash
# Issue 12, fault 3: a module never receives a cert whose issuer is missing from the trust bundle
# served at the same moment. The quickstart Edge CA is renewed through certd (as `edgectl cert renew
# edge-ca` does) (a) right after certd was killed with SIGKILL and started again by `edgectl up`
# — identityd's event stream from certd is broken then —, and (b) over and over while module
# server certs are requested; every cert must verify (openssl verify) against the trust bundle
# fetched right after it.
. "$(dirname "$0")/lib.sh"

up
W=$DIR/w
mkdir -p "$W"
TRIES=0 BAD=0
: > "$W/issuers"

# pem_field FIELD < json: the PEM string FIELD of a workload answer (no python per try: the checks
# below must follow each other closely).
pem_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | sed 's/\\n/\n/g'; }

# try_once LABEL: a server cert, then the trust bundle; the cert must verify against that bundle.
try_once() {
  curl -s --unix-socket "$RUN/workload.sock" -X POST -H 'Content-Type: application/json' \
    --data '{"commonName":"edgegateway.local"}' \
    'http://localhost/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' \
    | pem_field certificate > "$W/cert.pem"
  curl -s --unix-socket "$RUN/workload.sock" 'http://localhost/trust-bundle?api-version=2019-01-30' \
    | pem_field certificate > "$W/bundle.pem"
  TRIES=$((TRIES + 1))
  if ! grep -q 'BEGIN CERTIFICATE' "$W/cert.pem"; then
    BAD=$((BAD + 1)); echo "  $1: no cert issued" >&2; return
  fi
  openssl x509 -in "$W/cert.pem" -noout -issuer >/dev/null 2>&1 || { BAD=$((BAD + 1)); return; }
  awk '/BEGIN CERTIFICATE/{n++} n==2' "$W/cert.pem" | openssl x509 -noout -fingerprint -sha256 \
    >> "$W/issuers" 2>/dev/null
  if ! openssl verify -CAfile "$W/bundle.pem" "$W/cert.pem" > "$W/verify.log" 2>&1; then
    BAD=$((BAD + 1))
    echo "  $1: issuer not in the bundle served after it: $(tail -1 "$W/verify.log")" >&2
  fi
}

# --- (a) certd killed with SIGKILL, started again by `edgectl up`, the Edge CA renewed at once
for run in 1 2 3; do
  kill -9 "$(cat "$RUN/certd.pid")"
  for _ in $(seq 50); do kill -0 "$(cat "$RUN/certd.pid")" 2>/dev/null || break; sleep 0.05; done
  edgectl up > /dev/null 2>&1 || fail "edgectl up after kill -9 of certd (run $run)"
  edgectl cert renew edge-ca > /dev/null || fail "edgectl cert renew edge-ca (run $run)"
  for i in 1 2 3 4 5; do try_once "restart run $run, try $i"; done
done
[ "$BAD" = 0 ] && pass "after kill -9 of certd + up + renew: $TRIES of $TRIES certs chain to a CA in the bundle" \
  || fail "after kill -9 of certd + up + renew: $BAD of $TRIES certs chain to a CA missing from the bundle"

# --- (b) renewals while certs and bundles are requested
TRIES=0 BAD=0
( for _ in $(seq 12); do
    curl -s -o /dev/null --unix-socket "$RUN/certd.sock" -X POST -H 'Content-Type: application/json' \
      --data '{}' 'http://localhost/credentials/edge-ca/renew?api-version=2020-09-01'
    sleep 0.2
  done ) &
RENEWER=$!
while kill -0 "$RENEWER" 2>/dev/null; do try_once "during renewals"; done
wait "$RENEWER"
try_once "after the renewals"
[ "$BAD" = 0 ] && pass "during 12 renewals: $TRIES of $TRIES certs chain to a CA in the bundle" \
  || fail "during 12 renewals: $BAD of $TRIES certs chain to a CA missing from the bundle"
ISSUERS=$(sort -u "$W/issuers" | wc -l)
[ "$ISSUERS" -ge 4 ] && pass "the certs came from $ISSUERS different Edge CAs (the race was exercised)" \
  || fail "only $ISSUERS different Edge CAs issued: the renewals did not interleave with issuance"

finish
