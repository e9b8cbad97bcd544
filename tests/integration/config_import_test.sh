#!/bin/bash
# edgectl config import (issue 11): an IoT Edge 1.1 config.yaml naming a device CA from a PKI (root →
# intermediate → device CA, made here with openssl), its root as trusted_ca_certs and a manual x509
# identity → config.toml on stdout and with --out (atomic, mode 0600, never replaced without
# --force, nothing written on error); `config check` passes on it; `config apply` + `edgectl up`
# under a temp --root make the imported device CA the Edge CA that issues module certs, which
# verify against the imported root alone. Also: bad YAML (file:line:col), dps refused, and a
# connection-string config that `config check` accepts with its warning.
. "$(dirname "$0")/../identityd/lib.sh"

make_test_pki
mk device "gw-import-device-id" root notca
Y=$DIR/iotedge
mkdir -p "$Y"
# A 1.1 config.yaml as the 1.1 docs wrote them: the device CA's full chain, a bare path for the root.
cat > "$Y/config.yaml" <<YAML
provisioning:
  source: "manual"
  authentication:
    method: "x509"
    iothub_hostname: "hub.azure-devices.net"
    device_id: "gw-import"
    identity_cert: "file://$PKI/device.pem"
    identity_pk: "file://$PKI/device.key"

agent:
  name: "edgeAgent"
  type: "docker"
  env: {}
  config:
    image: "mcr.microsoft.com/azureiotedge-agent:1.1"
    auth: {}

hostname: "gw-import"

connect:
  management_uri: "unix:///var/run/iotedge/mgmt.sock"
  workload_uri: "unix:///var/run/iotedge/workload.sock"

listen:
  management_uri: "fd://iotedge.mgmt.socket"
  workload_uri: "fd://iotedge.socket"

homedir: "/var/lib/iotedge"

moby_runtime:
  uri: "unix:///var/run/docker.sock"

certificates:
  device_ca_cert: "file://$PKI/edgeca-chain.pem"
  device_ca_pk: "file://$PKI/edgeca.key"
  trusted_ca_certs: "$PKI/root.pem"
  auto_generated_ca_lifetime_days: 30

mystery_setting: true
YAML

# stdout: the config.toml; stderr: the warnings with file:line:col; exit 0.
edgectl config import "$Y/config.yaml" >"$DIR/stdout.toml" 2>"$DIR/err"
RC=$?
[ $RC = 0 ] && pass "import of a 1.1 config.yaml exits 0 with warnings" || fail "import: exit $RC, $(cat "$DIR/err")"
grep -q "^warning: $Y/config.yaml:39:1: 'mystery_setting': unknown key" "$DIR/err" &&
  pass "an unknown key is a warning with file:line:col" || fail "no warning for mystery_setting: $(cat "$DIR/err")"
grep -q "^warning: $Y/config.yaml:37:3: 'certificates.auto_generated_ca_lifetime_days'" "$DIR/err" &&
  pass "the generated CA's lifetime with a device CA is a warning" || fail "no lifetime warning: $(cat "$DIR/err")"
grep -q "^cert = \"file://$PKI/edgeca-chain.pem\"$" "$DIR/stdout.toml" &&
  grep -q "^trust_bundle_cert = \"file://$PKI/root.pem\"$" "$DIR/stdout.toml" &&
  pass "device_ca_cert → [edge_ca] cert, trusted_ca_certs (a path) → trust_bundle_cert (file://)" ||
  fail "stdout: $(cat "$DIR/stdout.toml")"
grep -q "^#   moby_runtime (line 30)$" "$DIR/stdout.toml" && pass "1.1's container settings are listed as not imported" ||
  fail "no not-imported comment: $(cat "$DIR/stdout.toml")"

# --out: atomic, 0600, and never over an existing file without --force.
C=$DIR/etc/edgesec/config.toml
edgectl config import "$Y/config.yaml" --out "$C" >"$DIR/out" 2>/dev/null || fail "import --out: $(cat "$DIR/out")"
cmp -s "$C" "$DIR/stdout.toml" && pass "--out writes what stdout shows" || fail "--out differs from stdout"
[ "$(stat -c %a "$C")" = 600 ] && pass "--out file is mode 0600" || fail "mode $(stat -c %a "$C")"
echo "# the integrator's edit" >> "$C"
BEFORE=$(sha256sum "$C")
edgectl config import "$Y/config.yaml" --out "$C" >"$DIR/out" 2>"$DIR/err"
RC=$?
[ $RC = 1 ] && grep -q "'$C' exists (--force replaces it); nothing written" "$DIR/err" &&
  pass "--out refuses an existing file with exit 1" || fail "second --out: exit $RC, $(cat "$DIR/err")"
[ "$(sha256sum "$C")" = "$BEFORE" ] && pass "… and leaves it as it was" || fail "the existing file changed"
[ "$(ls -A "$DIR/etc/edgesec" | grep -c config.toml)" = 1 ] && pass "… and no temp file is left" || fail "left: $(ls -A "$DIR/etc/edgesec")"
edgectl config import "$Y/config.yaml" --out "$C" --force >/dev/null 2>&1 || fail "--force"
cmp -s "$C" "$DIR/stdout.toml" && pass "--force replaces it" || fail "--force did not replace the file"
edgectl config import "$Y/config.yaml" --force >/dev/null 2>&1
RC=$?
[ $RC = 2 ] && pass "--force without --out is a usage error" || fail "--force alone: exit $RC"
[ "$(stat -c %a "$C")" = 600 ] || fail "mode after --force $(stat -c %a "$C")"

# The output passes config check, and apply + up make the imported device CA the Edge CA.
edgectl config check >"$DIR/out" 2>&1 && pass "config check passes on the imported config" ||
  fail "config check: $(cat "$DIR/out")"
grep -q "'provisioning.device_id'" "$DIR/out" || fail "config check does not warn about device_id: $(cat "$DIR/out")"
edgectl config apply >"$DIR/out" 2>&1 || { fail "config apply: $(cat "$DIR/out")"; finish; }
up
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
mkdir -p "$DIR/m"
module_cert edgehub gw-import "$DIR/m" || fail "module cert from the imported Edge CA"
openssl x509 -in "$DIR/m/chain.pem" -out "$DIR/m/issuer.pem" 2>/dev/null
[ "$(fp "$DIR/m/issuer.pem")" = "$(fp "$PKI/edgeca.pem")" ] &&
  pass "the module cert's issuer is the imported device CA" ||
  fail "issuer: $(openssl x509 -in "$DIR/m/issuer.pem" -noout -subject 2>&1)"
check "the module cert chain verifies against the imported trusted_ca_certs alone" \
  openssl verify -CAfile "$PKI/root.pem" -untrusted "$DIR/m/chain.pem" -verify_hostname gw-import "$DIR/m/leaf.pem"
edgectl identity show >"$DIR/out" 2>&1 && grep -q "gw-import-device-id" "$DIR/out" &&
  pass "the device identity is the imported x509 identity" || fail "identity show: $(cat "$DIR/out")"
down

# Errors: exit 1, file:line:col, nothing written.
O=$DIR/new.toml
printf 'provisioning:\n  source: "manual\nhostname: gw\n' >"$Y/bad.yaml"
edgectl config import "$Y/bad.yaml" --out "$O" >/dev/null 2>"$DIR/err"
RC=$?
[ $RC = 1 ] && grep -q "^edgectl: $Y/bad.yaml:2:11: not valid YAML: this quoted string is never closed; nothing written$" "$DIR/err" &&
  pass "bad YAML: exit 1 with file:line:col" || fail "bad YAML: exit $RC, $(cat "$DIR/err")"
[ ! -e "$O" ] && pass "… and nothing written" || fail "bad YAML wrote $O"
printf 'provisioning:\n  source: "dps"\n  scope_id: "0ne0000"\n' >"$Y/dps.yaml"
edgectl config import "$Y/dps.yaml" --out "$O" >/dev/null 2>"$DIR/err"
RC=$?
[ $RC = 1 ] && grep -q "^edgectl: $Y/dps.yaml:2:11: 'provisioning.source': DPS provisioning is outside edgesec" "$DIR/err" &&
  [ ! -e "$O" ] && pass "dps: refused with the position, nothing written" || fail "dps: exit $RC, $(cat "$DIR/err")"

# A device connection string is kept; config check accepts it with its warning.
printf 'provisioning:\n  source: manual\n  device_connection_string: "HostName=h.azure-devices.net;DeviceId=gw;SharedAccessKey=c2VjcmV0"\nhostname: gw\n' >"$Y/cs.yaml"
edgectl config import "$Y/cs.yaml" --out "$O" >/dev/null 2>"$DIR/err" || fail "connection string: $(cat "$DIR/err")"
grep -q "$Y/cs.yaml:3:3: 'provisioning.device_connection_string'" "$DIR/err" || fail "no warning: $(cat "$DIR/err")"
edgectl config check --config "$O" >"$DIR/out" 2>&1 &&
  grep -q "warning: $O:[0-9]*:[0-9]*: 'provisioning.connection_string': IoT Hub authentication" "$DIR/out" &&
  pass "a connection string: config check passes with config.toml's warning" || fail "check: $(cat "$DIR/out")"
finish
