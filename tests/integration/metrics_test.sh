#!/bin/bash
# Metrics (docs/metrics.md) with the real daemons under `edgectl up --root`: work is done (signs with
# keyd, a renewal, a module server cert through workload.sock) and the counters move by exactly that;
# the cert gauges equal what openssl reads from the stored cert; `promtool check metrics` finds no
# problem (lint included) in `edgectl metrics`, nor in the file of --textfile (written 0644, refused
# for a missing directory); workload.sock has no /metrics; uid 65534 is refused on each socket (as
# root); a stopped daemon gives edgesec_up 0, a message on stderr and exit 1.
# promtool comes from scripts/promtool.sh (Debian's prometheus package, unpacked): missing → SKIP,
# except under CI, where it fails.
set -uo pipefail
E="${EDGESEC_EDGECTL:?run this test through meson test}"
export EDGESEC_LIBEXECDIR="${EDGESEC_BUILD_ROOT:?}"
PROMTOOL=${EDGESEC_PROMTOOL:-$(command -v promtool || true)}
[ -n "$PROMTOOL" ] || PROMTOOL=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/edgesec/prometheus/usr/bin/promtool
if [ ! -x "$PROMTOOL" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: promtool missing under CI (scripts/promtool.sh)" >&2; exit 1; fi
  echo "SKIP: promtool is not available; run scripts/promtool.sh (or scripts/deps.sh)" >&2
  exit 77
fi
for tool in curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done

D=$(mktemp -d /tmp/es-met-XXXXXX)
chmod 0755 "$D"
S=$D/run/edgesec
FAILED=0
cleanup() {
  "$E" --root "$D" down >/dev/null 2>&1
  if [ "$FAILED" -ne 0 ]; then
    for l in "$D"/var/log/edgesec/*.log; do echo "== $l"; tail -8 "$l"; done >&2
  fi
  rm -rf "$D"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { echo "ok: $*"; }
edgectl() { "$E" --root "$D" "$@"; }

# value FILE SAMPLE: the value of the sample line that starts with SAMPLE and a space ("" if none).
value() { awk -v s="$2" 'index($0, s " ") == 1 { print $NF; exit }' "$1"; }
# expect_delta WHAT BEFORE AFTER SAMPLE N
expect_delta() {
  local b a
  b=$(value "$D/$2" "$4"); a=$(value "$D/$3" "$4")
  [ -n "$a" ] || { fail "$1: no sample $4"; return; }
  if python3 -c "import sys; sys.exit(0 if float('$a') - float('${b:-0}') == $5 else 1)"; then
    pass "$1: $4 moved by $5"
  else
    fail "$1: $4 went from '${b:-absent}' to '$a', expected +$5"
  fi
}
scrape() { edgectl metrics >"$D/$1" 2>"$D/$1.err" || fail "edgectl metrics ($1) exit $?: $(cat "$D/$1.err")"; }

edgectl up >/dev/null || { fail "edgectl up"; exit 1; }

# --- keyd: 5 signs, nothing else
edgectl key create met-key >/dev/null || fail "key create"
scrape m0
for i in 1 2 3 4 5; do edgectl key sign met-key --data "x$i" >/dev/null || fail "key sign $i"; done
scrape m1
K='service="keyd",engine="file",op="sign"'
expect_delta "keyd signs" m0 m1 "edgesec_key_operations_total{$K,result=\"success\"}" 5
expect_delta "keyd signs" m0 m1 "edgesec_key_operations_total{$K,result=\"failure\"}" 0
expect_delta "keyd sign latency" m0 m1 "edgesec_key_operation_duration_seconds_count{$K}" 5
expect_delta "keyd sign latency" m0 m1 "edgesec_key_operation_duration_seconds_bucket{$K,le=\"+Inf\"}" 5

# --- certd: one renewal of the Edge CA
edgectl cert renew edge-ca >/dev/null || fail "cert renew edge-ca"
scrape m2
expect_delta "certd renewal" m1 m2 'edgesec_renewals_total{service="certd",cert_id="edge-ca",result="success"}' 1
stored=$(grep -l '^edgesec-cert-id: edge-ca$' "$D"/var/lib/edgesec/certd/certs/* | head -1)
end=$(openssl x509 -in "$stored" -noout -enddate | cut -d= -f2)
want=$(date -u -d "$end" +%s)
got=$(value "$D/m2" 'edgesec_cert_not_after_seconds{service="certd",cert_id="edge-ca"}')
[ "$got" = "$want" ] && pass "cert_not_after = openssl -enddate ($want)" || fail "cert_not_after $got, openssl says $want"
[ "$(value "$D/m2" 'edgesec_cert_status{service="certd",cert_id="edge-ca",status="active"}')" = 1 ] &&
  [ "$(value "$D/m2" 'edgesec_cert_status{service="certd",cert_id="edge-ca",status="expired"}')" = 0 ] &&
  pass "edge-ca status active" || fail "edge-ca status: $(grep edgesec_cert_status "$D/m2")"
next=$(value "$D/m2" 'edgesec_renewal_next_seconds{service="certd",cert_id="edge-ca"}')
[ -n "$next" ] && [ "$next" -gt "$(date +%s)" ] && pass "renewal_next in the future" || fail "renewal_next '$next'"

# --- identityd: one module server cert through workload.sock
edgectl module cert met-module --out "$D/mod" >/dev/null || fail "module cert"
scrape m3
expect_delta "workload certs" m2 m3 'edgesec_workload_certs_issued_total{service="identityd",kind="server"}' 1
expect_delta "workload certs" m2 m3 'edgesec_workload_certs_issued_total{service="identityd",kind="identity"}' 0

for s in keyd certd identityd; do
  grep -q "^edgesec_build_info{service=\"$s\",version=\"[^\"]*\"} 1$" "$D/m3" || fail "build_info of $s"
  [ "$(value "$D/m3" "edgesec_up{service=\"$s\"}")" = 1 ] || fail "edgesec_up of $s"
done
pass "build_info and up of the three services"
[ "$(grep -c '^# TYPE edgesec_build_info ' "$D/m3")" = 1 ] && pass "one TYPE per family" || fail "TYPE repeated"

# --- promtool, lint included: no output at all
if out=$("$PROMTOOL" check metrics <"$D/m3" 2>&1) && [ -z "$out" ]; then pass "promtool check metrics"; else fail "promtool: $out"; fi

# --- --textfile
mkdir "$D/textfile"
edgectl metrics --textfile "$D/textfile" >/dev/null || fail "metrics --textfile"
f=$D/textfile/edgesec.prom
[ "$(stat -c %a "$f" 2>/dev/null)" = 644 ] && pass "edgesec.prom mode 0644" || fail "edgesec.prom mode $(stat -c %a "$f" 2>&1)"
[ "$(ls "$D/textfile")" = edgesec.prom ] || fail "temp files left in the textfile dir: $(ls "$D/textfile")"
if out=$("$PROMTOOL" check metrics <"$f" 2>&1) && [ -z "$out" ]; then pass "promtool on edgesec.prom"; else fail "promtool on edgesec.prom: $out"; fi
err=$(edgectl metrics --textfile "$D/nope" 2>&1 >/dev/null); rc=$?
[ "$rc" = 1 ] && echo "$err" | grep -q "'$D/nope': no such directory" && [ ! -e "$D/nope" ] &&
  pass "a missing --textfile dir is refused" || fail "missing textfile dir: rc $rc '$err'"

# --- access: Content-Type; workload.sock has no /metrics; uid 65534 is refused
ct=$(curl -s -o /dev/null -w '%{content_type}' --unix-socket "$S/keyd.sock" "http://localhost/metrics?api-version=2020-09-01")
[ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ] && pass "Content-Type" || fail "Content-Type '$ct'"
st=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$S/workload.sock" "http://localhost/metrics?api-version=2019-01-30")
[ "$st" = 404 ] && pass "workload.sock: /metrics 404" || fail "workload.sock /metrics answered $st"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 0666 "$S"/keyd.sock "$S"/certd.sock "$S"/identityd.sock
  chmod o+x "$D/run" "$S" 2>/dev/null
  for s in keyd certd identityd; do
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -w '\n%{http_code}' \
      --unix-socket "$S/$s.sock" "http://localhost/metrics?api-version=2020-09-01")
    [ "${out##*$'\n'}" = 401 ] && echo "$out" | grep -q "user 65534 may not read metrics" &&
      ! echo "$out" | grep -q edgesec_ && pass "$s: uid 65534 refused (401)" || fail "$s: uid 65534 got: $out"
  done
  # A configured principal of keyd (whatever its key globs) may read keyd's metrics after a reload.
  mkdir -p "$D/etc/edgesec/keyd/config.d"
  printf '[[principal]]\nuid = 65534\nkeys = ["metrics-reader-*"]\n' >"$D/etc/edgesec/keyd/config.d/90-metrics-test.toml"
  kill -HUP "$(cat "$S/keyd.pid")"
  for _ in $(seq 50); do
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -w '\n%{http_code}' \
      --unix-socket "$S/keyd.sock" "http://localhost/metrics?api-version=2020-09-01")
    [ "${out##*$'\n'}" = 200 ] && break
    sleep 0.1
  done
  [ "${out##*$'\n'}" = 200 ] && echo "$out" | grep -q '^edgesec_build_info' &&
    pass "keyd: principal uid 65534 reads metrics after a reload" || fail "keyd principal 65534 got: ${out: -200}"
else
  echo "note: not root, the refusal of another uid is not checked here"
fi

# --- a daemon down: up 0, stderr names it, exit 1, the others still there
certd_pid=$(cat "$S/certd.pid")
kill "$certd_pid" || fail "cannot stop certd (pid $certd_pid)"
for _ in $(seq 100); do kill -0 "$certd_pid" 2>/dev/null || break; sleep 0.1; done
edgectl metrics >"$D/m4" 2>"$D/m4.err"; rc=$?
[ "$rc" = 1 ] && pass "exit 1 with certd down" || fail "exit $rc with certd down"
grep -q "metrics of certd" "$D/m4.err" && pass "stderr names certd" || fail "stderr: $(cat "$D/m4.err")"
[ "$(value "$D/m4" 'edgesec_up{service="certd"}')" = 0 ] && [ "$(value "$D/m4" 'edgesec_up{service="keyd"}')" = 1 ] &&
  pass "edgesec_up certd 0, keyd 1" || fail "up: $(grep edgesec_up "$D/m4")"
if out=$("$PROMTOOL" check metrics <"$D/m4" 2>&1) && [ -z "$out" ]; then pass "promtool with certd down"; else fail "promtool (certd down): $out"; fi

if [ "$FAILED" -ne 0 ]; then echo "$FAILED check(s) failed" >&2; exit 1; fi
echo "all checks passed"
