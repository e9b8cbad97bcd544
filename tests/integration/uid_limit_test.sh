#!/bin/bash
# Per-uid fairness under connection floods on each socket (issue 12): the three daemons under
# `edgectl up --root`, every socket 0666. One uid (65534) opens connections with half a request on
# keyd.sock, certd.sock, identityd.sock and workload.sock and reopens each one the server drops;
# it is served at most `max_requests` connections at once per socket, the rest are closed at once,
# while root and a third uid (65533) get every GET /version answered (tests/integration/uid_flood.py
# measures and prints the numbers). The limits come from the super config's [aziot_max_requests] and
# [iotedge_max_requests] through `config apply`: read at start, changed by a reload (SIGHUP), and
# 10 per socket without them. Needs root to run as other uids: skipped (77) otherwise.
. "$(dirname "$0")/../identityd/lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: must run as root to act as other uids" >&2; exit 77; fi
FLOOD="$(dirname "$0")/uid_flood.py"
CONFIG=$DIR/etc/edgesec/config.toml

for s in keyd certd identityd; do
  mkdir -p "$DIR/etc/edgesec/$s/config.d"
  echo 'socket_mode = "0666"' > "$DIR/etc/edgesec/$s/config.d/50-test.toml"
done
limits() {  # limits KEYD CERTD IDENTITYD WORKLOAD: the super config with these caps (none: no tables)
  : > "$CONFIG"
  if [ $# -gt 0 ]; then
    printf '[aziot_max_requests]\nkeyd = %s\ncertd = %s\nidentityd = %s\ntpmd = 5\n\n' "$1" "$2" "$3" >> "$CONFIG"
    printf '[iotedge_max_requests]\nworkload = %s\nmanagement = 5\n' "$4" >> "$CONFIG"
  fi
  chmod 600 "$CONFIG"
  edgectl config apply > "$DIR/apply.out" 2>&1 || { fail "config apply: $(cat "$DIR/apply.out")"; exit 1; }
}
# flood CAP ARGS...: uid_flood.py against the running daemons; fails the test on its FAIL lines.
flood() {
  local cap=$1; shift
  if python3 "$FLOOD" "$RUN" --cap "$cap" "$@" > "$DIR/flood.out" 2>&1; then
    pass "cap $cap $*: $(tr '\n' ' ' < "$DIR/flood.out")"
  else
    fail "cap $cap $*: $(cat "$DIR/flood.out")"
  fi
}
wait_reloaded() {  # wait_reloaded N: until each daemon has logged N reloads
  for _ in $(seq 100); do
    local done=1
    for s in keyd certd identityd; do
      [ "$(grep -c 'configuration reloaded' "$DIR/var/log/edgesec/$s.log")" -ge "$1" ] || done=0
    done
    [ "$done" = 1 ] && return 0
    sleep 0.1
  done
  fail "the daemons did not all reload"
}

# A cap of 2 on every socket, read at start; the peer's tpmd and management keys are warned about.
limits 2 2 2 2
grep -q "'aziot_max_requests.tpmd'.*edgesec ignores it" "$DIR/apply.out" \
  && pass "tpmd: warned and ignored" || fail "tpmd warning: $(cat "$DIR/apply.out")"
grep -q "'iotedge_max_requests.management'.*edgesec ignores it" "$DIR/apply.out" \
  && pass "management: warned and ignored" || fail "management warning: $(cat "$DIR/apply.out")"
up
flood 2 --flood 20 --flood-only --exact
# The log names the uid and the socket, once for the burst (not once per refused connection).
for s in keyd:1 certd:1 identityd:2; do
  n=$(grep -c "uid 65534 is at its limit of connections at once (max_requests = 2)" "$DIR/var/log/edgesec/${s%:*}.log")
  [ "$n" = "${s#*:}" ] && pass "${s%:*}: one log line per socket for the burst" \
    || fail "${s%:*}: $n log lines about uid 65534, not ${s#*:}"
done
grep -q "workload.sock': uid 65534 is at its limit .*max_requests = 2)" "$DIR/var/log/edgesec/identityd.log" \
  && pass "identityd names workload.sock" || fail "no log line for workload.sock"

# Other caps per socket, changed by a reload: 3 3 4 5 (identityd.sock and workload.sock apart).
limits 3 3 4 5
wait_reloaded 1
python3 "$FLOOD" "$RUN" --cap 5 --flood 20 --flood-only > "$DIR/flood.out" 2>&1
held=$(sed -n 's/.*"held": \({[^}]*}\).*/\1/p' "$DIR/flood.out")
[ "$held" = '{"keyd": 3, "certd": 3, "identityd": 4, "workload": 5}' ] \
  && pass "per-socket caps after a reload: $held" || fail "per-socket caps after reload: $(cat "$DIR/flood.out")"

# No tables: the default, 10 per uid per socket, under the issue's flood (1,100 per socket).
limits
wait_reloaded 2
flood 10 --flood 1100 --exact
echo "$FAILED failure(s)"
[ "$FAILED" -eq 0 ]
