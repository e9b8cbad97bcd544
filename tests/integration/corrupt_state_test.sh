# Corrupted state, keyd and certd (issue 12): every state file of theirs × {empty, cut in half, valid
# content of the wrong type, another file's content, mode 0666, mode 0000, another owner} on a copy of
# one good root. For each row the daemon either starts — and every key and cert answers exactly as
# before, or is refused with an error naming it, with a <3>/<4> line naming the file (a damaged
# handle secret or cert kept aside as .bad-<UTC>) — or refuses to start with an exit code and an error
# naming the file. Never a signal, an uncaught exception or a different key's result: signatures are
# verified with the original public key, HMAC and AES-GCM results compared with the original ones.
# The daemons are started directly (as `edgectl up` does) to see their exit status; the three key
# files share one keyd run per damage (each is refused on its own). The edge-ca cert and identityd's
# files are other tests'. Rows with another owner need root: without it they are skipped, loudly.
# About 20 s; the output is the matrix, one line per file and damage.
set -uo pipefail
for tool in curl openssl python3 base64; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
: "${EDGESEC_KEYD:?run this test through meson test}" "${EDGESEC_CERTD:?}"
T=$(mktemp -d /tmp/es-XXXXXX)
FAILED=0
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP (rows only): not root, so the 'owner' rows (a file owned by another uid) are not run" >&2
fi

# call ROOT DAEMON METHOD ROUTE [BODY]: STATUS and BODY.
call() {
  local out
  out=$(curl -s -m 10 -o - -w '\n%{http_code}' --unix-socket "$1/run/edgesec/$2.sock" -X "$3" \
    -H 'Content-Type: application/json' ${5:+--data "$5"} "http://localhost$4" 2>/dev/null)
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
}
# field NAME: FIELD = that string field of BODY, as JSON escapes it (no other process: this runs
# hundreds of times, and python3 alone takes a second to start on a loaded machine).
field() {
  FIELD=
  local re="\"$1\":\"([^\"]*)\""
  [[ $BODY =~ $re ]] && FIELD=${BASH_REMATCH[1]}
}
V="api-version=2020-09-01"

# start ROOT DAEMON: STARTED=1 when its socket answers, else 0 with EXIT its exit status.
start() {
  local r=$1 d=$2 bin
  [ "$d" = keyd ] && bin=$EDGESEC_KEYD || bin=$EDGESEC_CERTD
  "$bin" --root "$r" >>"$r/$d.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_$d=$pid"
  STARTED=0
  for _ in $(seq 400); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; EXIT=$?; return
    fi
    [ -S "$r/run/edgesec/$d.sock" ] && curl -s -m 1 -o /dev/null --unix-socket "$r/run/edgesec/$d.sock" "http://x/version?$V" && { STARTED=1; return; }
    sleep 0.03
  done
  EXIT=timeout
}
stop() {  # stop DAEMON...
  for d in "$@"; do
    local pid; eval "pid=\${PID_$d:-}"
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    eval "PID_$d="
  done
}

# --- the good root ------------------------------------------------------------------------------------
G=$T/good
mkdir -p "$G"
for k in pair pair2; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$k.key" 2>/dev/null
  openssl pkey -in "$T/$k.key" -pubout -out "$T/$k.pub" 2>/dev/null
done
HMAC_KEY=$(head -c 32 /dev/urandom | base64 -w0)
AES_KEY=$(head -c 32 /dev/urandom | base64 -w0)
MSG=$(printf 'corrupted state' | base64 -w0)
DIGEST=$(printf 'corrupted state' | openssl dgst -sha256 -binary | base64 -w0)
IV=$(printf '0123456789ab' | base64 -w0)
start "$G" keyd
[ "$STARTED" = 1 ] || { echo "FAIL: keyd does not start on an empty root" >&2; cat "$G/keyd.log" >&2; exit 1; }
for k in pair pair2; do
  call "$G" keyd PUT "/keypair/$k?api-version=2021-05-01" \
    "{\"pkcs8\":\"$(openssl pkcs8 -topk8 -nocrypt -in "$T/$k.key" -outform DER | base64 -w0)\"}"
  [ "$STATUS" = 200 ] || [ "$STATUS" = 201 ] || { echo "FAIL: import $k: $STATUS $BODY" >&2; exit 1; }
done
call "$G" keyd POST "/key?$V" "{\"keyId\":\"hmac\",\"usage\":\"sign\",\"keyBytes\":\"$HMAC_KEY\"}"
call "$G" keyd POST "/key?$V" "{\"keyId\":\"aes\",\"usage\":\"encrypt\",\"keyBytes\":\"$AES_KEY\"}"
start "$G" certd
[ "$STARTED" = 1 ] || { echo "FAIL: certd does not start on an empty root" >&2; cat "$G/certd.log" >&2; exit 1; }
openssl req -x509 -new -key "$T/pair2.key" -subj /CN=imported -days 30 -out "$T/imported.pem" 2>/dev/null
call "$G" certd PUT "/certificates/imported?$V" "$(python3 -c 'import json,sys; print(json.dumps({"pem": open(sys.argv[1]).read()}))' "$T/imported.pem")"
[ "$STATUS" = 201 ] || { echo "FAIL: import cert: $STATUS $BODY" >&2; exit 1; }
for _ in $(seq 300); do call "$G" certd GET "/certificates/edge-ca?$V"; [ "$STATUS" = 200 ] && break; sleep 0.1; done
[ "$STATUS" = 200 ] || { echo "FAIL: no edge-ca cert" >&2; exit 1; }
stop certd keyd
[ -f "$G/var/lib/edgesec/certd/renewal.json" ] || { echo "FAIL: certd wrote no renewal.json" >&2; exit 1; }

# The expected answers, from the good root.
S=var/lib/edgesec/keyd
C=var/lib/edgesec/certd
id_file() { grep -l "^edgesec-$1-id: $2\$" "$G"/$3/* | head -1 | sed "s|^$G/||"; }
PAIR=$(id_file key pair "$S/file/keypairs")
PAIR2=$(id_file key pair2 "$S/file/keypairs")
HMAC=$(id_file key hmac "$S/file/secrets")
AES=$(id_file key aes "$S/file/secrets")
CERT=$(id_file cert imported "$C/certs")
EDGE=$(id_file cert edge-ca "$C/certs")
HIST=$(ls "$G/$C"/history/imported-*.json | head -1 | sed "s|^$G/||")  # the imported cert's history
[ -n "$HIST" ] || { echo "FAIL: certd wrote no history of cert 'imported'" >&2; exit 1; }
# batch ROOT DAEMON (METHOD ROUTE BODY)...: all requests in one curl (each curl costs ~70 ms on a
# loaded machine); ST[i] and BD[i] are the status and body of request i.
batch() {
  local r=$1 d=$2 args=()
  shift 2
  while [ $# -ge 3 ]; do
    [ ${#args[@]} -eq 0 ] || args+=(--next)
    args+=(-s -m 10 -w '\n%{http_code}\n' --unix-socket "$r/run/edgesec/$d.sock" -X "$1"
      -H 'Content-Type: application/json' ${3:+--data "$3"} "http://localhost$2")
    shift 3
  done
  local lines i
  mapfile -t lines < <(curl "${args[@]}" 2>/dev/null)
  ST=() BD=()
  for ((i = 0; i + 1 < ${#lines[@]}; i += 2)); do BD+=("${lines[i]}"); ST+=("${lines[i + 1]}"); done
}
use_reqs() {  # use_reqs PAIR_HANDLE HMAC_HANDLE AES_HANDLE: REQS, one use of each key
  REQS=(POST "/sign?$V" "{\"keyHandle\":\"$1\",\"algorithm\":\"ECDSA\",\"parameters\":{\"digest\":\"$DIGEST\"}}"
    POST "/sign?$V" "{\"keyHandle\":\"$2\",\"algorithm\":\"HMAC-SHA256\",\"parameters\":{\"message\":\"$MSG\"}}"
    POST "/encrypt?$V" "{\"keyHandle\":\"$3\",\"algorithm\":\"AEAD\",\"parameters\":{\"iv\":\"$IV\",\"aad\":\"\"},\"plaintext\":\"$MSG\"}")
}
handles() {  # handles ROOT: HS = the handles keyd gives now for pair, hmac and aes
  local i
  batch "$1" keyd GET "/keypair/pair?$V" "" GET "/key/hmac?$V" "" GET "/key/aes?$V" ""
  HS=()
  for i in 0 1 2; do BODY=${BD[i]}; field keyHandle; HS+=("$FIELD"); done
}
# probe_keys ROOT: RESULT_<pair|hmac|aes> = ok | refused:<status>:<body> | WRONG:<what>, with the
# handles issued on the good root; OLD_HANDLES=400 when keyd refused them all (a new handle secret:
# they are fetched again and used).
probe_keys() {
  local r=$1 names=(pair hmac aes) i
  use_reqs "${GOOD_HS[@]}"
  batch "$r" keyd "${REQS[@]}"
  OLD_HANDLES=ok
  if [ "${ST[*]}" = "400 400 400" ]; then
    OLD_HANDLES=400
    handles "$r"
    use_reqs "${HS[@]}"
    batch "$r" keyd "${REQS[@]}"
  fi
  for i in 0 1 2; do
    local k=${names[i]} res want f=signature
    BODY=${BD[i]}
    if [ "${ST[i]}" != 200 ]; then
      res="refused:${ST[i]}:$BODY"
    elif [ "$k" = pair ]; then
      field signature
      base64 -d <<<"$FIELD" >"$r/sig"
      printf 'corrupted state' | openssl dgst -sha256 -verify "$T/pair.pub" -signature "$r/sig" >/dev/null 2>&1 &&
        res=ok || res="WRONG:a signature by another key"
    else
      [ "$k" = aes ] && f=ciphertext
      field $f
      eval "want=\$EXPECT_$k"
      [ "$FIELD" = "$want" ] && res=ok || res="WRONG:another result"
    fi
    eval "RESULT_$k=\$res"
  done
}
probe_certs() {  # probe_certs ROOT: RESULT_cert, RESULT_edge
  batch "$1" certd GET "/certificates/imported?$V" "" GET "/certificates/edge-ca?$V" ""
  BODY=${BD[0]}
  field pem
  if [ "${ST[0]}" != 200 ]; then RESULT_cert="refused:${ST[0]}:${BD[0]}"
  elif [ "$FIELD" = "$EXPECT_cert" ]; then RESULT_cert=ok
  else RESULT_cert="WRONG:another cert"; fi
  [ "${ST[1]}" = 200 ] && RESULT_edge=ok || RESULT_edge="refused:${ST[1]}:${BD[1]}"
}
EXPECT_hmac=$(python3 -c 'import base64,hmac,hashlib,sys; print(base64.b64encode(hmac.new(base64.b64decode(sys.argv[1]), b"corrupted state", hashlib.sha256).digest()).decode())' "$HMAC_KEY")
cp -a "$G" "$T/probe"
start "$T/probe" keyd
handles "$T/probe"
GOOD_HS=("${HS[@]}")
EXPECT_aes=unknown
probe_keys "$T/probe"
BODY=${BD[2]}
field ciphertext
EXPECT_aes=$FIELD
[ "$RESULT_pair" = ok ] && [ "$RESULT_hmac" = ok ] && [ -n "$EXPECT_aes" ] ||
  { echo "FAIL: good root: pair $RESULT_pair, hmac $RESULT_hmac, aes ${ST[2]}" >&2; exit 1; }
start "$T/probe" certd
EXPECT_cert=unknown
probe_certs "$T/probe"
BODY=${BD[0]}
field pem
EXPECT_cert=$FIELD
[ "$RESULT_edge" = ok ] && [ -n "$EXPECT_cert" ] || { echo "FAIL: good root: cert ${ST[*]}" >&2; exit 1; }
stop certd keyd

# --- the rows ----------------------------------------------------------------------------------------
echo "--- the good root made in ${SECONDS}s; the rows (file, corruption, outcome):"
# corrupt ROOT FILE HOW
corrupt() {
  local f=$1/$2
  case $3 in
    empty) : >"$f" ;;
    half) truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
    wrongtype)  # valid content of the wrong type
      case $2 in
        */renewal.json) echo '{"format":1,"credentials":{"edge-ca":{"attempts":"many","lastAttempt":[1]}}}' >"$f" ;;
        */keypairs/*) { head -1 "$f"; cat "$T/pair.pub"; } >"$f.new" && cat "$f.new" >"$f" && rm "$f.new" ;;
        */certs/*) { head -1 "$f"; cat "$T/pair.key"; } >"$f.new" && cat "$f.new" >"$f" && rm "$f.new" ;;
        *) echo '{"format":"1","key":[1,2]}' >"$f" ;;
      esac ;;
    other)  # another file's content
      case $2 in
        "$PAIR") cat "$G/$PAIR2" >"$f" ;;
        "$HMAC") cat "$G/$AES" >"$f" ;;
        "$AES") cat "$G/$HMAC" >"$f" ;;
        "$CERT") cat "$G/$EDGE" >"$f" ;;
        */renewal.json | */FORMAT) cat "$G/$EDGE" >"$f" ;;
        *) cat "$G/$PAIR" >"$f" ;;
      esac ;;
    mode0666) chmod 0666 "$f" ;;
    mode0000) chmod 0000 "$f" ;;
    owner) chown 4242:4242 "$f" ;;
  esac
}

# row HOW DAEMON FILE...: damages each FILE the same way (the three key files of the file engine
# together: each is refused on its own, so one keyd run checks them all), starts keyd (and certd),
# checks, and adds one line per FILE to TABLE.
TABLE=()
row() {
  local how=$1 daemon=$2 r=$T/row file target=keyd refused=() k res mine
  shift 2
  rm -rf "$r"
  cp -a "$G" "$r"
  for file in "$@"; do corrupt "$r" "$file" "$how"; done
  start "$r" keyd
  if [ "$daemon" = certd ] && [ "$STARTED" = 1 ]; then target=certd; start "$r" certd; fi
  local log=$r/$target.log what="$* × $how"
  if grep -q "terminate called\|Segmentation\|Aborted\|AddressSanitizer" "$r"/*.log; then
    fail "$what: a crash in the log: $(grep -h "terminate called\|Segmentation" "$r"/*.log | head -2)"
  fi
  if [ "$STARTED" = 1 ] && [ "$daemon" = keyd ]; then
    probe_keys "$r"
    for k in pair hmac aes; do
      eval "res=\$RESULT_$k mine=\$${k^^}"
      case $res in
        ok) ;;
        WRONG:*) fail "$what: key '$k' gives a silent wrong result ($res)" ;;
        refused:*)
          [[ " $* " == *" $mine "* ]] || fail "$what: the untouched key '$k' is not served: $res"
          [[ $res == *"'$k'"* ]] || fail "$what: key '$k' refused without naming it: $res"
          refused+=("$mine=$k ${res%%:\{*}") ;;
      esac
    done
    [ "$OLD_HANDLES" = ok ] || refused+=("*=old-handles 400")
  elif [ "$STARTED" = 1 ]; then
    probe_certs "$r"
    case $RESULT_cert in
      ok) ;;
      WRONG:*) fail "$what: cert 'imported' is served wrong ($RESULT_cert)" ;;
      refused:404:*) refused+=("$CERT=imported 404") ;;
      *) fail "$what: cert 'imported': $RESULT_cert" ;;
    esac
    [ "$RESULT_edge" = ok ] || fail "$what: edge-ca not served: $RESULT_edge"
  fi
  for file in "$@"; do
    local outcome line mine_refused=() x
    line=$(grep -hF "'$r/$file'" "$r"/*.log | grep -vF "whose file is '$r/$file'" | grep -m1 '^<[34]>')
    line=${line//$r\//}
    line=${line:0:110}
    if [ "$STARTED" != 1 ]; then
      if [ "$EXIT" = timeout ] || [ "$EXIT" -gt 128 ]; then
        fail "$file × $how: $target did not start and ended with $EXIT (a signal or a hang)"
      elif [ -z "$line" ]; then
        fail "$file × $how: $target refused to start (exit $EXIT) without naming the file: $(tail -2 "$log")"
      fi
      outcome="refuses to start (exit $EXIT): $line"
    else
      for x in "${refused[@]}"; do
        [ "${x%%=*}" = "$file" ] || [ "${x%%=*}" = "*" ] && mine_refused+=("${x#*=}")
      done
      local aside=("$r/$file".bad-*)
      [ -e "${aside[0]}" ] && aside=yes || aside=
      if [ ${#mine_refused[@]} -gt 0 ] || [ -n "$aside" ]; then
        [ -n "$line" ] || fail "$file × $how: refused or kept aside without a <3>/<4> line naming the file"
      fi
      outcome="starts; ${mine_refused[*]:+refused: ${mine_refused[*]}; }${aside:+kept aside; }${line:-no log line (unaffected)}"
    fi
    TABLE+=("$(printf '%-46s %-9s %s' "${file##*/}" "$how" "$outcome")")
    echo "${TABLE[-1]}"  # as it goes: the rows done show up even after a timeout
  done
  stop certd keyd
}

HOWS="empty half wrongtype other mode0666 mode0000 owner"
for how in $HOWS; do
  [ "$how" = owner ] && [ "$(id -u)" -ne 0 ] && continue
  row "$how" keyd "$S/FORMAT"
  row "$how" keyd "$S/handle-secret"
  row "$how" keyd "$PAIR" "$HMAC" "$AES"
  for file in "$C/FORMAT" "$CERT" "$C/renewal.json" "$HIST"; do row "$how" certd "$file"; done
done

echo "--- ${#TABLE[@]} rows (file, corruption, outcome) in ${SECONDS}s"
if [ "$FAILED" -ne 0 ]; then echo "$FAILED check(s) failed" >&2; exit 1; fi
echo "all rows passed"
