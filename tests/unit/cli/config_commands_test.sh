#!/bin/sh
# edgectl config check | show | apply under --root: exit codes, 0600 files, nothing rewritten when
# nothing changed, the redacted dry-run diff, SIGHUP to the daemons `edgectl up` recorded, and old
# files kept on failure.
set -eu
E="${EDGESEC_EDGECTL:?}"
D=$(mktemp -d /tmp/es-cfg-XXXXXX)
HUP_PID=""
cleanup() { [ -n "$HUP_PID" ] && kill "$HUP_PID" 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$D/etc/edgesec" "$D/run/edgesec" "$D/s"
C="$D/etc/edgesec/config.toml"
echo pem > "$D/s/root.pem"

# Errors: exit 1, file:line:col and the fix.
printf '[edge_ca]\ncertt = "file:///x"\n' > "$C"; chmod 600 "$C"
if "$E" --root "$D" config check 2>"$D/err"; then fail "check accepted an unknown key"; fi
grep -q "config.toml:2:1: 'edge_ca.certt': unknown key; did you mean 'edge_ca.cert'?" "$D/err" ||
  fail "check: $(cat "$D/err")"
if "$E" --root "$D" config apply 2>/dev/null; then fail "apply accepted an invalid config"; fi
[ ! -e "$D/etc/edgesec/keyd/config.d/00-super.toml" ] || fail "apply wrote despite errors"

# Warnings only: exit 0.
cat > "$C" <<TOML
trust_bundle_cert = "file://$D/s/root.pem"
homedir = "/var/lib/aziot/edged"
[cert_issuance.est.urls]
default = "https://est.example/.well-known/est"
[cert_issuance.est.auth]
username = "u"
password = "hunter2"
[edge_ca]
method = "est"
TOML
"$E" --root "$D" config check >"$D/out" || fail "check refused a config with warnings only"
grep -q "warning: .*config.toml:2:11: 'homedir'" "$D/out" || fail "no homedir warning: $(cat "$D/out")"

# show redacts.
"$E" --root "$D" config show >"$D/out"
grep -q hunter2 "$D/out" && fail "show printed the password"
grep -q "<redacted>" "$D/out" || fail "show: $(cat "$D/out")"

# A daemon that `edgectl up` would have recorded (its command line names edgesec-certd).
bash -c 'trap "echo hup >> \"$0.hups\"" HUP; while :; do sleep 0.05; done' "$D/edgesec-certd" &
HUP_PID=$!
echo "$HUP_PID" > "$D/run/edgesec/certd.pid"
sleep 0.2

# dry-run: the diff, redacted, nothing written.
"$E" --root "$D" config apply --dry-run >"$D/out"
grep -q '^+password = "<redacted>"' "$D/out" || fail "dry-run: $(cat "$D/out")"
grep -q hunter2 "$D/out" && fail "dry-run printed the password"
[ ! -e "$D/etc/edgesec/certd/config.d/00-super.toml" ] || fail "dry-run wrote"
# A file not there yet is headed as new (issue 11, trap 6).
F="$D/etc/edgesec/certd/config.d/00-super.toml"
grep -qx -- "--- /dev/null" "$D/out" && grep -qx -- "+++ $F (new)" "$D/out" \
  || fail "dry-run headers of a new file: $(grep -e '^---' -e '^+++' "$D/out")"

# apply: files 0600, certd (running) signalled.
"$E" --root "$D" config apply >"$D/out" 2>/dev/null || fail "apply failed"
for s in keyd certd identityd; do
  f="$D/etc/edgesec/$s/config.d/00-super.toml"
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
grep -q "reloaded edgesec-certd (SIGHUP)" "$D/out" || fail "apply: $(cat "$D/out")"
sleep 0.3
[ "$(cat "$D/edgesec-certd.hups")" = hup ] || fail "certd did not get SIGHUP"

# Nothing changed: nothing written, nobody signalled.
before=$(stat -c %Y.%i "$D/etc/edgesec/certd/config.d/00-super.toml")
"$E" --root "$D" config apply >"$D/out" 2>/dev/null
grep -q "no changes" "$D/out" || fail "second apply: $(cat "$D/out")"
[ "$(stat -c %Y.%i "$D/etc/edgesec/certd/config.d/00-super.toml")" = "$before" ] || fail "rewritten"
sleep 0.3
[ "$(wc -l < "$D/edgesec-certd.hups")" = 1 ] || fail "signalled without a change"

# dry-run of a change to existing files: `--- FILE` / `+++ FILE (after apply)`, never "(new)".
sed -i 's|https://est.example/|https://est2.example/|' "$C"
"$E" --root "$D" config apply --dry-run >"$D/out"
grep -qx -- "--- $F" "$D/out" && grep -qx -- "+++ $F (after apply)" "$D/out" \
  && grep -q '^+.*est2.example' "$D/out" || fail "dry-run headers of an existing file: $(cat "$D/out")"
grep -q -e '(new)$' -e '^--- /dev/null' "$D/out" && fail "an existing file headed as new: $(cat "$D/out")"
sed -i 's|https://est2.example/|https://est.example/|' "$C"

# A failure while writing keeps every old file: certd's and keyd's change, keyd's cannot be staged.
cp -r "$D/etc/edgesec" "$D/before"
sed -i 's/username = "u"/username = "v"/' "$C"
printf '[aziot_keys]\npreferred_algorithms = "ec-p384"\n' >> "$C"
mkdir -p "$D/etc/edgesec/keyd/config.d/00-super.toml.edgesec-new/blocker"
if "$E" --root "$D" config apply 2>"$D/err" >/dev/null; then fail "apply succeeded despite a write failure"; fi
grep -q "old configuration files are left in place" "$D/err" || fail "failure: $(cat "$D/err")"
for s in keyd certd identityd; do
  cmp -s "$D/before/$s/config.d/00-super.toml" "$D/etc/edgesec/$s/config.d/00-super.toml" ||
    fail "old $s config not kept"
done
[ ! -e "$D/etc/edgesec/certd/config.d/00-super.toml.edgesec-new" ] || fail "staged file left behind"
echo ok
