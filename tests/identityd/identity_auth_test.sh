#!/bin/bash
# The identity API's device identity and who may call what: a device identity issued by certd
# (self_signed credential) is served with a keyd handle that signs for the cert's key (checked with
# openssl); module principals get certs for their own modules only (403 on workload, 401 on
# identityd.sock otherwise); a device identity that is still being enrolled answers 503 with
# Retry-After and the reason. Needs root to drop to other uids (setpriv): skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: must run as root to drop to other uids with setpriv" >&2; exit 77; fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv is not installed" >&2; exit 77; }

mkdir -p "$DIR/etc/edgesec/certd" "$DIR/etc/edgesec/identityd"
cat > "$DIR/etc/edgesec/certd/config.toml" <<'CFG'
[[credential]]
cert_id = "device-id"
method = "self_signed"
common_name = "gateway-01"
CFG
cat > "$DIR/etc/edgesec/identityd/config.toml" <<'CFG'
socket_mode = "0666"

[device_identity]
cert_id = "device-id"

[[principal]]
uid = 65534
modules = ["edgehub", "$edgeAgent"]

[[principal]]
uid = 65533
idtype = "device"
CFG
up

# --- The device identity (certd issues it at start; wait for it)
for _ in $(seq 100); do
  call identityd GET '/identities/identity?api-version=2020-09-01'
  [ "$STATUS" = 200 ] && break
  sleep 0.1
done
[ "$STATUS" = 200 ] && pass "GET /identities/identity → 200" || fail "device identity: $STATUS $BODY"
[ "$(echo "$BODY" | json type)" = aziot ] && [ "$(echo "$BODY" | json spec.deviceId)" = gateway-01 ] \
  && [ "$(echo "$BODY" | json spec.auth.type)" = x509 ] && [ "$(echo "$BODY" | json spec.auth.certId)" = device-id ] \
  && pass "device identity: aziot, deviceId from the cert's CN, x509 auth with the cert id" || fail "identity shape: $BODY"
HANDLE=$(echo "$BODY" | json spec.auth.keyHandle)
printf 'proof of possession' > "$DIR/msg"
DIGEST=$(openssl dgst -sha256 -binary "$DIR/msg" | base64 -w0)
call keyd POST '/sign?api-version=2020-09-01' "{\"keyHandle\":\"$HANDLE\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
echo "$BODY" | json signature | base64 -d > "$DIR/msg.sig"
curl -s --unix-socket "$RUN/certd.sock" 'http://localhost/certificates/device-id?api-version=2020-09-01' | json pem > "$DIR/device.pem"
openssl x509 -in "$DIR/device.pem" -noout -pubkey > "$DIR/device.pub"
check "the identity's keyHandle signs for the identity cert's key (openssl dgst -verify)" \
  openssl dgst -sha256 -verify "$DIR/device.pub" -signature "$DIR/msg.sig" "$DIR/msg"
edgectl identity show | grep -q "deviceId: gateway-01" && pass "edgectl identity show" || fail "edgectl identity show"

call identityd GET '/identities/identity?api-version=2020-09-01' '' 65533
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json spec.deviceId)" = gateway-01 ] \
  && pass "a principal with idtype = device gets the device identity" || fail "device principal: $STATUS $BODY"

# --- Module principals: their own modules only
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"edgegateway.local"}' 65534
[ "$STATUS" = 201 ] && pass "uid 65534 gets a server cert for its module edgehub" || fail "own module: $STATUS $BODY"
call workload POST '/modules/%24edgeAgent/certificate/identity?api-version=2019-01-30' '{}' 65534
[ "$STATUS" = 201 ] && pass "… and an identity cert for \$edgeAgent" || fail "own module \$edgeAgent: $STATUS $BODY"
call workload POST '/modules/other/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"other.local"}' 65534
[ "$STATUS" = 403 ] && echo "$BODY" | grep -q "user 65534 is not authorized" \
  && pass "another module's cert → 403 naming the user" || fail "other module: $STATUS $BODY"
call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' '{"commonName":"x.local"}' 65532
[ "$STATUS" = 403 ] && pass "a uid with no principal → 403 on workload" || fail "stranger workload: $STATUS $BODY"
call workload GET '/trust-bundle?api-version=2019-01-30' '' 65532
[ "$STATUS" = 200 ] && pass "the trust bundle is public" || fail "stranger trust bundle: $STATUS $BODY"
call identityd GET '/identities/identity?api-version=2020-09-01' '' 65532
[ "$STATUS" = 401 ] && pass "a uid with no principal → 401 on identityd.sock" || fail "stranger identity: $STATUS $BODY"
call identityd GET '/identities/modules?api-version=2020-09-01' '' 65534
[ "$STATUS" = 401 ] && pass "module principals cannot list module identities" || fail "module list as 65534: $STATUS $BODY"
call identityd GET '/identities/identity?api-version=2020-09-01' '' 65534
[ "$STATUS" = 404 ] && pass "a module principal without a module identity → 404" || fail "module identity before create: $STATUS $BODY"
call identityd POST '/identities/modules?api-version=2020-09-01' '{"type":"local","moduleId":"edgehub"}'
call identityd GET '/identities/identity?api-version=2020-09-01' '' 65534
[ "$STATUS" = 200 ] && [ "$(echo "$BODY" | json spec.moduleId)" = edgehub ] \
  && pass "a module principal gets its module's identity" || fail "module identity: $STATUS $BODY"
call identityd DELETE '/identities/modules/edgehub?api-version=2020-09-01' '' 65534
[ "$STATUS" = 401 ] && pass "module principals cannot delete module identities" || fail "delete as 65534: $STATUS $BODY"

# --- Writes and reads a module or a stranger may not do: 401 and identityd's state unchanged
call identityd POST '/identities/modules?api-version=2020-09-01' '{"type":"local","moduleId":"other"}'
[ "$STATUS" = 200 ] || fail "root creates module identity 'other': $STATUS $BODY"
state_sum() { cat "$DIR"/var/lib/edgesec/identityd/*.json 2>/dev/null | sha256sum; }
denied() { unauthorized identityd state_sum "$@"; }
for who in 65534 65532; do
  denied "$who" POST /identities/modules '{"type":"local","moduleId":"edgehub2"}'
  denied "$who" POST /identities/modules '{"type":"local","moduleId":"edgehub"}'
  denied "$who" GET /identities/modules/other
  denied "$who" DELETE /identities/modules/other
  denied "$who" GET /edge-ca
done
denied 65532 GET /identities/modules/edgehub
call identityd GET '/edge-ca?api-version=2020-09-01' '' 65533
[ "$STATUS" = 200 ] && pass "the device principal reads the Edge CA status" || fail "device /edge-ca: $STATUS $BODY"
call identityd GET '/identities/modules/other?api-version=2020-09-01' '' 65533
[ "$STATUS" = 200 ] && pass "the device principal reads module 'other'" || fail "device module read: $STATUS $BODY"

# --- A device identity still being enrolled (its EST server does not answer): 503 + Retry-After
down
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj "/CN=EST root" \
  -days 30 -out "$DIR/est-root.pem" 2>/dev/null
cat > "$DIR/etc/edgesec/certd/config.toml" <<CFG
[est]
url = "https://127.0.0.1:9"
trusted_certs = ["$DIR/est-root.pem"]

[[credential]]
cert_id = "est-device-id"
method = "est"
common_name = "gateway-02"
CFG
sed -i 's/cert_id = "device-id"/cert_id = "est-device-id"/' "$DIR/etc/edgesec/identityd/config.toml"
up
call identityd GET '/identities/identity?api-version=2020-09-01'
[ "$STATUS" = 503 ] && echo "$BODY" | grep -q "being enrolled" && echo "$HEADERS" | grep -qi "^Retry-After: [0-9]" \
  && pass "device identity being enrolled → 503 with Retry-After" || fail "enrolling identity: $STATUS $BODY"
for _ in $(seq 100); do
  call identityd GET '/identities/identity?api-version=2020-09-01'
  echo "$BODY" | grep -q "last attempt failed" && break
  sleep 0.1
done
[ "$STATUS" = 503 ] && echo "$BODY" | grep -q "the last attempt failed: .*EST" \
  && pass "… and, once an attempt failed, the reason" || fail "enrolling identity reason: $STATUS $BODY"

finish
