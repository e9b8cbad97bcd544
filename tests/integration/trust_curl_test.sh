#!/bin/bash
# The "done when" of `edgectl trust install`: curl, with nothing but the system trust store, verifies
# a module's server cert after the install, and not before it nor after `trust remove`. The daemons
# run under a temp --root (tests/identityd/lib.sh); edgectl and update-ca-certificates run for real,
# without --root, in a private mount namespace (`unshare --mount` as root, `unshare -rm` otherwise)
# where copies of /etc/ssl/certs, /usr/local/share/ca-certificates and /etc/ca-certificates.conf
# are bind-mounted over the originals, /etc/ca-certificates/update.d is empty (Debian's
# jks-keystore hook would run dpkg triggers on the host), and /run/edgesec is the temp root's. The
# host's store is never touched: its listing and bundle hash are compared before and after.
. "$(dirname "$0")/../identityd/lib.sh"

for tool in unshare update-ca-certificates; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
if [ "$(id -u)" = 0 ]; then NS=(unshare --mount --propagation private); else NS=(unshare -rm --propagation private); fi
if ! "${NS[@]}" true 2>"$DIR/unshare.err"; then
  echo "SKIP: '${NS[*]}' is not permitted here: $(cat "$DIR/unshare.err")" >&2
  exit 77
fi
host_state() { ls -la /usr/local/share/ca-certificates /etc/ssl/certs 2>&1; sha256sum /etc/ssl/certs/ca-certificates.crt 2>&1; }
HOST_BEFORE=$(host_state)

up
mkdir -p "$DIR/m"
module_cert edgehub edgegateway.local "$DIR/m" || fail "module cert through the workload API"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$PORT" -www -quiet -cert "$DIR/m/leaf.pem" -key "$DIR/m/edgehub.key.pem" \
  -cert_chain "$DIR/m/chain.pem" >"$DIR/s_server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

export DIR PORT EDGESEC_EDGECTL
"${NS[@]}" bash -s >"$DIR/ns.log" 2>&1 <<'INNER'
set -u
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE
NSD=$DIR/ns
mkdir -p "$NSD/certs" "$NSD/local" "$NSD/update.d"
cp -a /etc/ssl/certs/. "$NSD/certs/" && cp -a /usr/local/share/ca-certificates/. "$NSD/local/" &&
  cp /etc/ca-certificates.conf "$NSD/ca-certificates.conf" || { echo "RESULT setup=copy-failed"; exit 1; }
mount --bind "$NSD/certs" /etc/ssl/certs && mount --bind "$NSD/local" /usr/local/share/ca-certificates &&
  mount --bind "$NSD/ca-certificates.conf" /etc/ca-certificates.conf &&
  mount --bind "$NSD/update.d" /etc/ca-certificates/update.d &&
  mount -t tmpfs tmpfs /run && mkdir /run/edgesec && mount --bind "$DIR/run/edgesec" /run/edgesec ||
  { echo "RESULT setup=mount-failed"; exit 1; }
echo "RESULT setup=ok"
fetch() {
  curl -sS --max-time 10 --resolve "edgegateway.local:$PORT:127.0.0.1" "https://edgegateway.local:$PORT/" -o /dev/null
  echo "RESULT $1=$?"
}
fetch before
echo "RESULT dangling_before=$(find /etc/ssl/certs -xtype l | wc -l)"
"$EDGESEC_EDGECTL" trust install; echo "RESULT install=$?"
ls /usr/local/share/ca-certificates/edgesec
echo "RESULT linked=$(ls /etc/ssl/certs | grep -c '^edgesec-')"
fetch installed
trust_check() {
  "$EDGESEC_EDGECTL" check --json 2>/dev/null | python3 -c 'import json, sys
r = [e for e in json.load(sys.stdin) if e["id"] == "trust-store"]
print(r[0]["status"] if r else "none")'
}
echo "RESULT check_installed=$(trust_check)"
rm /etc/ssl/certs/edgesec-*.pem
echo "RESULT check_unlinked=$(trust_check)"
"$EDGESEC_EDGECTL" trust install --quiet >"$NSD/quiet.out"; echo "RESULT reinstall=$? quiet=$(wc -c <"$NSD/quiet.out")"
fetch reinstalled
"$EDGESEC_EDGECTL" trust remove; echo "RESULT remove=$?"
echo "RESULT unlinked=$(ls /etc/ssl/certs | grep -c '^edgesec-')"
echo "RESULT dangling_after=$(find /etc/ssl/certs -xtype l | wc -l)"
fetch removed
INNER
cat "$DIR/ns.log"
result() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$DIR/ns.log" | tail -1; }
[ "$(result setup)" = ok ] || { fail "namespace setup: $(result setup)"; finish; }
# curl exit 60: the peer's certificate cannot be authenticated with the known CA certificates.
[ "$(result before)" = 60 ] && pass "before trust install curl refuses the module's cert (exit 60)" || fail "before: curl exit $(result before)"
[ "$(result install)" = 0 ] && pass "edgectl trust install (no --root, real update-ca-certificates)" || fail "install exit $(result install)"
[ "$(result linked)" -ge 1 ] && pass "update-ca-certificates linked edgesec's certificate into /etc/ssl/certs" || fail "no edgesec- link"
[ "$(result installed)" = 0 ] && pass "after trust install curl verifies the module's server cert with the system store" \
  || fail "after install: curl exit $(result installed)"
[ "$(result check_installed)" = pass ] && [ "$(result check_unlinked)" = warn ] \
  && pass "edgectl check: trust-store passes, and warns once a link in /etc/ssl/certs is gone" \
  || fail "edgectl check trust-store: $(result check_installed), then $(result check_unlinked)"
[ "$(result reinstall)" = 0 ] && [ "$(result quiet)" = 0 ] && [ "$(result reinstalled)" = 0 ] \
  && pass "a rerun with --quiet succeeds silently and curl still verifies" || fail "rerun: $(grep 'RESULT re' "$DIR/ns.log")"
[ "$(result remove)" = 0 ] && [ "$(result unlinked)" = 0 ] && pass "trust remove takes the links out of /etc/ssl/certs" \
  || fail "remove: exit $(result remove), $(result unlinked) links left"
[ "$(result dangling_after)" = "$(result dangling_before)" ] && pass "… and leaves no dangling link (hash links included)" \
  || fail "dangling links: $(result dangling_before) before, $(result dangling_after) after"
[ "$(result removed)" = 60 ] && pass "after trust remove curl refuses the cert again (exit 60)" || fail "after remove: curl exit $(result removed)"
[ "$HOST_BEFORE" = "$(host_state)" ] && pass "the host's trust store is unchanged" || fail "the host's trust store changed"
finish
