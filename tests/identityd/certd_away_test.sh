#!/bin/bash
# Issue 14, event-driven idle: identityd waits on certd's /events with timeout=0 (no time limit).
# certd stopping ends the wait (certd exits promptly and cleanly); while certd is away identityd
# retries with a backoff, not in a loop (its context switches stay few); once certd is back,
# identityd follows its events again: a renewed Edge CA reaches the trust bundle with no module
# cert asked for (which would re-read the Edge CA by itself).
. "$(dirname "$0")/lib.sh"

up
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
# switches PID: voluntary + nonvoluntary context switches summed over the threads alive now.
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null \
    | awk '/^(non)?voluntary_ctxt_switches:/ {n += $2} END {print n + 0}'
}
bundle_fps() {
  call workload GET '/trust-bundle?api-version=2019-01-30'
  echo "$BODY" | json certificate > "$DIR/bundle.pem"
  awk '/BEGIN CERTIFICATE/{n++; f="'"$DIR"'/b" n ".pem"} {print > f}' "$DIR/bundle.pem"
  for f in "$DIR"/b[0-9]*.pem; do fp "$f"; done
  rm -f "$DIR"/b[0-9]*.pem
}
for _ in $(seq 100); do edgectl ca show --json > "$DIR/ca1.json" 2>/dev/null && break; sleep 0.1; done
json pem < "$DIR/ca1.json" > "$DIR/ca1.pem" || fail "edgectl ca show"
IDENTITYD=$(cat "$RUN/identityd.pid")
CERTD=$(cat "$RUN/certd.pid")
sleep 2  # identityd's wait is in certd now

# --- certd stops: the wait in progress ends, certd exits (0) instead of hanging in it.
kill -TERM "$CERTD"
for _ in $(seq 200); do kill -0 "$CERTD" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CERTD" 2>/dev/null && fail "certd still runs 20 s after SIGTERM (held by identityd's wait?)" \
  || pass "certd stopped with identityd's wait in progress"

# --- certd away: identityd backs off (0.1 s to 2 s), it does not spin.
sleep 1
before=$(switches "$IDENTITYD")
sleep 6
after=$(switches "$IDENTITYD")
kill -0 "$IDENTITYD" 2>/dev/null && pass "identityd runs on while certd is away" || fail "identityd died"
# A spin makes thousands per second; the backoff makes a few per retry.
[ $((after - before)) -lt 300 ] && pass "identityd retried with a backoff ($((after - before)) switches in 6 s)" \
  || fail "identityd made $((after - before)) context switches in 6 s with certd away"

# --- certd back: identityd follows its events again.
up
call certd POST '/credentials/edge-ca/renew?api-version=2020-09-01' '{}'
[ "$STATUS" = 200 ] && pass "certd renewed the Edge CA" || fail "renew edge-ca: $STATUS $BODY"
echo "$BODY" | json pem | awk '/BEGIN CERTIFICATE/{n++} n==1' > "$DIR/ca2.pem"
NEW=$(fp "$DIR/ca2.pem")
[ "$NEW" != "$(fp "$DIR/ca1.pem")" ] || fail "same Edge CA after renewal"
found=0
for _ in $(seq 100); do bundle_fps | grep -qx "$NEW" && { found=1; break; }; sleep 0.2; done
[ "$found" = 1 ] && pass "the renewed Edge CA reached the trust bundle through certd's events" \
  || fail "the trust bundle lacks the renewed Edge CA $NEW: $(bundle_fps | tr '\n' ' ')"
finish
