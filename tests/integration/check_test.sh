# edgectl check on a system that `edgectl up --root` runs: a healthy one passes (exit 0), and each
# planted fault is found with a failing line and its hint (exit 1): a stopped service, a key file
# readable by others, an expired preloaded cert, an unreachable EST server and one whose TLS
# certificate the configured trust does not verify; a cert within its expiry warning is a warning
# (exit 0). Certificates are made at test time (python3-cryptography), never checked in.
source "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }

OUT=$DIR/check.out
# run_check: runs `edgectl check`, sets RC and keeps its output in $OUT.
# certd issues the quickstart Edge CA at start: wait for the cert itself (cert list names the
# credential before its cert exists), generously for a loaded machine or a key made on a token.
wait_edge_ca() {
  for _ in $(seq 300); do edgectl cert show edge-ca >/dev/null 2>&1 && return; sleep 0.1; done
}
run_check() {
  edgectl check >"$OUT" 2>&1
  RC=$?
}
# expect_line STATUS ID-PREFIX TEXT...: a line "STATUS  ID…" that contains each TEXT (on it or its hint).
expect_line() {
  local status=$1 id=$2; shift 2
  local block
  block=$(awk -v tag="$status  $id" 'index($0, tag) == 1 {p = 1; print; next}
    p && /^      hint: / {print; next} {p = 0}' "$OUT")
  if [ -z "$block" ]; then fail "no '$status  $id' line"; cat "$OUT" >&2; return; fi
  for text in "$@"; do
    grep -qF -- "$text" <<<"$block" || { fail "'$status  $id' line lacks '$text'"; echo "$block" >&2; }
  done
}
# run_hint ID: runs the command of the hint under the first FAIL or WARN line of ID, as printed (from
# its first command word on; `edgectl` is the binary under test).
HINTBIN=$DIR/hintbin
mkdir -p "$HINTBIN"
ln -s "$EDGESEC_EDGECTL" "$HINTBIN/edgectl"
run_hint() {
  local hint cmd
  hint=$(awk -v tag="$1" '(index($0, "FAIL  " tag) == 1 || index($0, "WARN  " tag) == 1) {getline; print; exit}' "$OUT")
  cmd=$(grep -oE "(edgectl|chmod|chown) .*" <<<"$hint" | head -1)
  if [ -z "$cmd" ]; then fail "the hint of '$1' holds no command: '$hint'"; return; fi
  if PATH=$HINTBIN:$PATH bash -c "$cmd" >"$DIR/hint.out" 2>&1; then pass "the hint of $1 runs: $cmd"
  else fail "the hint of $1 failed: $cmd"; cat "$DIR/hint.out" >&2; fi
}
expect_rc() {
  if [ "$RC" -eq "$1" ]; then pass "$2 (exit $RC)"; else fail "$2: exit $RC, not $1"; cat "$OUT" >&2; fi
}
restart() { down; up; }

# Test certificates: 'soon' expires in 3 days (within the 7d warning), 'old' expired yesterday, 'other'
# is a CA that did not issue the EST server's TLS certificate.
mkdir -p "$DIR/pki"
python3 - "$DIR/pki" <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
now = datetime.datetime.now(datetime.timezone.utc)
day = datetime.timedelta(days=1)
for name, nb, na in (("soon", -day, 3 * day), ("old", -10 * day, -day), ("other", -day, 30 * day)):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + nb).not_valid_after(now + na)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    open(f"{sys.argv[1]}/{name}.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
EOF
CERTD_CONF=$DIR/etc/edgesec/certd/config.toml
mkdir -p "$(dirname "$CERTD_CONF")"

# --- a healthy system ------------------------------------------------------------------------------
up
wait_edge_ca
run_check
expect_rc 0 "a healthy system passes"
expect_line PASS service-keyd "edgesec-keyd"
expect_line PASS service-workload "workload.sock"
expect_line PASS cert-validity:edge-ca "valid until"
expect_line PASS cert-chain:edge-ca "chains to"
expect_line PASS cert-key:edge-ca "matches its key 'edge-ca'"
expect_line PASS permissions-keyd
expect_line SKIP est "no EST server"
grep -q '^FAIL' "$OUT" && fail "a healthy system has a FAIL line"
edgectl check --json >"$DIR/check.json"
check "--json is an array of {id, status, message, hint} with exit 0" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert isinstance(r, list) and r
for e in r:
    assert set(e) == {"id", "status", "message", "hint"}, e
    assert e["status"] in ("pass", "warn", "fail", "skip"), e
    assert e["status"] not in ("warn", "fail") or e["hint"], e
assert not [e for e in r if e["status"] == "fail"]' "$DIR/check.json"

# --- a stopped service -----------------------------------------------------------------------------
kill "$(cat "$RUN/certd.pid")"
for _ in $(seq 50); do [ -S "$RUN/certd.sock" ] || break; sleep 0.1; done
run_check
expect_rc 1 "a stopped certd fails"
expect_line FAIL service-certd "certd" "hint: start the daemons: edgectl --root $DIR up"
expect_line SKIP certs "certd is not reachable"
run_hint service-certd
run_check
expect_rc 0 "after its hint (edgectl up), a stopped certd passes"

# --- a key file readable by others -----------------------------------------------------------------
KEY=$(ls "$DIR"/var/lib/edgesec/keyd/file/keypairs/*.pem | head -1)
chmod 0644 "$KEY"
run_check
expect_rc 1 "a key file with mode 0644 fails"
expect_line FAIL "permissions-keyd:$KEY" "mode 0644" "hint: chmod 0600 '$KEY'"
run_hint "permissions-keyd:$KEY"
run_check
expect_rc 0 "after its hint, the key file passes"

# --- a cert within its expiry warning: a warning only ---------------------------------------------
cat >"$CERTD_CONF" <<EOF
[preloaded_certs]
soon = "file://$DIR/pki/soon.pem"
EOF
restart
run_check
expect_rc 0 "a cert within its expiry warning only warns"
expect_line WARN cert-validity:soon "expires in" "within its 7d expiry warning" "hint: replace '$DIR/pki/soon.pem'"

# --- an expired preloaded cert ---------------------------------------------------------------------
cat >>"$CERTD_CONF" <<EOF
old = "file://$DIR/pki/old.pem"
EOF
restart
run_check
expect_rc 1 "an expired preloaded cert fails"
expect_line FAIL cert-validity:old "expired" "hint: replace '$DIR/pki/old.pem'"
expect_line WARN cert-validity:soon "within its 7d expiry warning"

# --- EST: reachable, then untrusted, then stopped --------------------------------------------------
mkdir -p "$DIR/est"
python3 "$EDGESEC_SOURCE_ROOT/tests/est/est_server.py" --dir "$DIR/est" --port-file "$DIR/est/port" \
  >"$DIR/est/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$DIR/est/port" ] && break; sleep 0.1; done
PORT=$(cat "$DIR/est/port")
est_config() {  # est_config TRUSTED_PEM
  cat >"$CERTD_CONF" <<EOF
[est]
url = "https://127.0.0.1:$PORT"
trusted_certs = ["$1"]
EOF
  restart
}
est_config "$DIR/est/root.pem"
run_check
expect_rc 0 "an EST server reachable with the configured trust passes"
expect_line PASS "est:https://127.0.0.1:$PORT" "answers over TLS"

est_config "$DIR/pki/other.pem"
run_check
expect_rc 1 "an EST server the configured trust does not verify fails"
expect_line FAIL "est:https://127.0.0.1:$PORT" "not reachable over TLS" "hint: the server's TLS certificate does not verify"

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
est_config "$DIR/est/root.pem"
run_check
expect_rc 1 "an unreachable EST server fails"
expect_line FAIL "est:https://127.0.0.1:$PORT" "not reachable over TLS" "hint: check that the EST server runs"

# --- the super config: not applied (warn), applied (pass), invalid (fail) ---------------------------
rm -f "$CERTD_CONF"
restart
SUPER=$DIR/etc/edgesec/config.toml
printf 'hostname = "gw-check"\n' >"$SUPER"
chmod 0644 "$SUPER"
run_check
expect_rc 0 "a valid super config that is not applied only warns"
expect_line WARN config-applied "not applied" "hint: apply it (--dry-run shows the difference first): edgectl --root $DIR config apply"
expect_line WARN "permissions:$SUPER" "mode 0644" "hint: chmod 0600 '$SUPER'"
run_hint "permissions:$SUPER"
run_hint config-applied
run_check
expect_rc 0 "an applied super config passes"
expect_line PASS config "valid and applied"
printf 'hostnme = "gw-check"\n' >"$SUPER"
run_check
expect_rc 1 "an invalid super config fails"
expect_line FAIL config "config.toml:1:1" "did you mean 'hostname'"

# --- a PKCS#11 token behind keyd (SoftHSM2), on a fresh state --------------------------------------
SOFTHSM_LIB=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -f "$SOFTHSM_LIB" ]; then
  down
  rm -rf "${DIR:?}/var/lib/edgesec" "$SUPER" "$DIR"/etc/edgesec/*/config.d
  mkdir -p "$DIR/softhsm/tokens" "$DIR/etc/edgesec/keyd"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$DIR/softhsm/tokens" >"$DIR/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF=$DIR/softhsm/softhsm2.conf
  printf 'check-pin-1234' >"$DIR/softhsm/pin"
  chmod 0600 "$DIR/softhsm/pin"
  softhsm2-util --init-token --free --label edgesec-check --pin check-pin-1234 \
    --so-pin check-so-5678 >/dev/null
  KEYD_CONF=$DIR/etc/edgesec/keyd/config.toml
  printf 'default_engine = "pkcs11"\n[pkcs11]\nlib_path = "%s"\nbase_slot = "%s"\n' "$SOFTHSM_LIB" \
    "pkcs11:token=edgesec-check?pin-source=file:$DIR/softhsm/pin" >"$KEYD_CONF"
  chmod 0600 "$KEYD_CONF"
  up
  wait_edge_ca
  run_check
  expect_rc 0 "keys on a PKCS#11 token pass"
  expect_line PASS token-pkcs11 "key(s) answer through keyd"
  expect_line PASS cert-key:edge-ca "matches its key"
else
  pass "the PKCS#11 part is skipped: SoftHSM2 is not installed"
fi

finish
