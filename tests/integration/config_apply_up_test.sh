#!/bin/sh
# config apply → the real daemons: a self-signed Edge CA with a subject, a validity and a renewal
# policy from the super config is what certd issues after `edgectl up`; changing the policy and
# applying again reloads only certd, which keeps serving.
set -eu
E="${EDGESEC_EDGECTL:?}"
D=$(mktemp -d /tmp/es-up-XXXXXX)
cleanup() { "$E" --root "$D" down >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for l in "$D"/var/log/edgesec/*.log; do echo "== $l"; tail -5 "$l"; done >&2; exit 1; }
mkdir -p "$D/etc/edgesec"
cat > "$D/etc/edgesec/config.toml" <<'TOML'
hostname = "gw-e2e"
[edge_ca]
method = "self_signed"
common_name = "E2E Edge CA"
expiry_days = 200
[edge_ca.subject]
O = "Example"
[edge_ca.auto_renew]
threshold = "50%"
[module_certs]
validity_days = 3
TOML
chmod 600 "$D/etc/edgesec/config.toml"
"$E" --root "$D" config apply >/dev/null || fail "apply"
"$E" --root "$D" up >/dev/null || fail "up"
"$E" --root "$D" ca show >"$D/ca" || fail "ca show"
grep -q "subject: .*CN=E2E Edge CA" "$D/ca" || fail "subject: $(cat "$D/ca")"
grep -q "O=Example" "$D/ca" || fail "subject O: $(cat "$D/ca")"
# Whole days, rounded down: a second after issuance it reads 199.
grep -qE "\((199|200) days left\)" "$D/ca" || fail "validity: $(cat "$D/ca")"
sed -i 's/threshold = "50%"/threshold = "60%"/' "$D/etc/edgesec/config.toml"
"$E" --root "$D" config apply >"$D/out" || fail "second apply"
grep -q "reloaded edgesec-certd (SIGHUP)" "$D/out" || fail "second apply: $(cat "$D/out")"
grep -q "keyd\|identityd" "$D/out" && fail "reloaded more than certd: $(cat "$D/out")"
for i in $(seq 50); do grep -q "configuration reloaded" "$D/var/log/edgesec/certd.log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$D/var/log/edgesec/certd.log" || fail "certd did not reload"
"$E" --root "$D" ca show >/dev/null || fail "certd stopped serving after the reload"
echo ok
