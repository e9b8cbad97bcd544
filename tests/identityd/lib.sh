# Shared by the identityd tests: a temp root, the three daemons through `edgectl up`, curl on the
# sockets, and checks made with the openssl command (independent of edgesec's own code).
set -uo pipefail
for tool in curl openssl python3 awk; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
: "${EDGESEC_EDGECTL:?run this test through meson test (EDGESEC_EDGECTL is not set)}"
export EDGESEC_LIBEXECDIR=$(dirname "$EDGESEC_KEYD")

DIR=$(mktemp -d /tmp/es-XXXXXX)
chmod 0755 "$DIR"
RUN=$DIR/run/edgesec
: > "$DIR/headers"
chmod 0666 "$DIR/headers"  # curl run as another uid (setpriv) writes it too
FAILED=0
cleanup() {
  "$EDGESEC_EDGECTL" down --root "$DIR" >/dev/null 2>&1
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
  if [ "$FAILED" -ne 0 ]; then
    for f in "$DIR"/var/log/edgesec/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { echo "ok: $*"; }
check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

edgectl() { "$EDGESEC_EDGECTL" --root "$DIR" "$@"; }
up() { edgectl up >/dev/null || { fail "edgectl up"; exit 1; }; }
down() { edgectl down >/dev/null; }

# call SOCKET METHOD ROUTE [BODY] [AS]: sets STATUS, BODY and HEADERS (AS: run as that uid with setpriv).
call() {
  local sock=$1 method=$2 route=$3 body=${4-} as=${5-}
  local prefix=()
  [ -n "$as" ] && prefix=(setpriv --reuid="$as" --regid="$as" --clear-groups)
  local out
  out=$("${prefix[@]}" curl -s -D "$DIR/headers" -o - -w '\n%{http_code}' --unix-socket "$RUN/$sock.sock" \
    -X "$method" -H 'Content-Type: application/json' ${body:+--data "$body"} "http://localhost$route" 2>/dev/null)
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
  HEADERS=$(cat "$DIR/headers" 2>/dev/null)
}

# unauthorized SOCKET STATE_FN AS METHOD ROUTE [BODY]: as uid AS, ROUTE (api-version 2020-09-01)
# answers 401 "user AS is not authorized to …", and STATE_FN prints the same before and after.
unauthorized() {
  local sock=$1 state_fn=$2 as=$3 method=$4 route=$5 body=${6-} before
  before=$("$state_fn")
  call "$sock" "$method" "$route?api-version=2020-09-01" "$body" "$as"
  if [ "$STATUS" = 401 ] && echo "$BODY" | json message 2>/dev/null | grep -q "^user $as is not authorized to "; then
    pass "$sock: uid $as $method $route → 401"
  else
    fail "$sock: uid $as $method $route: expected 401 naming the user, got $STATUS $BODY"
  fi
  [ "$("$state_fn")" = "$before" ] || fail "$sock: uid $as $method $route changed the service's state"
}

json() {  # json FIELD.PATH < body
  python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# split_chain FILE LEAF CHAIN: the first certificate to LEAF, the rest to CHAIN.
split_chain() {
  awk -v leaf="$2" -v chain="$3" '/BEGIN CERTIFICATE/{n++} {print > (n == 1 ? leaf : chain)}' "$1"
  [ -f "$3" ] || : > "$3"
}

# module_cert MODULE CN OUTDIR: a server cert through the workload API into OUTDIR (key, leaf, chain, bundle).
module_cert() {
  edgectl module cert "$1" --common-name "$2" --out "$3" >/dev/null || return 1
  split_chain "$3/$1.cert.pem" "$3/leaf.pem" "$3/chain.pem"
}

# tls_handshake DIR HOSTNAME: openssl s_server with DIR's cert, s_client verifying HOSTNAME against
# DIR/trust-bundle.pem. Returns s_client's status; its output is in DIR/s_client.log.
tls_handshake() {
  local d=$1 host=$2 port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local mod
  mod=$(ls "$d"/*.key.pem | head -1)
  openssl s_server -accept "127.0.0.1:$port" -naccept 1 -quiet -cert "$d/leaf.pem" -key "$mod" \
    -cert_chain "$d/chain.pem" >"$d/s_server.log" 2>&1 &
  SERVER_PID=$!
  # No probe connection: s_server -naccept 1 would count it. Retry while the port is not open yet.
  local rc=1
  for _ in $(seq 50); do
    echo hello | openssl s_client -connect "127.0.0.1:$port" -servername "$host" -verify_hostname "$host" \
      -CAfile "$d/trust-bundle.pem" -verify_return_error >"$d/s_client.log" 2>&1
    rc=$?
    grep -q "Connection refused" "$d/s_client.log" || break
    sleep 0.1
  done
  kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
  return $rc
}

finish() {
  if [ "$FAILED" -ne 0 ]; then echo "$FAILED check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}

# make_test_pki: the seeds' PKI in $DIR/pki (PKI), made with the openssl command: root → intermediate
# → Edge CA (root.pem, inter.pem, edgeca.pem and .key, edgeca-chain.pem = Edge CA + intermediate).
# `mk NAME CN ISSUER SECTION` makes more (sections of $PKI/ext.cnf: root, inter, edgeca, notca,
# nosign: CA:TRUE with a keyUsage that lacks keyCertSign).
PKI=$DIR/pki
mk() {  # mk NAME CN ISSUER SECTION (ISSUER "self": self-signed)
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null
  if [ "$3" = self ]; then
    openssl req -new -x509 -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -extensions "$4" \
      -config <(cat /etc/ssl/openssl.cnf "$PKI/ext.cnf") -out "$PKI/$1.pem" 2>/dev/null
  else
    openssl req -new -key "$PKI/$1.key" -subj "/CN=$2" -out "$PKI/$1.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$3.pem" -CAkey "$PKI/$3.key" -CAcreateserial \
      -days 365 -extfile "$PKI/ext.cnf" -extensions "$4" -out "$PKI/$1.pem" 2>/dev/null
  fi
}
make_test_pki() {
  mkdir -p "$PKI" "$DIR/etc/edgesec/keyd" "$DIR/etc/edgesec/certd" "$DIR/etc/edgesec/identityd"
  cat > "$PKI/ext.cnf" <<'CNF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[edgeca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[notca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
[nosign]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  mk root "Contoso Root CA" self root
  mk inter "Contoso Intermediate CA" root inter
  mk edgeca "EdgeGateway Edge CA" inter edgeca
  cat "$PKI/edgeca.pem" "$PKI/inter.pem" > "$PKI/edgeca-chain.pem"
}
