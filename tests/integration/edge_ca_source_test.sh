#!/bin/bash
# `edgectl config apply` when the Edge CA's source changes (issue 11, trap 2), under `edgectl up
# --root`: quickstart → files → quickstart. The new source takes effect by the time apply returns
# (the stored cert of the old source does not keep precedence), apply says so, the previous Edge CA
# stays in the workload API's trust bundle, and a module cert issued right after apply chains to the
# new one (openssl verify against the bundle). Then a daemon that refuses its new file makes apply
# fail and put the previous files back (the reload is confirmed, not assumed).
set -uo pipefail
E="${EDGESEC_EDGECTL:?}"
export EDGESEC_LIBEXECDIR="${EDGESEC_BUILD_ROOT:?}"
D=$(mktemp -d /tmp/es-ecs-XXXXXX)
cleanup() { "$E" --root "$D" down >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for l in "$D"/var/log/edgesec/*.log; do echo "== $l"; tail -8 "$l"; done >&2
  exit 1
}
S=$D/run/edgesec
P=$D/pki
mkdir -p "$D/etc/edgesec" "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/root.key" \
  -out "$P/root.pem" -subj /CN=Root -days 30 -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "root CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" -out "$P/ca.csr" \
  -subj "/CN=Files Edge CA" 2>/dev/null || fail "Edge CA key"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n' >"$P/ext"
openssl x509 -req -in "$P/ca.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -CAcreateserial \
  -out "$P/ca.pem" -days 20 -extfile "$P/ext" 2>/dev/null || fail "Edge CA cert"
cat "$P/ca.pem" "$P/root.pem" >"$P/chain.pem"
FILES_FP=$(openssl x509 -in "$P/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2)

write_config() {  # quickstart | files
  printf 'hostname = "gw-src"\n' >"$D/etc/edgesec/config.toml"
  [ "$1" = files ] && cat >>"$D/etc/edgesec/config.toml" <<TOML
trust_bundle_cert = "file://$P/root.pem"
[edge_ca]
cert = "file://$P/chain.pem"
pk = "file://$P/ca.key"
TOML
  chmod 600 "$D/etc/edgesec/config.toml"
}
served_fp() { "$E" --root "$D" --json ca show | python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"])'; }
bundle() {
  curl -sf --unix-socket "$S/workload.sock" "http://l/trust-bundle?api-version=2019-01-30" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate"], end="")' >"$D/bundle.pem"
}
bundle_has() { openssl crl2pkcs7 -nocrl -certfile "$D/bundle.pem" | openssl pkcs7 -print_certs -noout | grep -q "subject=$1"; }
module_cert_verifies() {  # NAME: a server cert through the workload API, verified against the bundle
  curl -sf --unix-socket "$S/workload.sock" -X POST -H 'Content-Type: application/json' \
    -d "{\"commonName\":\"$1\",\"expiration\":\"2027-01-01T00:00:00Z\"}" \
    "http://l/modules/$1/genid/1/certificate/server?api-version=2019-01-30" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate"], end="")' >"$D/$1.pem" || return 1
  bundle
  openssl verify -CAfile "$D/bundle.pem" -untrusted "$D/$1.pem" "$D/$1.pem" >/dev/null &&
    openssl x509 -in "$D/$1.pem" -noout -issuer | grep -q "$2"
}

write_config quickstart
"$E" --root "$D" config apply >/dev/null || fail "first apply"
"$E" --root "$D" up >/dev/null || fail "up"
QUICK_FP=$(served_fp) || fail "ca show"
module_cert_verifies m0 "edgesec Edge CA gw-src" || fail "a module cert from the quickstart Edge CA"

# quickstart → files: the file's CA is served as soon as apply returns, and apply says so.
write_config files
"$E" --root "$D" config apply >"$D/out" 2>&1 || fail "apply to files: $(cat "$D/out")"
grep -q "^Edge CA: now $FILES_FP; the previous one ($QUICK_FP) stays in the trust bundle" "$D/out" ||
  fail "apply did not say that the Edge CA changed: $(cat "$D/out")"
[ "$(served_fp)" = "$FILES_FP" ] || fail "certd still serves $(served_fp), not the file's $FILES_FP"
module_cert_verifies m1 "CN *= *Files Edge CA" || fail "a module cert right after apply is not from the file's Edge CA"
bundle_has "CN = edgesec Edge CA gw-src" || fail "the previous (quickstart) Edge CA left the trust bundle"
bundle_has "CN = Files Edge CA" || fail "the trust bundle lacks the file's Edge CA"
"$E" --root "$D" config apply >"$D/out" 2>&1 || fail "apply again"
grep -q "no changes" "$D/out" || fail "a second apply changed something: $(cat "$D/out")"

# files → quickstart: a quickstart Edge CA again (a new one), the file's CA still trusted.
write_config quickstart
"$E" --root "$D" config apply >"$D/out" 2>&1 || fail "apply back to quickstart: $(cat "$D/out")"
NEW_FP=$(served_fp)
[ "$NEW_FP" != "$FILES_FP" ] || fail "certd still serves the file's Edge CA"
grep -q "^Edge CA: now $NEW_FP; the previous one ($FILES_FP)" "$D/out" || fail "apply output: $(cat "$D/out")"
module_cert_verifies m2 "edgesec Edge CA gw-src" || fail "a module cert from the new quickstart Edge CA"
bundle_has "CN = Files Edge CA" || fail "the file's Edge CA left the trust bundle"
# The Edge CA's history (docs/certd.md, "Lifecycle"): quickstart, the file's CA, a new quickstart one,
# each change of source recorded as source-changed with the fingerprints served.
"$E" --root "$D" --json cert history edge-ca | python3 -c '
import json, sys
g = json.load(sys.stdin)["generations"]
got = [(x["origin"], x["reason"], x["sha256"]) for x in g]
want = [("issued", "initial", sys.argv[1]), ("preloaded", "source-changed", sys.argv[2]),
        ("issued", "source-changed", sys.argv[3])]
sys.exit(0 if got == want else "edge-ca history %s, expected %s" % (got, want))' "$QUICK_FP" "$FILES_FP" "$NEW_FP" ||
  fail "the Edge CA history does not record the source changes"

# Files naming a CA that cannot issue (no subjectKeyIdentifier): apply says so and names the files,
# deleting nothing (the file is the configured one); a good config afterwards applies as usual.
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n' >"$P/ext-noski"
openssl x509 -req -in "$P/ca.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -CAcreateserial \
  -out "$P/ca.pem" -days 20 -extfile "$P/ext-noski" 2>/dev/null || fail "Edge CA cert without SKI"
openssl x509 -in "$P/ca.pem" -noout -text | grep -q "Subject Key Identifier" && fail "the test CA has an SKI"
cat "$P/ca.pem" "$P/root.pem" >"$P/chain.pem"
write_config files
"$E" --root "$D" config apply >"$D/out" 2>&1 && fail "apply passed with an Edge CA that cannot issue"
grep -q "cannot issue: .*replace the files \[edge_ca\] names" "$D/out" || fail "apply output: $(cat "$D/out")"
write_config quickstart
"$E" --root "$D" config apply >"$D/out" 2>&1 || fail "apply back to quickstart after the bad files: $(cat "$D/out")"
module_cert_verifies m25 "edgesec Edge CA gw-src" || fail "a module cert after the bad files"

# A daemon that refuses its new file: apply waits for the reload, fails, and restores the files.
cp "$D/etc/edgesec/certd/config.d/00-super.toml" "$D/certd-before"
printf 'this is = not toml [\n' >"$D/etc/edgesec/certd/config.d/50-broken.toml"
printf 'hostname = "gw-other"\n' >"$D/etc/edgesec/config.toml"
"$E" --root "$D" config apply >"$D/out" 2>&1 && fail "apply passed although certd refused its new file"
grep -q "edgesec-certd refused its new configuration: .*50-broken.toml" "$D/out" ||
  fail "apply did not name certd's refusal: $(cat "$D/out")"
grep -q "the previous configuration files were restored" "$D/out" || fail "no restore: $(cat "$D/out")"
cmp -s "$D/certd-before" "$D/etc/edgesec/certd/config.d/00-super.toml" || fail "certd's previous file was not restored"
rm "$D/etc/edgesec/certd/config.d/50-broken.toml"
module_cert_verifies m3 "edgesec Edge CA gw-src" || fail "identityd no longer issues after the failed apply"
echo ok
