# A password in an EST URL (https://user:password@host, as an IoT Edge config may hold it) is used
# for HTTP Basic and printed nowhere: certd enrolls against the EST test server that requires
# estuser/s3cr3t-pw, and the password is in no log under the root (daemons at debug level), in no
# edgectl output (cert enroll, est cacerts, check, config check/show of the super config) and in
# no config error. The warning that suggests password_file names the URL as estuser:***@.
source "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }
export EDGESEC_LOG=debug
PW=s3cr3t-pw
OUTS=$DIR/outs  # every edgectl stdout/stderr of this test
mkdir -p "$OUTS"
n=0
run() {  # run COMMAND...: edgectl with its output kept in $OUTS; sets RC and LAST
  n=$((n + 1)); LAST=$OUTS/$n
  edgectl "$@" >"$LAST" 2>&1
  RC=$?
}

# The EST server (outside the root: its own log records the credentials it received).
EST=$(mktemp -d /tmp/es-est-XXXXXX)
python3 "$EDGESEC_SOURCE_ROOT/tests/est/est_server.py" --dir "$EST" --port-file "$EST/port" \
  --log "$EST/requests.log" --user estuser --password "$PW" >"$EST/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$EST/port" ] && break; sleep 0.1; done
PORT=$(cat "$EST/port")
URL="https://estuser:$PW@127.0.0.1:$PORT"

CERTD_CONF=$DIR/etc/edgesec/certd/config.toml
mkdir -p "$(dirname "$CERTD_CONF")"
cat >"$CERTD_CONF" <<EOF
[est]
url = "$URL"
trusted_certs = ["$EST/root.pem"]

[[credential]]
cert_id = "device-id"
key_id = "device-key"
method = "est"
common_name = "device-1"
auto_renew = false

[edge_ca]
quickstart = false
EOF
up
run cert enroll device-id --json
if [ "$RC" -eq 0 ]; then pass "enrollment with the URL's credentials"; else fail "enroll: $(cat "$LAST")"; fi
grep -q "\"user\": *\"estuser:$PW\"" "$EST/requests.log" &&
  pass "the server received estuser/$PW as HTTP Basic" || fail "no Basic credentials: $(tail -3 "$EST/requests.log")"
run est cacerts
[ "$RC" -eq 0 ] && pass "est cacerts" || fail "est cacerts: $(cat "$LAST")"
run check
grep -q "est:https://estuser:\*\*\*@127.0.0.1:$PORT" "$LAST" && pass "check names the URL redacted" ||
  fail "check: $(cat "$LAST")"
grep -q "estuser:\*\*\*@127.0.0.1:$PORT.*password_file" "$DIR"/var/log/edgesec/certd.log &&
  pass "certd warns, suggesting password_file" || fail "no warning in certd.log"
down

# The same URL in the super config (IoT Edge's [cert_issuance.est.urls]), and a bad one.
cat >"$DIR/etc/edgesec/config.toml" <<EOF
hostname = "gw-est"
[cert_issuance.est]
trusted_certs = ["file://$EST/root.pem"]
[cert_issuance.est.urls]
default = "$URL"
[edge_ca]
method = "est"
common_name = "EST Edge CA"
EOF
chmod 600 "$DIR/etc/edgesec/config.toml"
run config check
grep -q "estuser:\*\*\*@.*password_file" "$LAST" && pass "config check warns, suggesting password_file" ||
  fail "config check: rc $RC, $(cat "$LAST")"
run config show
sed -i "s|default = \"https://|default = \"ftp://|" "$DIR/etc/edgesec/config.toml"
run config check
[ "$RC" -ne 0 ] && grep -q "ftp://estuser:\*\*\*@" "$LAST" && pass "a bad URL is refused, redacted" ||
  fail "bad URL: rc $RC, $(cat "$LAST")"

# Nowhere under the root but the configs, in no output of edgectl.
leaks=$(grep -rl -- "$PW" "$DIR" "$OUTS" | grep -v -e '/etc/edgesec/' -e "^$EST")
if [ -z "$leaks" ]; then pass "the password is in no log and no edgectl output"; else
  fail "the password leaked into: $leaks"; for f in $leaks; do grep -n -- "$PW" "$f" >&2; done; fi
rm -rf "$EST"
[ "$FAILED" -eq 0 ] || exit 1
