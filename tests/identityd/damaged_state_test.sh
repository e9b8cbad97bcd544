#!/bin/bash
# Issue 12, fault 5 and the corrupted-state class for certd's stored Edge CA and identityd's state
# files (edge-ca.json, modules.json): each damage — 0 bytes, cut in half, valid JSON of wrong
# types, another file's content, wrong mode, wrong owner — made while the daemons are down, then
# `edgectl up`: the daemons start, the damaged file is kept aside as <file>.bad-<UTC> with one <3>
# line naming it, the workload API issues again within seconds, and the module cert verifies
# (openssl verify) against the trust bundle served after it. A state file identityd cannot read
# at all (a directory in its place) stops it with an error naming the file and what to run.
. "$(dirname "$0")/lib.sh"

CERTS=$DIR/var/lib/edgesec/certd/certs
STATE=$DIR/var/lib/edgesec/identityd
EDGE=$CERTS/edge-ca-$(printf %s edge-ca | sha256sum | cut -c1-32).pem
LOGS=$DIR/var/log/edgesec

# pem_field FIELD < json: a PEM string of a workload answer (sed, not python: quick under load).
pem_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | sed 's/\\n/\n/g'; }

# served_ok WHAT: a server cert through the workload API within 10 s of the start (MS: how long),
# verified against the trust bundle fetched after it.
served_ok() {
  local t0 i
  t0=$(date +%s%N)
  for i in $(seq 100); do
    call workload POST '/modules/edgehub/genid/1/certificate/server?api-version=2019-01-30' \
      '{"commonName":"edgegateway.local"}'
    [ "$STATUS" = 201 ] && break
    sleep 0.1
  done
  MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$STATUS" = 201 ] || { fail "$1: no module cert within 10 s ($STATUS $BODY)"; return 1; }
  echo "$BODY" | pem_field certificate > "$DIR/cert.pem"
  call workload GET '/trust-bundle?api-version=2019-01-30'
  echo "$BODY" | pem_field certificate > "$DIR/bundle.pem"
  if openssl verify -CAfile "$DIR/bundle.pem" "$DIR/cert.pem" > "$DIR/verify.log" 2>&1; then
    pass "$1: a module cert after ${MS} ms, verified against the bundle"
  else
    fail "$1: the module cert does not verify against the bundle: $(cat "$DIR/verify.log")"
  fi
}

# damage FILE HOW: made while the daemons are down.
damage() {
  local f=$1
  case $2 in
    zero) : > "$f" ;;
    half) head -c $(( $(stat -c %s "$f") / 2 )) "$f" > "$f.cut" && mv "$f.cut" "$f" ;;
    mode+owner) chmod 0644 "$f" && chown 65534:65534 "$f" ;;
    *) printf '%s' "$2" > "$f" ;;  # given content
  esac
}

# kept_aside FILE WHAT: FILE.bad-* exists (then removed for the next round), and the log names it.
kept_aside() {
  local log=$2
  if ls "$1".bad-* > /dev/null 2>&1 && grep -q "^<3>.*'$1' is damaged" "$LOGS/$log.log"; then
    pass "$3: kept aside as $(basename "$(ls "$1".bad-* | head -1)"), one <3> line names it"
  else
    fail "$3: not kept aside or not reported: $(ls "$(dirname "$1")"; grep damaged "$LOGS/$log.log")"
  fi
  rm -f "$1".bad-*
}

up
call identityd POST '/identities/modules?api-version=2021-12-01' \
  '{"type":"local","moduleId":"keep","localIdOpts":{"type":"x509","attributes":"server"}}'
[ "$STATUS" = 200 ] || fail "create module 'keep': $STATUS $BODY"
edgectl cert renew edge-ca > /dev/null || fail "renew edge-ca"  # edge-ca.json lists an earlier one
served_ok "undamaged"
[ -f "$EDGE" ] && [ -f "$STATE/edge-ca.json" ] && [ -f "$STATE/modules.json" ] \
  || fail "state files not where this test damages them: $(ls "$CERTS" "$STATE")"
cp "$STATE/modules.json" "$DIR/modules.json.good"
cp "$STATE/edge-ca.json" "$DIR/edge-ca.json.good"
RENEWAL=$(cat "$DIR/var/lib/edgesec/certd/renewal.json")

# --- certd's stored Edge CA (fault 5): re-issued at start
for how in zero half "another id" "another file"; do
  down
  case $how in
    "another id") damage "$EDGE" "$(sed '1s/.*/edgesec-cert-id: device-id/' "$EDGE")" ;;
    "another file") damage "$EDGE" "$RENEWAL" ;;
    *) damage "$EDGE" "$how" ;;
  esac
  up
  served_ok "stored Edge CA $how"
  kept_aside "$EDGE" certd "stored Edge CA $how"
  edgectl cert renew edge-ca > /dev/null 2>&1 && pass "stored Edge CA $how: renewals work again" \
    || fail "stored Edge CA $how: renew fails: $(edgectl cert renew edge-ca 2>&1)"
done

# --- Something that is not a regular file in the stored Edge CA's place (a directory): not certd's
# record, so it is kept aside like a damaged file and the Edge CA is issued again. (A file certd
# cannot read at all — EACCES — is an error of every request naming it; as root nothing is
# unreadable, so that path is not reached here.)
down
rm -f "$EDGE"
mkdir "$EDGE"
up
served_ok "a directory in the stored Edge CA's place"
ls -d "$EDGE".bad-* >/dev/null 2>&1 && [ ! -d "$EDGE" ] \
  && pass "a directory in the stored Edge CA's place: kept aside" || fail "directory not kept aside: $(ls -la "$(dirname "$EDGE")")"

# --- identityd's state files
WRONG_EDGE='{"format":1,"current":5,"previous":"x"}'
WRONG_MODULES='{"format":1,"modules":{"keep":"server","bad":7}}'
for file in edge-ca.json modules.json; do
  f=$STATE/$file
  for how in zero half types other mode+owner; do
    down
    cp "$DIR/$file.good" "$f"
    case $how in
      types) [ "$file" = edge-ca.json ] && damage "$f" "$WRONG_EDGE" || damage "$f" "$WRONG_MODULES" ;;
      other) [ "$file" = edge-ca.json ] && damage "$f" "$(cat "$DIR/modules.json.good")" \
               || damage "$f" "$(cat "$DIR/edge-ca.json.good")" ;;
      *) damage "$f" "$how" ;;
    esac
    up
    served_ok "$file $how"
    case $how in
      mode+owner)
        [ "$(stat -c '%a %u' "$f")" = "600 0" ] && pass "$file $how: written again, mode 0600, identityd's owner" \
          || fail "$file $how: now $(stat -c '%a %u' "$f")" ;;
      *) kept_aside "$f" identityd "$file $how"
         # What remains is sound again: the next start reports nothing.
         grep -q '"format": *1' "$f" && pass "$file $how: a sound file written at once" || fail "$file $how: not rewritten" ;;
    esac
  done
done
# The well-formed entry of a modules.json with a mistyped one survives.
down
damage "$STATE/modules.json" "$WRONG_MODULES"
up
call identityd GET '/identities/modules?api-version=2020-09-01'
echo "$BODY" | grep -q '"keep"' && ! echo "$BODY" | grep -q '"bad"' \
  && pass "modules.json: the well-formed module identity is kept, the mistyped one dropped" \
  || fail "modules after salvage: $STATUS $BODY"
rm -f "$STATE"/modules.json.bad-*

# --- A state file identityd cannot read: refused, naming the file and what to run
down
rm -f "$STATE/edge-ca.json"
mkdir "$STATE/edge-ca.json"
if edgectl up > /dev/null 2>&1; then
  fail "identityd started with a directory as edge-ca.json"
else
  grep -q "^<3>.*cannot read state file '$STATE/edge-ca.json'.*chown" "$LOGS/identityd.log" \
    && pass "an unreadable edge-ca.json stops identityd with the file and the command to run" \
    || fail "unreadable edge-ca.json: $(tail -3 "$LOGS/identityd.log")"
fi
down
rmdir "$STATE/edge-ca.json"
up
served_ok "after the operator removed the unreadable edge-ca.json"

finish
