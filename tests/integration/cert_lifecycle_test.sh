#!/bin/bash
# The certificate lifecycle (issue 15, item 1) with real daemons under `edgectl up --root`: status,
# type and CA level of a quickstart Edge CA (0), an Edge CA from files under an intermediate (2), a
# local_ca credential (a leaf), a cert imported with its key and one without; the history of the
# credential across a threshold renewal (certd's clock moved through EDGESEC_TEST_CLOCK_FILE), a
# manual one and a key-compromise one (a new key), each generation's serial and SHA-256 checked with
# the openssl command, and every issued cert verified with `openssl verify`. A cert whose notBefore
# is ahead of the clock is inactive, an expired one expired; a damaged history file is kept aside,
# a deleted cert's history goes with it, and a cert without a history gets a synthesized one.
. "$(dirname "$0")/../identityd/lib.sh"

export EDGESEC_TEST_CLOCK_FILE=$DIR/clock-offset
echo 0 >"$EDGESEC_TEST_CLOCK_FILE"
make_test_pki
cat >"$DIR/etc/edgesec/keyd/config.toml" <<CFG
[preloaded_keys]
files-ca = "file://$PKI/edgeca.key"
CFG
cat >"$DIR/etc/edgesec/certd/config.toml" <<CFG
socket_mode = "0666"

[[principal]]
uid = 65534
certs = ["dev"]

[renewal]
tick = "1s"
retry_floor = "2s"

[preloaded_certs]
files-ca = "file://$PKI/edgeca-chain.pem"

[profiles.short]
validity_days = 10

[[credential]]
cert_id = "dev"
method = "local_ca"
issuer_cert = "edge-ca"
profile = "short"
common_name = "dev.local"
threshold = "50%"
rotate_key = false
CFG
up
H=$DIR/var/lib/edgesec/certd/history
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
field() {  # field ID NAME: a field of GET /certificates/{id}
  call certd GET "/certificates/$1?api-version=2020-09-01"
  echo "$BODY" | json "$2"
}
expect() {  # expect ID STATUS TYPE LEVEL
  call certd GET "/certificates/$1?api-version=2020-09-01"
  local got
  got=$(echo "$BODY" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["type"], "null" if j["level"] is None else j["level"])')
  [ "$got" = "$2 $3 $4" ] && pass "$1: $got" || fail "$1: expected '$2 $3 $4', got '$got' ($STATUS $BODY)"
}
history() { edgectl --json cert history "$1"; }
gen() {  # gen ID INDEX FIELD: a field of a generation (python index: -1 is the newest)
  history "$1" | python3 -c 'import json,sys; g=json.load(sys.stdin)["generations"][int(sys.argv[1])]; v=g[sys.argv[2]]; print(v if isinstance(v, str) else json.dumps(v))' "$2" "$3"
}
count() { history "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["generations"]))'; }
verify_dev() {  # verify_dev PEM OFFSET: the dev cert chains to the Edge CA at certd's clock
  split_chain "$1" "$1.leaf" "$1.chain"
  field edge-ca pem >"$DIR/edge-ca-now.pem"
  openssl verify -attime $(($(date +%s) + $2)) -CAfile "$DIR/edge-ca-now.pem" -untrusted "$1.chain" "$1.leaf" >/dev/null 2>&1
}
same_cert() {  # same_cert PEM ID INDEX: the generation's serial and sha256 are the cert's own
  [ "$(gen "$2" "$3" serial)" = "$(serial "$1")" ] && [ "$(gen "$2" "$3" sha256)" = "$(fp "$1")" ]
}

# --- The quickstart Edge CA and the credential's first cert (issued as certd starts).
for _ in $(seq 100); do call certd GET '/certificates/dev?api-version=2020-09-01'; [ "$STATUS" = 200 ] && break; sleep 0.1; done
echo "$BODY" | json pem >"$DIR/dev1.pem"
field edge-ca pem >"$DIR/ca1.pem"
check "the quickstart Edge CA verifies (self-signed)" openssl verify -CAfile "$DIR/ca1.pem" "$DIR/ca1.pem"
verify_dev "$DIR/dev1.pem" 0 && pass "dev's first cert verifies" || fail "dev's first cert does not verify"
expect edge-ca active managed 0
expect dev active managed null
expect files-ca active imported-with-key 2
[ "$(count dev)" = 1 ] && [ "$(gen dev 0 reason)" = initial ] && [ "$(gen dev 0 generation)" = 1 ] &&
  [ "$(gen dev 0 reissuedFrom)" = null ] && pass "dev: generation 1, reason initial" || fail "dev history: $(history dev)"
same_cert "$DIR/dev1.pem" dev 0 && pass "generation 1 is dev's cert (serial, SHA-256 by openssl)" || fail "generation 1 is not dev's cert: $(history dev)"
KEY1=$(gen dev 0 keyId); PK1=$(gen dev 0 publicKeySha256)

# --- Imports: with the key (chain to the intermediate: level 2), without (the root: level 0).
cat "$PKI/edgeca.pem" "$PKI/inter.pem" "$PKI/edgeca.key" >"$DIR/with-key.pem"
edgectl cert import imp-key "$DIR/with-key.pem" --key-id imp-key >/dev/null || fail "import with key"
edgectl cert import imp-root "$PKI/root.pem" >/dev/null || fail "import without key"
expect imp-key active imported-with-key 2
expect imp-root active imported-without-key 0
[ "$(gen imp-root 0 origin)" = imported ] && [ "$(gen imp-root 0 reason)" = initial ] &&
  same_cert "$PKI/root.pem" imp-root 0 && pass "an import is generation 1, origin imported" || fail "imp-root history: $(history imp-root)"

# --- Threshold: certd's clock 6 days ahead, dev (10 days, threshold 50%) is due; certd renews it.
echo $((6 * 86400)) >"$EDGESEC_TEST_CLOCK_FILE"
for _ in $(seq 100); do [ "$(count dev)" = 2 ] && break; sleep 0.2; done
field dev pem >"$DIR/dev2.pem"
[ "$(gen dev 1 reason)" = threshold ] && pass "the scheduler's renewal is reason threshold" || fail "generation 2: $(history dev)"
same_cert "$DIR/dev2.pem" dev 1 && [ "$(gen dev 1 reissuedFrom)" = "{\"serial\": \"$(serial "$DIR/dev1.pem")\", \"sha256\": \"$(fp "$DIR/dev1.pem")\"}" ] &&
  pass "generation 2: its serial and SHA-256, reissued from generation 1" || fail "generation 2: $(history dev)"
verify_dev "$DIR/dev2.pem" $((6 * 86400)) && pass "the renewed cert verifies at certd's clock" || fail "dev2 does not verify"

# --- Not yet valid: the clock back to now, the renewed cert (notBefore = now + 6 days) is inactive.
echo 0 >"$EDGESEC_TEST_CLOCK_FILE"
expect dev inactive managed null
edgectl cert list | grep -E "^dev +inactive +managed" >/dev/null && pass "cert list shows status and type" || fail "cert list: $(edgectl cert list)"
edgectl cert show dev | grep -q "^status: *inactive" && pass "cert show shows the status" || fail "cert show: $(edgectl cert show dev)"
echo $((6 * 86400)) >"$EDGESEC_TEST_CLOCK_FILE"

# --- Manual (keeps the key: rotate_key = false), then key-compromise (a new key, always).
edgectl --json cert renew dev | json pem >"$DIR/dev3.pem" || fail "cert renew"
edgectl cert renew dev --reason key-compromise --keep-key >/dev/null 2>&1
[ $? = 2 ] && pass "--reason key-compromise with --keep-key is a usage error" || fail "key-compromise + --keep-key accepted"
call certd POST '/credentials/dev/renew?api-version=2020-09-01' '{"reason":"key-compromise","rotateKey":false}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "never reused" && pass "certd refuses key-compromise with rotateKey false" || fail "$STATUS $BODY"
call certd POST '/credentials/dev/renew?api-version=2020-09-01' '{"reason":"whim"}'
[ "$STATUS" = 400 ] && echo "$BODY" | grep -q "reason" && pass "an unknown reason is refused naming it" || fail "$STATUS $BODY"
[ "$(count dev)" = 3 ] || fail "refused renewals made generations: $(history dev)"
edgectl --json cert renew dev --reason key-compromise | json pem >"$DIR/dev4.pem" || fail "cert renew --reason key-compromise"
[ "$(count dev)" = 4 ] && [ "$(gen dev 2 reason)" = manual ] && [ "$(gen dev 3 reason)" = key-compromise ] &&
  pass "generations: initial, threshold, manual, key-compromise" || fail "reasons: $(history dev)"
same_cert "$DIR/dev3.pem" dev 2 && same_cert "$DIR/dev4.pem" dev 3 && pass "generations 3 and 4 are the certs renew answered" || fail "serials: $(history dev)"
[ "$(gen dev 2 keyId)" = "$KEY1" ] && [ "$(gen dev 2 publicKeySha256)" = "$PK1" ] && pass "manual renewal kept the key ($KEY1)" || fail "manual renewal changed the key: $(history dev)"
[ "$(gen dev 3 keyId)" != "$KEY1" ] && [ "$(gen dev 3 publicKeySha256)" != "$PK1" ] && pass "key-compromise made a new key ($(gen dev 3 keyId))" || fail "key-compromise kept the key: $(history dev)"
for n in 3 4; do verify_dev "$DIR/dev$n.pem" $((6 * 86400)) && pass "dev$n verifies" || fail "dev$n does not verify"; done
[ "$(gen dev 0 status)" = inactive ] && [ "$(gen dev 3 status)" = active ] && pass "past generations are retired (inactive)" || fail "statuses: $(history dev)"
history dev | python3 -c 'import json,sys; j=json.load(sys.stdin); assert list(j) == ["certId","dropped","generations"] and [g["generation"] for g in j["generations"]] == [1,2,3,4]' &&
  pass "history --json: {generations:[…]}, oldest first" || fail "history json: $(history dev)"
edgectl cert history dev | grep -q "key-compromise" && pass "cert history prints the reasons" || fail "cert history text"

# --- source-changed (what `config apply` sends when the Edge CA's source changes).
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{"reason":"source-changed"}'
[ "$STATUS" = 200 ] && [ "$(gen edge-ca -1 reason)" = source-changed ] && pass "edge-ca renewed, reason source-changed" || fail "$STATUS $(history edge-ca)"

# --- Expired: 400 days ahead, the file's Edge CA (365 days, never renewed by certd) is expired.
echo $((400 * 86400)) >"$EDGESEC_TEST_CLOCK_FILE"
expect files-ca expired imported-with-key 2
expect imp-root active imported-without-key 0
echo 0 >"$EDGESEC_TEST_CLOCK_FILE"

# --- A damaged history file: kept aside, one <3> line naming it and the field; the cert stays.
F=$(ls "$H"/imp-key-*.json)
echo '{"format":1,"certId":"imp-key","dropped":0,"generations":[{"generation":"x"}]}' >"$F"
call certd GET '/certificates/imp-key/history?api-version=2020-09-01'
[ "$STATUS" = 200 ] && [ "$(gen imp-key 0 synthesized)" = true ] && pass "a damaged history starts again (synthesized)" || fail "$STATUS $BODY"
ls "$F".bad-* >/dev/null 2>&1 && pass "the damaged history file is kept aside" || fail "no .bad- file"
grep -q "<3>.*history file '$F'.*generations\[0\].generation" "$DIR"/var/log/edgesec/certd.log && pass "one error line names the file and field" || fail "no error line"
expect imp-key active imported-with-key 2

# --- A deleted cert's history goes with it; a cert without a history gets one at start.
edgectl cert delete imp-root >/dev/null || fail "delete"
ls "$H"/imp-root-*.json >/dev/null 2>&1 && fail "the deleted cert's history is still there" || pass "the deleted cert's history is removed"
call certd GET '/certificates/imp-root/history?api-version=2020-09-01'
[ "$STATUS" = 404 ] && pass "history of a deleted cert: 404" || fail "$STATUS $BODY"
down
rm -f "$H"/edge-ca-*.json
up
[ "$(gen edge-ca 0 synthesized)" = true ] && [ "$(gen edge-ca 0 reason)" = initial ] && pass "a cert without a history gets a synthesized generation 1 at start" || fail "$(history edge-ca)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  call certd GET '/certificates/dev/history?api-version=2020-09-01' '' 65534
  [ "$STATUS" = 200 ] && pass "history: a principal of the cert may read it" || fail "history as 65534: $STATUS $BODY"
  call certd GET '/certificates/imp-key/history?api-version=2020-09-01' '' 65534
  [ "$STATUS" = 401 ] && echo "$BODY" | grep -q "not authorized to read" && pass "history: another cert's → 401" || fail "history of imp-key as 65534: $STATUS $BODY"
else
  echo "SKIP (part): the principal checks of the history route need root and setpriv"
fi
finish
