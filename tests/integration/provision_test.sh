#!/bin/bash
# edgectl provision (issue 16, item 2) with file keys: a batch of 100 device identities killed with
# SIGKILL at random moments and resumed until whole — exactly device-000001..000100, a manifest row
# per device matching `openssl x509 -serial -fingerprint -sha256 -enddate`, every cert verified by
# `openssl verify` against the root with the intermediate untrusted, every key.pem PKCS#8, 0600 and
# the cert's key, no .tmp leftovers; a planted half-made device is discarded and made again. Then
# a second run on a directory in use; the refusals (not a CA, key mismatch, a batch of another CA,
# open key file, bad count and prefix):
# each exits non-zero and changes nothing. No daemon is needed.
. "$(dirname "$0")/../identityd/lib.sh"
make_test_pki
chmod 600 "$PKI"/*.key
OUT=$DIR/batch
N=100
provision() { "$EDGESEC_EDGECTL" provision "$@"; }
batch() { provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count $N --out "$OUT" "$@"; }
devices() { find "$OUT" -mindepth 1 -maxdepth 1 -type d -name 'device-*' 2>/dev/null | wc -l; }
snapshot() { (cd "$1" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# --- killed at random moments, resumed with the same arguments ------------------------------------
# A kill lands at a random moment within the first `max` ms; when a whole batch went by without a
# kill landing mid-batch (a fast disk), it starts over with a shorter window.
max=300
for attempt in 1 2 3 4 5; do
  rm -rf "$OUT"
  partial=0 rounds=0 halfmade=0
  while [ "$rounds" -lt 40 ]; do
    rounds=$((rounds + 1))
    # edgectl itself in the background (not a function: $! would be a subshell, and SIGKILL would
    # miss edgectl).
    "$EDGESEC_EDGECTL" provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count $N --out "$OUT" \
      >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((5 + RANDOM % max)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pgrep -f "provision --ca $PKI/inter.pem" >/dev/null && fail "edgectl outlived its SIGKILL"
    n=$(devices)
    [ "$n" -gt 0 ] && [ "$n" -lt $N ] && partial=$((partial + 1))
    compgen -G "$OUT/.tmp-*" >/dev/null && halfmade=$((halfmade + 1))
    [ "$n" -eq $N ] && break
  done
  [ "$partial" -gt 0 ] && break
  max=$((max / 2))
done
[ "$partial" -gt 0 ] && pass "$partial of $rounds SIGKILLs landed mid-batch ($halfmade of them mid-device)" ||
  fail "no SIGKILL landed mid-batch in $rounds rounds (devices: $(devices))"
batch >"$DIR/final.out" 2>"$DIR/final.err" && pass "the rerun completes the batch: $(cat "$DIR/final.out")" ||
  fail "final run: $(cat "$DIR/final.err")"

# A half-made device (as a kill between key and cert leaves it) and a manifest temp file: discarded,
# the device made again, the gap filled.
rm -rf "$OUT/device-000077"
mkdir "$OUT/.tmp-device-000077" && echo garbage >"$OUT/.tmp-device-000077/key.pem"
echo partial >"$OUT/manifest.csv.tmp-1-2"
batch >"$DIR/gap.out" 2>&1 && grep -q "^made 1, kept 99" "$DIR/gap.out" &&
  pass "a half-made device is discarded and made again" || fail "half-made device: $(cat "$DIR/gap.out")"

expected=$(seq -f 'device-%06g' 1 $N)
[ "$(cd "$OUT" && ls -d device-* | sort)" = "$expected" ] && pass "exactly device-000001..000100" ||
  fail "devices: $(cd "$OUT" && ls -d device-* | head -3) … ($(devices))"
leftovers=$(cd "$OUT" && ls -A | grep -v -e '^device-' -e '^manifest.csv$')
[ -z "$leftovers" ] && pass "no temp files or directories are left" || fail "left over: $leftovers"

# --- the manifest against openssl -------------------------------------------------------------------
[ "$(head -1 "$OUT/manifest.csv")" = "device_id,serial,sha256_fingerprint,not_after" ] &&
  pass "manifest header" || fail "manifest header: $(head -1 "$OUT/manifest.csv")"
[ "$(tail -n +2 "$OUT/manifest.csv" | cut -d, -f1)" = "$expected" ] &&
  pass "manifest: one row per device, in id order" ||
  fail "manifest ids: $(tail -n +2 "$OUT/manifest.csv" | cut -d, -f1 | sort | uniq -d | head -3)"
[ "$(tail -n +2 "$OUT/manifest.csv" | cut -d, -f2 | sort -u | wc -l)" = $N ] &&
  pass "manifest: $N distinct serials" || fail "manifest serials are not distinct"
bad_rows=0 bad_keys=0
for id in $expected; do
  d=$OUT/$id
  o=$(openssl x509 -in "$d/cert.pem" -noout -serial -fingerprint -sha256 -enddate)
  serial=$(echo "$o" | sed -n 's/^serial=//p')
  fpr=$(echo "$o" | sed -n 's/^sha256 Fingerprint=//Ip')
  end=$(date -u -d "$(echo "$o" | sed -n 's/^notAfter=//p')" +%Y-%m-%dT%H:%M:%SZ)
  row=$(grep "^$id," "$OUT/manifest.csv")
  [ "$row" = "$id,$serial,$fpr,$end" ] || { bad_rows=$((bad_rows + 1)); echo "row '$row' vs '$id,$serial,$fpr,$end'" >&2; }
  [ "$(stat -c %a "$d/key.pem")" = 600 ] && head -1 "$d/key.pem" | grep -q 'BEGIN PRIVATE KEY' &&
    [ "$(openssl pkey -in "$d/key.pem" -pubout)" = "$(openssl x509 -in "$d/cert.pem" -noout -pubkey)" ] ||
    bad_keys=$((bad_keys + 1))
done
[ "$bad_rows" = 0 ] && pass "every manifest row matches openssl's serial, fingerprint and notAfter" ||
  fail "$bad_rows manifest rows differ from the certs"
[ "$bad_keys" = 0 ] && pass "every key.pem is PKCS#8, mode 0600 and the cert's key" ||
  fail "$bad_keys key.pem files are wrong"
verified=$(openssl verify -CAfile "$PKI/root.pem" -untrusted "$PKI/inter.pem" "$OUT"/device-*/cert.pem 2>&1 |
  grep -c ': OK$')
[ "$verified" = $N ] && pass "openssl verify accepts all $N certs (root trusted, intermediate untrusted)" ||
  fail "openssl verify accepted $verified of $N certs"
leaf=$OUT/device-000001/cert.pem
openssl x509 -in "$leaf" -noout -text >"$DIR/leaf.txt"
grep -q 'Subject: CN *= *device-000001' "$DIR/leaf.txt" && grep -q 'TLS Web Client Authentication' "$DIR/leaf.txt" &&
  grep -A1 'X509v3 Key Usage: critical' "$DIR/leaf.txt" | grep -q '^ *Digital Signature$' &&
  grep -q 'X509v3 Authority Key Identifier' "$DIR/leaf.txt" && grep -q 'X509v3 Subject Key Identifier' "$DIR/leaf.txt" &&
  [ "$(grep -c 'BEGIN CERTIFICATE' "$leaf")" = 2 ] &&
  pass "leaf: CN = device id, clientAuth, digitalSignature, SKI/AKI, then the CA" ||
  fail "leaf: $(grep -E 'Subject:|Usage' -A1 "$DIR/leaf.txt")"

# --manifest elsewhere, and a smaller --count: nothing made, the devices unchanged.
before=$(snapshot "$OUT")
provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count 50 --out "$OUT" \
  --manifest "$DIR/m.csv" >"$DIR/small.out" 2>&1 && grep -q "made 0, kept $N" "$DIR/small.out" &&
  cmp -s "$DIR/m.csv" "$OUT/manifest.csv" && [ "$(snapshot "$OUT")" = "$before" ] &&
  pass "--count below what exists reports, makes nothing; --manifest FILE is the same manifest" ||
  fail "--count 50: $(cat "$DIR/small.out")"

# A second run on a directory that a run is filling is refused (flock on the directory).
"$EDGESEC_EDGECTL" provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count 500 --out "$DIR/busy" \
  >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -d "$DIR/busy/device-000001" ] && break; sleep 0.05; done
provision --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count 500 --out "$DIR/busy" >"$DIR/busy.out" 2>&1
rc=$?
if kill -0 "$pid" 2>/dev/null; then
  [ "$rc" = 1 ] && grep -q "another edgectl provision is running on" "$DIR/busy.out" &&
    pass "a second run on a batch directory in use is refused" || fail "concurrent run: exit $rc: $(cat "$DIR/busy.out")"
else
  echo "note: the first run ended before the second started; concurrency not checked" >&2
fi
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

# --- refusals: non-zero, nothing written -------------------------------------------------------------
refused() {  # refused RC WHAT GREP ARGS...: exit RC, the message matches, no DIR/new, $OUT unchanged
  local rc=$1 what=$2 pattern=$3; shift 3
  provision "$@" >"$DIR/refused.out" 2>&1
  local got=$?
  if [ "$got" = "$rc" ] && grep -q -- "$pattern" "$DIR/refused.out" && [ ! -e "$DIR/new" ] &&
    [ "$(snapshot "$OUT")" = "$before" ]; then
    pass "refused: $what"
  else
    fail "$what: exit $got (want $rc): $(cat "$DIR/refused.out")"
  fi
}
mk other "Other Intermediate" root inter
mk notca "Not A CA" root notca
mk nosign "CA Without keyCertSign" root nosign
chmod 600 "$PKI"/*.key
refused 1 "a CA cert that is not a CA" "cannot sign devices: not a CA" \
  --ca "$PKI/notca.pem" --ca-key "$PKI/notca.key" --count 1 --out "$DIR/new"
refused 1 "a CA without keyCertSign" "cannot sign devices" \
  --ca "$PKI/nosign.pem" --ca-key "$PKI/nosign.key" --count 1 --out "$DIR/new"
refused 1 "a key that is not the CA's" "is not the key of CA certificate" \
  --ca "$PKI/inter.pem" --ca-key "$PKI/other.key" --count 1 --out "$DIR/new"
refused 1 "a rerun with another CA" "was not signed by CA" \
  --ca "$PKI/other.pem" --ca-key "$PKI/other.key" --count 101 --out "$OUT"
chmod 644 "$PKI/other.key"
refused 1 "a CA key file open to others" "mode 0644" \
  --ca "$PKI/other.pem" --ca-key "$PKI/other.key" --count 1 --out "$DIR/new"
for count in 0 -3 abc 1000000; do
  refused 2 "--count '$count'" "\-\-count" --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" \
    --count "$count" --out "$DIR/new"
done
for prefix in a-b ../x '' 'dev ice'; do
  refused 2 "--prefix '$prefix'" "\-\-prefix" --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" \
    --count 1 --prefix "$prefix" --out "$DIR/new"
done
refused 1 "a batch directory of another prefix" "of another batch" \
  --ca "$PKI/inter.pem" --ca-key "$PKI/inter.key" --count 1 --prefix gw --out "$OUT"
finish
