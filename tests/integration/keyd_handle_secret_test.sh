# A deleted handle secret: keyd makes a new one, which invalidates every handle it issued before,
# and says so at error level (keyd.log) — naming the file and that clients must fetch handles again.
# A first start (no keys yet) creates the secret without that line.
source "$(dirname "$0")/../identityd/lib.sh"
LOG=$DIR/var/log/edgesec/keyd.log
SECRET=$DIR/var/lib/edgesec/keyd/handle-secret
LINE="handle secret '$SECRET' was missing while keys exist"

up
for _ in $(seq 300); do edgectl cert show edge-ca >/dev/null 2>&1 && break; sleep 0.1; done
call keyd GET "/keypair/edge-ca?api-version=2020-09-01"
[ "$STATUS" = 200 ] || { fail "GET /keypair/edge-ca: $STATUS $BODY"; exit 1; }
OLD_HANDLE=$(json keyHandle <<<"$BODY")
[ -f "$SECRET" ] && pass "the handle secret exists" || fail "no $SECRET"
grep -qF "$LINE" "$LOG" && fail "a first start logged a regenerated secret" || pass "a first start is quiet"
down

rm "$SECRET"
up
grep -F "$LINE" "$LOG" | grep -q "GET /keypair/{id}" && pass "keyd logs the regenerated secret" ||
  fail "no line about the regenerated handle secret in keyd.log: $(tail -5 "$LOG")"
grep -F "$LINE" "$LOG" | grep -q "^<3>" && pass "at error level" ||
  fail "not at error level: $(grep -F "$LINE" "$LOG")"
call keyd POST "/sign?api-version=2020-09-01" "{\"keyHandle\":\"$OLD_HANDLE\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$(printf 'x%.0s' $(seq 32) | base64)\"}}"
[ "$STATUS" = 400 ] && pass "an old handle is refused (400)" || fail "old handle: $STATUS $BODY"
call keyd GET "/keypair/edge-ca?api-version=2020-09-01"
[ "$STATUS" = 200 ] && pass "a handle fetched again works" || fail "GET /keypair/edge-ca: $STATUS"
[ "$FAILED" -eq 0 ] || exit 1
