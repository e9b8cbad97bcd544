#!/bin/bash
# The tamper-evident audit log (docs/audit.md) with real daemons:
# 1. keyd alone: 500 signatures by two callers (root and uid 65534) are counted per (key, caller)
#    and flushed by the next event (counts sum to 500), more at keyd stop; POST /audit by a uid
#    without `audit = true` → 401, invalid bodies → 400 naming the field, nothing written; no
#    handle or imported key material in the log; `edgectl audit verify` exits 0.
# 2. Tampering (on copies, --file): an edited line, a file cut mid-line, a truncated last line, two
#    lines swapped, a line deleted → exit 1 naming FILE:LINE; a log cut at a line boundary is seen
#    through keyd's head file; edgectl check fails with the place.
# 3. Rotation with [audit] max_size = 1024, keep = 3: the chain holds across files.
# 4. The whole stack (config apply, edgectl up): cert.issue, cert.rollover (renew onto a new key),
#    workload.cert.issue, config.apply with the config's SHA-256.
# Needs root (setpriv to other uids); exits 77 otherwise.
set -uo pipefail
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: must run as root (setpriv)" >&2; exit 77; fi
for tool in setpriv curl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
K=${EDGESEC_KEYD:?}; E=${EDGESEC_EDGECTL:?}
D=$(mktemp -d /tmp/es-audit-XXXXXX); chmod 0755 "$D"
KEYD_PID=""
cleanup() {
  [ -n "$KEYD_PID" ] && kill "$KEYD_PID" 2>/dev/null && wait "$KEYD_PID" 2>/dev/null
  [ -d "$D/full" ] && "$E" --root "$D/full" down >/dev/null 2>&1
  rm -rf "$D"
}
trap cleanup EXIT
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
LOG=$D/var/log/edgesec/audit.jsonl
SOCK=$D/run/edgesec/keyd.sock

start_keyd() {
  "$K" --root "$D" >>"$D/keyd.log" 2>&1 &
  KEYD_PID=$!
  for _ in $(seq 100); do [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" 'http://k/version?api-version=2020-09-01' >/dev/null && return; sleep 0.1; done
  fail "keyd did not start: $(cat "$D/keyd.log")"
}
stop_keyd() { kill "$KEYD_PID"; wait "$KEYD_PID"; KEYD_PID=""; }
# call AS METHOD ROUTE [BODY] → STATUS, BODY
call() {
  local -a as=()
  [ "$1" != root ] && as=(setpriv --reuid="$1" --regid="$1" --clear-groups)
  local out
  out=$("${as[@]}" curl -sS --unix-socket "$SOCK" -X "$2" -H 'Content-Type: application/json' \
    ${4:+--data-binary "$4"} -w '\n%{http_code}' "http://keyd.sock$3?api-version=2021-05-01")
  STATUS=${out##*$'\n'}; BODY=${out%$'\n'*}
}
lines() { [ -f "$LOG" ] && wc -l <"$LOG" || echo 0; }
# sum of key.sign counts of KEY by UID in FILE
signs() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["event"] == "key.sign" and j["object"] == sys.argv[2] and j["caller"]["uid"] == int(sys.argv[3]):
        n += j["count"]
print(n)
PY
}
# sign AS HANDLE N: N signatures over one kept-alive connection
sign() {
  local -a as=()
  [ "$1" != root ] && as=(setpriv --reuid="$1" --regid="$1" --clear-groups)
  "${as[@]}" /usr/bin/python3 - "$SOCK" "$2" "$3" <<'PY' || fail "signing as $1"
import http.client, json, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
c = C("keyd")
body = json.dumps({"keyHandle": sys.argv[2], "algorithm": "ECDSA",
                   "parameters": {"digest": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}})
for _ in range(int(sys.argv[3])):
    c.request("POST", "/sign?api-version=2020-09-01", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit("sign answered %d" % r.status)
PY
}
handle() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["keyHandle"])' "$1"; }

# --- 1. keyd alone ------------------------------------------------------------------------------
mkdir -p "$D/etc/edgesec/keyd"
cat >"$D/etc/edgesec/keyd/config.toml" <<'EOF'
socket_mode = "0666"
[[principal]]
uid = 65534
keys = ["shared-*"]
EOF
start_keyd
[ -f "$LOG" ] || fail "keyd did not create $LOG"
call root POST /keypair '{"keyId":"shared-1","preferredAlgorithms":"ec-p256"}'
[ "$STATUS" = 200 ] || fail "create: $STATUS $BODY"
H=$(handle "$BODY")
call 65534 GET /keypair/shared-1; H2=$(handle "$BODY")
sign root "$H" 300
sign 65534 "$H2" 200
grep -q '"key.sign"' "$LOG" && fail "signatures were written before any other event"
# Unauthorized and invalid posts: nothing written (not even the pending counts).
before=$(lines)
call 65534 POST /audit '{"service":"certd","event":"cert.issue","object":"x","outcome":"success"}'
[ "$STATUS" = 401 ] || fail "uid 65534 without audit = true posted: $STATUS $BODY"
call 65533 POST /audit '{"service":"certd","event":"cert.issue","object":"x","outcome":"success"}'
[ "$STATUS" = 401 ] || fail "uid 65533 posted: $STATUS $BODY"
bad() {  # bad BODY FIELD
  call root POST /audit "$1"
  [ "$STATUS" = 400 ] || fail "body $1: $STATUS $BODY"
  [[ $BODY == *"'$2'"* ]] || fail "body $1: the message does not name '$2': $BODY"
}
bad '{"service":"certd","event":"key.sign","outcome":"success"}' event
bad '{"service":"certd","event":"cert.nope","outcome":"success"}' event
bad '{"service":"keyd","event":"cert.issue","outcome":"success"}' service
bad '{"service":"certd","event":"cert.issue","outcome":"maybe"}' outcome
bad '{"service":"certd","event":"cert.issue","outcome":"success","object":"a\u0007b"}' object
bad '{"service":"certd","event":"cert.issue","outcome":"success","reason":"line\nbreak"}' reason
bad "{\"service\":\"certd\",\"event\":\"cert.issue\",\"outcome\":\"success\",\"object\":\"$(printf 'a%.0s' $(seq 300))\"}" object
bad '{"service":"certd","event":"cert.issue","outcome":"success","fingerprint":"abc"}' fingerprint
bad '{"service":"certd","event":"cert.issue","outcome":"success","caller":"0"}' caller
bad '{"event":"cert.issue","outcome":"success"}' service
[ "$(lines)" = "$before" ] || fail "a refused post wrote to the log"
# A valid post flushes the counts first; caller comes from the socket, not the body.
call root POST /audit '{"service":"certd","event":"cert.import","object":"c-1","outcome":"success","serial":"0aff"}'
[ "$STATUS" = 204 ] || fail "post: $STATUS $BODY"
[ "$(signs "$LOG" shared-1 0)" = 300 ] || fail "root's count: $(signs "$LOG" shared-1 0)"
[ "$(signs "$LOG" shared-1 65534)" = 200 ] || fail "uid 65534's count: $(signs "$LOG" shared-1 65534)"
tail -1 "$LOG" | grep -q '"event":"cert.import"' || fail "the posted event is not last: $(tail -1 "$LOG")"
# Imported key material and handles never reach the log.
PKCS8=$(python3 -c 'import base64,subprocess; print(base64.b64encode(subprocess.run(["openssl","genpkey","-algorithm","EC","-pkeyopt","ec_paramgen_curve:P-256","-outform","DER"],capture_output=True).stdout).decode())')
call root PUT /keypair/imp-1 "{\"pkcs8\":\"$PKCS8\"}"
[ "$STATUS" = 200 ] || fail "import: $STATUS $BODY"
HI=$(handle "$BODY")
call root DELETE /keypair "{\"keyHandle\":\"$HI\"}"
sign root "$H" 7
stop_keyd
[ "$(signs "$LOG" shared-1 0)" = 307 ] || fail "the 7 signatures were not flushed at stop"
tail -1 "$LOG" | grep -q '"keyd.stop"' || fail "no keyd.stop line"
for ev in keyd.start key.create key.import key.delete key.sign cert.import keyd.stop; do
  grep -q "\"event\":\"$ev\"" "$LOG" || fail "no $ev line"
done
for secret in "$H" "$H2" "$HI" "${PKCS8:20:40}"; do
  grep -qF -- "$secret" "$LOG" && fail "the log holds a handle or key material"
done
"$E" --root "$D" audit verify >"$D/out" || fail "verify of an intact log: $(cat "$D/out")"
stat -c '%a' "$LOG" | grep -q '^640$' || fail "log mode $(stat -c %a "$LOG")"

# --- 2. tampering --------------------------------------------------------------------------------
n=$(lines)
expect_broken() {  # expect_broken WHAT FILE:LINE (after $D/t was tampered)
  local out
  out=$("$E" audit verify --file "$D/t" 2>&1) && { fail "$1: verify exited 0"; return; }
  [[ $out == *"$D/t:$2:"* ]] || fail "$1: expected $D/t:$2, got: $out"
}
cp "$LOG" "$D/t"; sed -i '5s/"seq":5,/"seq":5, /' "$D/t"; expect_broken "edited line 5" 6
cp "$LOG" "$D/t"; sed -i '2s/shared-1/shared-2/' "$D/t"; expect_broken "edited object" 3
cp "$LOG" "$D/t"; sed -i '6d' "$D/t"; expect_broken "deleted line 6" 6
cp "$LOG" "$D/t"; sed -i '3{h;d};4{G}' "$D/t"; expect_broken "swapped lines 3 and 4" 3
cp "$LOG" "$D/t"; truncate -s $(( $(stat -c %s "$LOG") - 10 )) "$D/t"; expect_broken "truncated last line" "$n"
cp "$LOG" "$D/t"; head -c $(( $(stat -c %s "$LOG") / 2 )) "$LOG" >"$D/t"; expect_broken "cut mid-way" "$(wc -l <"$D/t" | awk '{print $1+1}')"
cp "$LOG" "$D/keep"
head -n $((n - 2)) "$D/keep" >"$LOG"   # cut at a line boundary: only keyd's head shows it
"$E" --root "$D" audit verify >"$D/out" 2>&1 && fail "a log cut at a line boundary verified"
grep -q "keyd last wrote seq $n" "$D/out" || fail "cut log: $(cat "$D/out")"
"$E" --root "$D" check >"$D/check" 2>&1
grep -q "FAIL  audit-log: .*$LOG" "$D/check" || fail "check: $(grep audit "$D/check")"
cp "$D/keep" "$LOG"
# A crash between a batch's write and the head's update (power cut, kill -9): the head lags one line
# behind the log. keyd chains on from the log's last line, no audit.damaged line, verify still 0.
HEADF=$D/var/lib/edgesec/keyd/audit-head
prev_hash=$(sed -n "$((n - 1))p" "$LOG" | tr -d '\n' | sha256sum | cut -d' ' -f1)
printf '%s %s\n' "$((n - 1))" "$prev_hash" >"$HEADF"
"$E" --root "$D" audit verify >"$D/out" 2>&1 || fail "a log one line past a lagging head: $(cat "$D/out")"
start_keyd
call root POST /keypair '{"keyId":"after-lag","preferredAlgorithms":"ec-p256"}'
stop_keyd
grep -q '"event":"audit.damaged"' "$LOG" && fail "a lagging head was reported as damage: $(grep audit.damaged "$LOG")"
"$E" --root "$D" audit verify >"$D/out" 2>&1 || fail "verify after a lagging head: $(cat "$D/out")"
[ "$(lines)" -gt "$n" ] || fail "keyd wrote nothing after a lagging head"

# --- 3. rotation ---------------------------------------------------------------------------------
printf '[audit]\nmax_size = 1024\nkeep = 3\n' >>"$D/etc/edgesec/keyd/config.toml"
start_keyd
for i in $(seq 12); do
  call root POST /keypair "{\"keyId\":\"rot-$i\",\"preferredAlgorithms\":\"ec-p256\"}"
done
stop_keyd
[ -f "$LOG.3" ] || fail "no rotation to $LOG.3: $(ls "$D/var/log/edgesec")"
[ -f "$LOG.4" ] && fail "keep = 3 kept a fourth file"
for f in "$LOG" "$LOG".?; do [ "$(stat -c %s "$f")" -le 1024 ] || fail "$f is over max_size"; done
"$E" --root "$D" audit verify >"$D/out" 2>&1 || fail "verify across rotated files: $(cat "$D/out")"
grep -q "in 4 file(s)" "$D/out" || fail "verify: $(cat "$D/out")"
# A logrotate-style rename while keyd runs: the next line starts a new file, chained.
start_keyd
mv "$LOG" "$D/var/log/edgesec/moved"
call root POST /audit '{"service":"edgectl","event":"config.apply","outcome":"success"}'
stop_keyd
head -1 "$LOG" | grep -q "$(tail -1 "$D/var/log/edgesec/moved" | sha256sum | head -c 64)" && fail "hash of the line with its newline"
[ "$(head -1 "$LOG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prev"])')" = \
  "$(tail -1 "$D/var/log/edgesec/moved" | tr -d '\n' | sha256sum | head -c 64)" ] ||
  fail "the new file after an external rename does not chain to the moved one"

# --- 4. the whole stack --------------------------------------------------------------------------
F=$D/full; mkdir -p "$F/etc/edgesec"
printf 'hostname = "gw"\n[edge_ca]\nmethod = "self_signed"\n' >"$F/etc/edgesec/config.toml"
chmod 600 "$F/etc/edgesec/config.toml"
"$E" --root "$F" config apply >/dev/null || fail "apply"
"$E" --root "$F" up >/dev/null || fail "up"
"$E" --root "$F" module cert m1 --out "$F" >/dev/null || fail "module cert"
"$E" --root "$F" cert renew edge-ca >/dev/null || fail "renew"
sed -i 's/hostname = "gw"/hostname = "gw2"/' "$F/etc/edgesec/config.toml"
"$E" --root "$F" config apply >/dev/null || fail "second apply"
"$E" --root "$F" down >/dev/null
FL=$F/var/log/edgesec/audit.jsonl
SHA=$(sha256sum "$F/etc/edgesec/config.toml" | head -c 64)
grep -q "\"event\":\"config.apply\".*\"sha256\":\"$SHA\"" "$FL" || fail "no config.apply with the config's SHA-256"
grep -q '"service":"certd".*"event":"cert.issue","object":"edge-ca"' "$FL" || fail "no cert.issue of edge-ca"
grep -q '"event":"cert.rollover","object":"edge-ca","keyId":"edge-ca-v2"' "$FL" || fail "no cert.rollover"
grep -q '"service":"identityd".*"event":"workload.cert.issue","object":"m1"' "$FL" || fail "no workload cert"
grep -q 'BEGIN' "$FL" && fail "a PEM in the log"
"$E" --root "$F" audit verify >/dev/null || fail "verify of the stack's log"

[ "$FAILED" -eq 0 ] || { echo "$FAILED failure(s)" >&2; exit 1; }
echo "ok"
