# edgectl check tells the truth (issue 11): no false FAIL or WARN on documented setups (a
# self_signed device identity, a chain whose root only the hub knows, an auto-renewed Edge CA that
# lives less than 30 days), the key of a preloaded Edge CA is compared, and each planted fault (a
# 0-byte stored Edge CA, a missing device identity, keyd refusing certd) fails with a hint that,
# run as printed, fixes it: the test runs every such hint and checks again.
source "$(dirname "$0")/../identityd/lib.sh"
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test}"
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing" >&2; exit 77; }

OUT=$DIR/check.out
HINTBIN=$DIR/hintbin  # `edgectl` of a hint is the binary under test
mkdir -p "$HINTBIN"
ln -s "$EDGESEC_EDGECTL" "$HINTBIN/edgectl"
run_check() { edgectl check >"$OUT" 2>&1; RC=$?; }
# expect_line STATUS ID TEXT...: a line "STATUS  ID…" that contains each TEXT (on it or its hint).
expect_line() {
  local status=$1 id=$2; shift 2
  local block
  block=$(awk -v tag="$status  $id" 'index($0, tag) == 1 {p = 1; print; next}
    p && /^      hint: / {print; next} {p = 0}' "$OUT")
  if [ -z "$block" ]; then fail "no '$status  $id' line"; cat "$OUT" >&2; return; fi
  for text in "$@"; do
    grep -qF -- "$text" <<<"$block" || { fail "'$status  $id' line lacks '$text'"; echo "$block" >&2; }
  done
  pass "$status  $id"
}
expect_rc() {
  if [ "$RC" -eq "$1" ]; then pass "$2 (exit $RC)"; else fail "$2: exit $RC, not $1"; cat "$OUT" >&2; fi
}
# run_hint ID: runs the command of the hint under the first FAIL line of ID, as printed (from its
# first command word on).
run_hint() {
  local hint cmd
  hint=$(awk -v tag="FAIL  $1:" 'index($0, tag) == 1 {getline; print; exit}' "$OUT")
  cmd=$(grep -oE "(edgectl|chmod|chown|mkdir|usermod) .*" <<<"$hint" | head -1)
  if [ -z "$cmd" ]; then fail "the hint of '$1' holds no command: '$hint'"; return; fi
  echo "running the hint of $1: $cmd"
  if PATH=$HINTBIN:$PATH bash -c "$cmd" >"$DIR/hint.out" 2>&1; then pass "the hint of $1 runs"
  else fail "the hint of $1 failed: $cmd"; cat "$DIR/hint.out" >&2; fi
}
wait_cert() {
  for _ in $(seq 300); do edgectl cert show "$1" >/dev/null 2>&1 && return; sleep 0.1; done
}

# A root the device knows nothing of, its intermediate and a leaf (the hub's chain), and a
# self-signed CA with its key and another key (the Edge CA from files).
mkdir -p "$DIR/pki"
python3 - "$DIR/pki" <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(subject, key, issuer, issuer_key, ca):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=200))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = (b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return b.sign(issuer_key, hashes.SHA256())
def pem(c): return c.public_bytes(serialization.Encoding.PEM)
def key_pem(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
root_k, mid_k, leaf_k, ca_k, other_k = (ec.generate_private_key(ec.SECP256R1()) for _ in range(5))
root = cert("hub root", root_k, "hub root", root_k, True)
mid = cert("hub intermediate", mid_k, "hub root", root_k, True)
leaf = cert("hub leaf", leaf_k, "hub intermediate", mid_k, False)
open(f"{out}/hubchain.pem", "wb").write(pem(leaf) + pem(mid))
ca = cert("files edge ca", ca_k, "files edge ca", ca_k, True)
open(f"{out}/ca.pem", "wb").write(pem(ca))
open(f"{out}/ca.key", "wb").write(key_pem(ca_k))
open(f"{out}/other.key", "wb").write(key_pem(other_k))
EOF
chmod 0600 "$DIR"/pki/*.key
ETC=$DIR/etc/edgesec
mkdir -p "$ETC/keyd" "$ETC/certd" "$ETC/identityd"
write() { cat >"$1"; chmod 0600 "$1"; }

# --- documented setups pass: a 20-day quickstart Edge CA, a self_signed device identity, a chain
# whose root only the hub has ----------------------------------------------------------------------
write "$ETC/keyd/config.toml" <<EOF
socket_mode = "0666"
EOF
write "$ETC/certd/config.toml" <<EOF
[profiles.edge-ca]
validity_days = 20

[preloaded_certs]
hubchain = "file://$DIR/pki/hubchain.pem"

[[credential]]
cert_id = "device-id"
method = "self_signed"
profile = "default"
common_name = "gw-check"
auto_renew = false
EOF
write "$ETC/identityd/config.toml" <<EOF
[device_identity]
cert_id = "device-id"
key_id = "device-id"
EOF
up
wait_cert edge-ca
edgectl cert renew device-id >/dev/null || fail "issuing device-id"
run_check
expect_rc 0 "documented setups pass"
expect_line PASS cert-validity:edge-ca "renews it by itself"
expect_line PASS cert-chain:device-id "self-signed"
expect_line PASS device-identity "device-id"
expect_line PASS edge-ca-issue:edge-ca "issues"
expect_line WARN cert-chain:hubchain "'CN=hub intermediate', issued by 'CN=hub root'" "trust_bundle_cert"
grep -q '^FAIL' "$OUT" && fail "a FAIL line on documented setups"

# --- a 0-byte stored Edge CA ------------------------------------------------------------------------
: >"$(ls "$DIR"/var/lib/edgesec/certd/certs/edge-ca-*.pem | head -1)"
run_check
expect_rc 1 "a 0-byte stored Edge CA fails"
expect_line FAIL edge-ca-issue:edge-ca "cannot issue"
expect_line FAIL cert-renewal:edge-ca "serves no cert" "edgectl --root $DIR cert renew edge-ca"
run_hint cert-renewal
run_check
expect_rc 0 "after its hint, the Edge CA passes"
expect_line PASS edge-ca-issue:edge-ca "issues"

# --- a missing device identity ----------------------------------------------------------------------
edgectl cert delete device-id >/dev/null || fail "deleting device-id"
run_check
expect_rc 1 "a missing device identity fails"
expect_line FAIL device-identity "is missing" "cert renew device-id"
run_hint device-identity
run_check
expect_rc 0 "after its hint, the device identity passes"

# --- an Edge CA from files: its key is compared ------------------------------------------------------
down
rm -rf "${DIR:?}/var/lib/edgesec"
write "$ETC/certd/config.toml" <<EOF
[edge_ca]
quickstart = false
[preloaded_certs]
edge-ca = "file://$DIR/pki/ca.pem"
EOF
rm -f "$ETC/identityd/config.toml"
write "$ETC/keyd/config.toml" <<EOF
socket_mode = "0666"
[preloaded_keys]
edge-ca = "file://$DIR/pki/ca.key"
EOF
up
run_check
expect_rc 0 "an Edge CA from files with its key passes"
expect_line PASS cert-key:edge-ca "matches its key 'edge-ca'"
sed -i "s|pki/ca.key|pki/other.key|" "$ETC/keyd/config.toml"
down; up
run_check
expect_rc 1 "an Edge CA from files with another key fails"
expect_line FAIL cert-key:edge-ca "does not match its key 'edge-ca'" "$DIR/pki/ca.pem" "$DIR/pki/other.key"
expect_line FAIL edge-ca-issue:edge-ca "is not the key of issuer certificate"

# --- keyd refuses certd: certd runs as another uid (65534) without its principal ---------------------
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
  down
  rm -rf "${DIR:?}/var/lib/edgesec" "$ETC/certd/config.toml"
  write "$ETC/keyd/config.toml" <<<'socket_mode = "0666"'
  up
  wait_cert edge-ca
  kill "$(cat "$RUN/certd.pid")"
  for _ in $(seq 50); do [ -S "$RUN/certd.sock" ] || break; sleep 0.1; done
  chown -R 65534:65534 "$DIR/var/lib/edgesec/certd"
  chmod 1777 "$RUN"
  touch "$DIR/var/log/edgesec/certd.log"
  chown 65534 "$DIR/var/log/edgesec/certd.log"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$EDGESEC_LIBEXECDIR/edgesec-certd" --root "$DIR" \
    >>"$DIR/var/log/edgesec/certd.log" 2>&1 &
  echo $! >"$RUN/certd.pid"
  for _ in $(seq 100); do [ -S "$RUN/certd.sock" ] && break; sleep 0.1; done
  run_check
  expect_rc 1 "keyd refusing certd fails"
  expect_line FAIL edge-ca-issue:edge-ca "keyd refuses certd (uid 65534)" "not authorized to use key 'edge-ca'"
  run_hint edge-ca-issue
  sleep 0.5  # keyd reloads on SIGHUP
  run_check
  expect_line PASS edge-ca-issue:edge-ca "issues"
  down
else
  echo "SKIP (part): keyd refusing certd needs root and setpriv (certd runs as uid 65534)" >&2
fi

finish
