#!/bin/bash
# edgectl trust install|remove and ca export --downstream under a temp --root with the real daemons
# (tests/identityd/lib.sh): install writes one .crt per certificate of identityd's trust bundle into
# DIR/usr/local/share/ca-certificates/edgesec (0644, named by subject + fingerprint) and nothing
# else; a rerun changes nothing; stale edgesec files go, other files stay; an Edge CA rollover makes
# identityd refresh the folder by itself (under --root it writes the files, no update-ca-certificates),
# and does nothing once `trust remove` took the folder away. Clear errors: identityd down, not
# root. `ca export --downstream` of the quickstart Edge CA verifies a module's server cert chain.
# The host's trust store is never touched (its listing and bundle hash are compared at the end).
. "$(dirname "$0")/../identityd/lib.sh"

HOST_BEFORE=$(ls -la /usr/local/share/ca-certificates 2>&1; sha256sum /etc/ssl/certs/ca-certificates.crt 2>&1)
STORE=$DIR/usr/local/share/ca-certificates/edgesec
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
crt_count() { ls "$STORE"/*.crt 2>/dev/null | wc -l; }
# trust_check: the status of edgectl check's trust-store line (pass, warn, skip), its message in $DIR/check.msg.
trust_check() {
  edgectl check --json 2>/dev/null | python3 -c 'import json, sys
r = [e for e in json.load(sys.stdin) if e["id"] == "trust-store"]
open(sys.argv[1], "w").write(r[0]["message"] if r else "")
print(r[0]["status"] if r else "none")' "$DIR/check.msg"
}
up
for _ in $(seq 100); do edgectl ca show --json > "$DIR/ca1.json" 2>/dev/null && break; sleep 0.1; done
json pem < "$DIR/ca1.json" > "$DIR/ca1.pem" || fail "edgectl ca show"

# --- nothing installed yet
edgectl trust remove > "$DIR/out" 2>&1 && grep -q "nothing installed" "$DIR/out" \
  && pass "trust remove with nothing installed succeeds and says so" || fail "remove on nothing: $(cat "$DIR/out")"
[ ! -e "$STORE" ] && pass "… and creates nothing" || fail "remove created $STORE"

[ "$(trust_check)" = skip ] && pass "edgectl check: trust-store skipped while nothing is installed" || fail "check before install: $(cat "$DIR/check.msg")"

# --- install
edgectl trust install > "$DIR/out" 2>&1 || fail "trust install: $(cat "$DIR/out")"
grep -q "update-ca-certificates was not run" "$DIR/out" && pass "under --root it says it wrote files only" \
  || fail "install output: $(cat "$DIR/out")"
[ "$(crt_count)" = 1 ] && pass "one .crt for the one certificate of the bundle" || fail "$(crt_count) files in $STORE"
F1=$(ls "$STORE"/*.crt | head -1)
[ "$(fp "$F1")" = "$(fp "$DIR/ca1.pem")" ] && pass "the file is the Edge CA" || fail "$F1 is not the Edge CA"
FP16=$(fp "$DIR/ca1.pem" | tr -d : | tr A-F a-f | cut -c1-16)
[[ "$(basename "$F1")" =~ ^edgesec-edge-ca-.*-$FP16\.crt$ ]] && pass "named by subject and fingerprint ($(basename "$F1"))" \
  || fail "file name $(basename "$F1")"
[ "$(stat -c %a "$F1")" = 644 ] && [ "$(stat -c %a "$STORE")" = 755 ] && pass "file 0644, folder 0755" \
  || fail "modes $(stat -c %a "$F1") $(stat -c %a "$STORE")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$F1")" = 1 ] && pass "one certificate per file" || fail "several certs in $F1"
ls -A "$STORE" | grep -qv '\.crt$' && fail "temp files left in $STORE: $(ls -A "$STORE")"

# --- idempotent; stale edgesec files go, others stay
MTIME=$(stat -c %Y.%i "$F1")
sleep 1.1
edgectl --json trust install > "$DIR/again.json" || fail "second install"
[ "$(json added < "$DIR/again.json")" = "[]" ] && [ "$(json removed < "$DIR/again.json")" = "[]" ] \
  && [ "$(stat -c %Y.%i "$F1")" = "$MTIME" ] && pass "a rerun writes nothing (same file, same inode)" \
  || fail "rerun: $(cat "$DIR/again.json")"
[ "$(trust_check)" = pass ] && pass "edgectl check: trust-store passes after install" || fail "check after install: $(cat "$DIR/check.msg")"
cp "$DIR/ca1.pem" "$STORE/stale-0000000000000000.crt"
cp "$DIR/ca1.pem" "$DIR/usr/local/share/ca-certificates/integrator.crt"
[ "$(trust_check)" = warn ] && grep -q "stale-0000000000000000.crt" "$DIR/check.msg" \
  && pass "edgectl check: a file no longer in the bundle is a warning naming it" || fail "check with a stale file: $(cat "$DIR/check.msg")"
edgectl --json trust install > "$DIR/again.json" || fail "third install"
[ ! -e "$STORE/stale-0000000000000000.crt" ] && [ "$(json removed < "$DIR/again.json")" = '["stale-0000000000000000.crt"]' ] \
  && pass "a stale .crt in edgesec's folder is removed" || fail "stale: $(cat "$DIR/again.json")"
[ -f "$DIR/usr/local/share/ca-certificates/integrator.crt" ] && pass "a file outside edgesec's folder is left alone" \
  || fail "integrator.crt was removed"

# --- ca export --downstream: the quickstart Edge CA is its own root
mkdir -p "$DIR/m1"
module_cert edgehub edgegateway.local "$DIR/m1" || fail "module cert"
edgectl ca export --downstream "$DIR/downstream.pem" > "$DIR/out" 2>&1 || fail "ca export: $(cat "$DIR/out")"
[ "$(fp "$DIR/downstream.pem")" = "$(fp "$DIR/ca1.pem")" ] && pass "ca export --downstream writes the quickstart root" \
  || fail "exported $(openssl x509 -in "$DIR/downstream.pem" -noout -subject 2>&1)"
[ "$(stat -c %a "$DIR/downstream.pem")" = 644 ] && pass "… mode 0644" || fail "mode $(stat -c %a "$DIR/downstream.pem")"
grep -q "is the self-signed Edge CA itself" "$DIR/out" && pass "… and says that a renewal replaces it" || fail "no renewal note: $(cat "$DIR/out")"
check "a module server cert verifies against the exported root (openssl verify -CAfile)" \
  openssl verify -CAfile "$DIR/downstream.pem" -untrusted "$DIR/m1/chain.pem" -verify_hostname edgegateway.local "$DIR/m1/leaf.pem"
edgectl ca export > "$DIR/out" 2>&1
[ $? = 2 ] && grep -q -- "--downstream" "$DIR/out" && pass "ca export without --downstream is a usage error" \
  || fail "ca export without --downstream: $(cat "$DIR/out")"

# --- rollover: identityd refreshes the folder itself (under --root; edgesec-trust.service on a system)
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{}'
[ "$STATUS" = 200 ] && pass "certd renewed the Edge CA" || fail "renew edge-ca: $STATUS $BODY"
echo "$BODY" | json pem > "$DIR/ca2.pem"
FP16B=$(fp "$DIR/ca2.pem" | tr -d : | tr A-F a-f | cut -c1-16)
for _ in $(seq 100); do ls "$STORE"/*-"$FP16B".crt >/dev/null 2>&1 && break; sleep 0.1; done
ls "$STORE"/*-"$FP16B".crt >/dev/null 2>&1 && pass "after the rollover the new Edge CA is in the folder" \
  || fail "no file for the new Edge CA: $(ls "$STORE")"
[ "$(crt_count)" = 2 ] && [ -f "$F1" ] && pass "… beside the old one, still in the trust bundle" || fail "folder: $(ls "$STORE")"
grep -q "refreshed '$STORE' after the Edge CA change" "$DIR/var/log/edgesec/identityd.log" \
  && pass "identityd logged the refresh" || fail "no refresh in identityd's log"
[ "$(trust_check)" = pass ] && pass "edgectl check: trust-store passes after the refresh" || fail "check after rollover: $(cat "$DIR/check.msg")"

# --- remove; a rollover afterwards does not bring it back
edgectl trust remove > "$DIR/out" 2>&1 || fail "trust remove: $(cat "$DIR/out")"
[ ! -e "$STORE" ] && pass "trust remove deletes edgesec's folder" || fail "still there: $(ls -A "$STORE")"
[ -f "$DIR/usr/local/share/ca-certificates/integrator.crt" ] && pass "… and nothing else" || fail "integrator.crt removed"
edgectl trust remove >/dev/null 2>&1 && pass "a second remove succeeds" || fail "second remove"
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{}'
echo "$BODY" | json pem > "$DIR/ca3.pem"
for _ in $(seq 30); do edgectl ca show --json 2>/dev/null | json pem | grep -q "$(sed -n 2p "$DIR/ca3.pem")" && break; sleep 0.1; done
sleep 0.5
[ ! -e "$STORE" ] && pass "a rollover after trust remove leaves the store alone" || fail "rollover recreated $STORE"

# --- errors
mkdir -p "$DIR/usr/local/share/ca-certificates" && chmod 0755 "$DIR" "$DIR/usr" "$DIR/usr/local" "$DIR/usr/local/share" "$DIR/usr/local/share/ca-certificates"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$EDGESEC_EDGECTL" --root "$DIR" trust install > "$DIR/out" 2>&1
  [ $? = 1 ] && grep -q "needs root" "$DIR/out" && [ ! -e "$STORE" ] && pass "not root: refused, says to run as root, nothing written" \
    || fail "as uid 65534: $(cat "$DIR/out")"
fi
down
edgectl trust install > "$DIR/out" 2>&1
[ $? = 1 ] && grep -q "is identityd running" "$DIR/out" && [ ! -e "$STORE" ] \
  && pass "identityd down: a clear error, nothing written" || fail "identityd down: $(cat "$DIR/out")"

HOST_AFTER=$(ls -la /usr/local/share/ca-certificates 2>&1; sha256sum /etc/ssl/certs/ca-certificates.crt 2>&1)
[ "$HOST_BEFORE" = "$HOST_AFTER" ] && pass "the host's trust store is unchanged" || fail "the host's store changed"
finish
