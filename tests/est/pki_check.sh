#!/bin/bash
# Checks the project's EST test server with an independent client, strongSwan's `pki` (strongswan-pki):
# `pki --estca` fetches and verifies /cacerts, `pki --est` enrolls over Basic auth (also after 202
# polling), and `openssl verify` accepts the result against the server's chain. Exit 77 (skip) when pki
# is not installed; CI installs it (scripts/deps.sh).
# Note: strongSwan 5.9.8 does not decode base64 wrapped in CRLF lines (our server's default, like many
# field servers), so this check asks the server for unwrapped base64.
set -euo pipefail
command -v pki >/dev/null || { echo "pki (strongswan-pki) not installed: skipping"; exit 77; }
SRC=${EDGESEC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d /tmp/es-pki-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

start() {  # start <subdir> <flags...>
  local d=$dir/$1; shift
  mkdir -p "$d"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  python3 "$SRC/tests/est/est_server.py" --dir "$d" --port-file "$d/port" --log "$d/log" \
    --encoding b64-nowrap --user device --password s3cret "$@" >/dev/null 2>"$d/stderr" &
  pid=$!
  for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
  [ -s "$d/port" ] || { cat "$d/stderr"; echo "EST test server did not start"; exit 1; }
  url="https://127.0.0.1:$(cat "$d/port")/.well-known/est"
  root="$d/root.pem"
  chain="$d/chain.pem"
}
quiet() { grep -v "^plugin '" || true; }

enroll() {  # enroll <name> <extra pki flags...>
  local name=$1; shift
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" \
    -subj "/CN=$name" -outform DER -out "$dir/$name.csr" 2>/dev/null
  if ! pki --est --url "$url" --in "$dir/$name.csr" --cacert "$root" --userpass device:s3cret \
      --outform pem "$@" >"$dir/$name.pem" 2>"$dir/$name.err"; then
    quiet <"$dir/$name.err"; echo "FAIL: pki --est ($name)"; exit 1
  fi
  openssl verify -CAfile "$chain" "$dir/$name.pem" || { echo "FAIL: openssl verify ($name)"; exit 1; }
}

start plain
if ! pki --estca --url "$url" --cacert "$root" --caout "$dir/ca.pem" --outform pem >"$dir/estca.out" 2>&1; then
  quiet <"$dir/estca.out"; echo "FAIL: pki --estca"; exit 1
fi
grep -q "Sub CA cert is trusted" "$dir/estca.out" || { quiet <"$dir/estca.out"; echo "FAIL: sub CA not trusted"; exit 1; }
echo "ok: pki --estca fetched and verified /cacerts"
enroll plain
echo "ok: pki --est enrolled with Basic auth"

start pending --mode pending --pending 1 --retry-after 1
enroll pending --interval 1 --maxpolltime 20
grep -q '"status": 202' "$dir/pending/log" || { echo "FAIL: the server never answered 202"; exit 1; }
echo "ok: pki --est enrolled after 202 polling"
