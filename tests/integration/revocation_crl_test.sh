#!/bin/bash
# Revocation of certd's own certs by CRL (issue 16, item 1) with real daemons under `edgectl up
# --root`: a test CA run with `openssl ca` whose certs name a CRL distribution point on the test's
# own HTTP server (crl_server.py); two certs preloaded into certd. Good → `openssl ca -revoke` +
# `-gencrl` → revoked (status, history, the status metric, one audit line, one error line); forged
# CRLs (another key under the same name, another issuer, garbage, truncated) refused with a line
# naming the URL and why, nothing changed; offline past nextUpdate (certd's clock moved) → stale
# metric, status unchanged, fetches retried with backoff (counted on the server); a restart offline
# still knows the last good CRL from the cache, and a damaged cache file is kept aside.
. "$(dirname "$0")/../identityd/lib.sh"

export EDGESEC_TEST_CLOCK_FILE=$DIR/clock-offset
echo 0 >"$EDGESEC_TEST_CLOCK_FILE"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/ca.crl
CA=$DIR/ca
WWW=$DIR/www
HITS=$DIR/hits
mkdir -p "$WWW" "$DIR/etc/edgesec/certd"
: >"$HITS"
. "$(dirname "$0")/openssl_ca.sh"
openssl_ca_init "$CA" "crlDistributionPoints = URI:$URL"
ossl_ca() { openssl ca -config "$CA/ca.cnf" -batch "$@" 2>>"$DIR/openssl.log"; }
make_ca() { openssl_ca_self_signed "$1" "Revocation Test CA"; }  # make_ca DIR: key and cert in DIR
make_ca "$CA"
for name in dev1 dev2; do
  openssl_ca_issue "$name" leaf
  cat "$DIR/$name.pem" "$CA/ca.pem" >"$DIR/$name-chain.pem"
done
publish() {  # publish [OPTIONS]: openssl ca -gencrl, DER, onto the server
  ossl_ca -gencrl "$@" -out "$DIR/ca.crl.pem" && openssl crl -in "$DIR/ca.crl.pem" -outform DER -out "$WWW/ca.crl"
}
publish
python3 "$(dirname "$0")/crl_server.py" "$WWW" "$PORT" &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null "$URL" && break; sleep 0.1; done
: >"$HITS"

cat >"$DIR/etc/edgesec/certd/config.toml" <<CFG
[renewal]
tick = "1s"

[preloaded_certs]
dev1 = "file://$DIR/dev1-chain.pem"
dev2 = "file://$DIR/dev2-chain.pem"
CFG
up
LOG=$DIR/var/log/edgesec/certd.log
CACHE=$DIR/var/lib/edgesec/certd/revocation

rev() {  # rev ID FIELD: a field of the cert's "revocation" in GET /certificates/{id}
  call certd GET "/certificates/$1?api-version=2020-09-01"
  echo "$BODY" | json "revocation.$2"
}
status() { call certd GET "/certificates/$1?api-version=2020-09-01"; echo "$BODY" | json status; }
check_now() { call certd POST "/certificates/$1/revocation-check?api-version=2020-09-01"; }
metric() {  # metric NAME LABEL...: the value of the sample of NAME with every LABEL (k="v")
  local out; out=$(edgectl metrics 2>/dev/null | grep "^$1{")
  shift
  for l in "$@"; do out=$(echo "$out" | grep -F "$l"); done
  echo "$out" | awk '{print $NF}'
}
hits() { wc -l <"$HITS"; }

checked() {  # checked ID FIELD: a field of `edgectl --json check`'s result cert-revocation:ID
  edgectl --json check 2>/dev/null | python3 -c 'import json,sys
r = [x for x in json.load(sys.stdin) if x["id"] == "cert-revocation:" + sys.argv[1]]
print(r[0][sys.argv[2]] if r else "absent")' "$1" "$2"
}

# --- Good: both certs are in the CRL's issuer's good books.
check_now dev1
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json revocation.state)" = good ] &&
  pass "dev1 is good by its CRL" || fail "revocation-check dev1: $STATUS $BODY"
[ "$(rev dev1 source)" = crl ] && [ "$(rev dev1 stale)" = false ] && [ "$(rev dev1 checkedAt)" != null ] &&
  pass "revocation: source crl, not stale, checkedAt set" || fail "revocation of dev1: $BODY"
[ "$(status dev1)" = active ] && pass "dev1 active" || fail "dev1 status $(status dev1)"
[ -n "$(ls "$CACHE"/*.crl 2>/dev/null)" ] && pass "the good CRL is cached" || fail "no CRL cache file in $CACHE"
call certd GET "/certificates/edge-ca?api-version=2020-09-01"
echo "$BODY" | python3 -c 'import json,sys; sys.exit("revocation" in json.load(sys.stdin))' &&
  pass "a cert without a CRL distribution point has no revocation field" || fail "edge-ca has a revocation field: $BODY"

# --- Revoked: openssl ca -revoke, a new CRL; dev1 is revoked, dev2 not.
ossl_ca -revoke "$DIR/dev1.pem" -crl_reason keyCompromise && publish
check_now dev1
[ "$(echo "$BODY" | json revocation.state)" = revoked ] && pass "dev1 revoked by the new CRL" || fail "dev1 after revoke: $STATUS $BODY"
[ "$(status dev1)" = revoked ] && pass "dev1 status revoked" || fail "dev1 status $(status dev1)"
[ "$(rev dev2 state)" = good ] && pass "dev2 still good" || fail "dev2: $BODY"
[ "$(metric edgesec_cert_status 'cert_id="dev1"' 'status="revoked"')" = 1 ] &&
  pass "metric edgesec_cert_status revoked = 1" || fail "metric: $(edgectl metrics | grep dev1)"
edgectl --json cert history dev1 | python3 -c 'import json,sys; g=json.load(sys.stdin)["generations"][-1]; sys.exit(g["revoked"]["reason"] != "keyCompromise")' &&
  pass "history: revoked, reason keyCompromise" || fail "history: $(edgectl --json cert history dev1)"
check_now dev1  # another refresh: still one audit event, one error line
sleep 0.5
AUDIT=$DIR/var/log/edgesec/audit.jsonl
n=$(grep -c '"cert.revoke"' "$AUDIT" 2>/dev/null)
[ "$n" = 1 ] && grep '"cert.revoke"' "$AUDIT" | grep -q '"dev1"' && pass "one audit event cert.revoke for dev1" ||
  fail "audit cert.revoke lines: $n"
[ "$(grep -c "<3>.*cert 'dev1'.*is revoked" "$LOG")" = 1 ] && pass "one error line for dev1" || fail "error lines: $(grep -c "is revoked" "$LOG")"
edgectl check >/dev/null 2>&1 && fail "edgectl check exits 0 with a revoked cert" || pass "edgectl check exits non-zero"
MSG=$(checked dev1 message) HINT=$(checked dev1 hint)
[ "$(checked dev1 status)" = fail ] && [[ $MSG == *"is revoked according to its issuer's CRL"* ]] &&
  [[ $HINT == *"edgectl --root $DIR cert import dev1 FILE"* ]] &&
  pass "check: cert-revocation:dev1 fails, the hint imports a new cert" ||
  fail "check dev1: $(checked dev1 status) $(checked dev1 message) / $(checked dev1 hint)"
[ "$(checked dev2 status)" = pass ] && pass "check: cert-revocation:dev2 passes" || fail "check dev2: $(checked dev2 message)"
[ "$(checked edge-ca status)" = absent ] && pass "check: nothing for a cert without a CRL distribution point" ||
  fail "check edge-ca: $(checked edge-ca status)"
cp "$CA/index.txt" "$DIR/index-dev1-revoked.txt"  # for a CRL that does not revoke dev2, below

# --- Forged CRLs: refused with the URL and why; dev2 stays good, nothing else changes.
cp "$WWW/ca.crl" "$DIR/good.crl"
ossl_ca -revoke "$DIR/dev2.pem" -crl_reason keyCompromise  # in the database: forgeries list dev2
ossl_ca -gencrl -out "$DIR/real-revoking-dev2.crl.pem"
mkdir -p "$DIR/impostor" "$DIR/stranger"
make_ca "$DIR/impostor"  # the same name, another key
openssl crl -in "$DIR/real-revoking-dev2.crl.pem" -outform DER -out "$DIR/real.der"
forge() {  # forge WHAT EXPECTED-REASON: serve $DIR/forged, check dev2 is unchanged and the log says why
  cp "$DIR/forged" "$WWW/ca.crl"
  local before; before=$(grep -c "CRL '$URL' is refused" "$LOG")
  check_now dev2
  [ "$(echo "$BODY" | json revocation.state)" = good ] && [ "$(status dev2)" = active ] &&
    pass "$1: dev2 still good and active" || fail "$1: dev2 changed: $BODY"
  [ "$(grep -c "CRL '$URL' is refused" "$LOG")" = $((before + 1)) ] && grep "CRL '$URL' is refused" "$LOG" | tail -1 | grep -q "$2" &&
    pass "$1: one line naming the URL and '$2'" || fail "$1: log: $(grep "CRL '$URL'" "$LOG" | tail -1)"
}
openssl ca -config "$CA/ca.cnf" -batch -gencrl -keyfile "$DIR/impostor/ca.key" -cert "$DIR/impostor/ca.pem" \
  -out "$DIR/forged.pem" 2>/dev/null && openssl crl -in "$DIR/forged.pem" -outform DER -out "$DIR/forged"
forge "signed by another key under the same name" "signature does not verify"
openssl_ca_self_signed "$DIR/stranger" "Stranger CA"
openssl ca -config "$CA/ca.cnf" -batch -gencrl -keyfile "$DIR/stranger/ca.key" -cert "$DIR/stranger/ca.pem" \
  -out "$DIR/forged.pem" 2>/dev/null && openssl crl -in "$DIR/forged.pem" -outform DER -out "$DIR/forged"
forge "another issuer" "is not the cert's issuer"
head -c 700 /dev/urandom >"$DIR/forged"
forge "garbage" "not a CRL"
head -c $(($(stat -c %s "$DIR/real.der") - 20)) "$DIR/real.der" >"$DIR/forged"
forge "truncated" "not a CRL"
[ "$(metric edgesec_revocation_checks_total 'source="crl"' 'result="refused"')" = 4 ] &&
  pass "metric: 4 refused CRL checks" || fail "refused count: $(edgectl metrics | grep checks_total)"

# --- Offline past nextUpdate: the last good CRL (nextUpdate in 1 h) holds; then stale, retried
# with backoff. The server answers 503 and counts the attempts.
cp "$DIR/good.crl" "$WWW/ca.crl"
check_now dev2  # a good fetch ends the refusals' backoff; next fetch at nextUpdate
[ "$(echo "$BODY" | json revocation.lastError)" = null ] && pass "a good CRL again clears lastError" || fail "after the good CRL: $BODY"
touch "$WWW/.down"
: >"$HITS"
echo 1800 >"$EDGESEC_TEST_CLOCK_FILE"  # before nextUpdate: nothing fetched
sleep 3
[ "$(hits)" = 0 ] && [ "$(rev dev2 stale)" = false ] && pass "before nextUpdate: no fetch, not stale" ||
  fail "before nextUpdate: $(hits) fetches, stale $(rev dev2 stale)"
echo 4000 >"$EDGESEC_TEST_CLOCK_FILE"  # past nextUpdate (1 h) and its jitter (≤ 36 s)
sleep 3
[ "$(hits)" = 1 ] && pass "past nextUpdate: one fetch" || fail "past nextUpdate: $(hits) fetches"
[ "$(rev dev2 stale)" = true ] && [ "$(rev dev2 state)" = good ] && [ "$(status dev2)" = active ] &&
  pass "stale, state and status unchanged" || fail "offline: $BODY"
[ "$(metric edgesec_revocation_stale 'cert_id="dev2"')" = 1 ] && pass "metric edgesec_revocation_stale = 1" ||
  fail "stale metric: $(edgectl metrics | grep revocation_stale)"
[ "$(status dev1)" = revoked ] && pass "dev1 stays revoked offline" || fail "dev1 $(status dev1)"
echo 4070 >"$EDGESEC_TEST_CLOCK_FILE"; sleep 2  # +70 s: the first retry (60 s)
[ "$(hits)" = 2 ] && pass "retry after 60 s" || fail "after +70 s: $(hits) fetches"
echo 4140 >"$EDGESEC_TEST_CLOCK_FILE"; sleep 2  # +70 s more: the second retry waits 120 s
[ "$(hits)" = 2 ] && pass "backoff: no retry 70 s after the first" || fail "after +140 s: $(hits) fetches"
echo 4200 >"$EDGESEC_TEST_CLOCK_FILE"; sleep 2
[ "$(hits)" = 3 ] && pass "backoff: the second retry 120 s after the first" || fail "after +200 s: $(hits) fetches"
grep -q "CRL '$URL' cannot be fetched (HTTP status 503); the last good CRL stays in force" "$LOG" &&
  pass "the log names the URL and the outage" || fail "log: $(grep "CRL '$URL'" "$LOG" | tail -1)"
# check warns with the command that fetches again; the CA publishes a fresh CRL, the server is back,
# the hint is run as it stands: the state is fresh and check passes.
MSG=$(checked dev2 message)
[ "$(checked dev2 status)" = warn ] && [[ $MSG == *"is stale"* ]] &&
  pass "check: a stale revocation state warns" || fail "check stale dev2: $(checked dev2 status) $(checked dev2 message)"
HINT=$(checked dev2 hint | sed -n 's/.*fetch it now: //p')
[ "$HINT" = "edgectl --root $DIR cert check-revocation dev2" ] && pass "the hint: $HINT" || fail "hint: $(checked dev2 hint)"
"$EDGESEC_EDGECTL" ${HINT#edgectl } >/dev/null 2>&1 && fail "check-revocation exits 0 while the CRL cannot be fetched" ||
  pass "the hint run while the server is still down exits non-zero"
cp "$DIR/index-dev1-revoked.txt" "$CA/index.txt" && publish -crlhours 3 && rm -f "$WWW/.down"
"$EDGESEC_EDGECTL" ${HINT#edgectl } >"$DIR/hint.out" 2>&1 && grep -q "revocation:  good by crl" "$DIR/hint.out" &&
  pass "the hint run with the server back: good, exit 0" || fail "hint run: $(cat "$DIR/hint.out")"
[ "$(checked dev2 status)" = pass ] && [ "$(rev dev2 stale)" = false ] && pass "check passes after the hint" ||
  fail "after the hint: $(checked dev2 status) $(checked dev2 message)"
touch "$WWW/.down"  # offline again for the restart below

# --- Restart offline: the cache still knows the last good CRL; a damaged cache file is kept aside.
down
echo 0 >"$EDGESEC_TEST_CLOCK_FILE"
up
for _ in $(seq 50); do [ "$(rev dev2 state 2>/dev/null)" = good ] && break; sleep 0.2; done
[ "$(rev dev2 state)" = good ] && [ "$(rev dev2 stale)" = false ] && pass "restart offline: dev2 good from the cache" ||
  fail "restart offline: $BODY"
down
f=$(ls "$CACHE"/*.crl | head -1)
echo "damaged" >"$f"
rm -f "$WWW/.down"
up
for _ in $(seq 50); do [ "$(rev dev2 state 2>/dev/null)" = good ] && break; sleep 0.2; done
ls "$CACHE" | grep -q '\.bad-' && pass "the damaged cache file is kept aside" || fail "cache dir: $(ls "$CACHE")"
[ "$(rev dev2 state)" = good ] && grep -q "cached CRL '$f' is damaged" "$LOG" &&
  pass "refetched after the damaged cache, with one line" || fail "after damage: $BODY / $(grep cached "$LOG")"

# --- check's hint for the revoked dev1 run as it stands, with a new cert (and key) from the CA.
openssl_ca_issue dev1b leaf  # CN dev1b: the name of a cert is not what certd checks
cat "$DIR/dev1b.pem" "$CA/ca.pem" "$DIR/dev1b.key" >"$DIR/dev1-renewed.pem"
HINT=$(checked dev1 hint | sed -n 's/.*or import one: \(edgectl [^(]*\) (.*/\1/p')
[ "$HINT" = "edgectl --root $DIR cert import dev1 FILE" ] && pass "dev1's hint: $HINT" || fail "dev1's hint: $(checked dev1 hint)"
ARGS=${HINT#edgectl }
"$EDGESEC_EDGECTL" ${ARGS%FILE} "$DIR/dev1-renewed.pem" >"$DIR/import.out" 2>&1 &&
  pass "the hint run with the new cert" || fail "import: $(cat "$DIR/import.out")"
check_now dev1
[ "$(echo "$BODY" | json revocation.state)" = good ] && [ "$(status dev1)" = active ] &&
  [ "$(checked dev1 status)" = pass ] && pass "dev1's new cert: good, active, check passes" ||
  fail "after dev1's import: $(status dev1) $BODY / $(checked dev1 status)"

# --- Checking off: no revocation field, the route says why.
printf '\n[revocation]\ncheck = false\n' >>"$DIR/etc/edgesec/certd/config.toml"
down; up
check_now dev2
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "check = false" && pass "check = false: the route says it is off" ||
  fail "check off: $STATUS $BODY"
finish
