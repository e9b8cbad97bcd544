#!/bin/bash
# Runs inside the container that systemd_container_test.sh boots (systemd 252 as PID 1, the host's
# Debian on a throwaway overlay), as its only unit: installs the package with dpkg, then checks that
# the sockets and the sandboxed services really work, upgrade, remove and purge. Writes "ok: …" and
# "FAIL: …" lines to /e2e/results and everything else to /e2e/out.log; ends with "DONE".
export SYSTEMD_PAGER= SYSTEMD_COLORS=0 LC_ALL=C.UTF-8
exec >>/e2e/out.log 2>&1
DAEMONS=$(cat /e2e/daemons)
result() { echo "$1" >>/e2e/results; echo "== $1"; }
check() {
  local what=$1
  shift
  echo "-- $what: $*"
  # A bounded wait: a client stuck on a socket whose service cannot start must not hang the boot.
  local -a bounded=(timeout 60)
  [ "$(type -t "$1")" = function ] && bounded=()
  if "${bounded[@]}" "$@"; then result "ok: $what"; else result "FAIL: $what"; return 1; fi
}
has_identityd() { [[ " $DAEMONS " == *" identityd "* ]]; }
main_pid() { systemctl show -p MainPID --value "$1"; }
runs_as() {  # UNIT USER: the unit's main process runs as USER
  local pid
  pid=$(main_pid "$1")
  [ "$pid" != 0 ] && [ "$(ps -o user= -p "$pid" | tr -d ' ')" = "$2" ]
}
socket_is() {  # PATH MODE OWNER GROUP
  [ -S "$1" ] && [ "$(stat -c '%a %U %G' "$1")" = "$2 $3 $4" ]
}
http_status() {  # SOCKET PATH [as nobody]
  local -a as=()
  [ "${3-}" = nobody ] && as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  "${as[@]}" curl -s -o /tmp/body -w '%{http_code}' --unix-socket "$1" "http://localhost$2"
}
SOCKETS="edgesec-keyd.socket edgesec-certd.socket"
has_identityd && SOCKETS="$SOCKETS edgesec-identityd.socket edgesec-workload.socket"

# --- installation -------------------------------------------------------------------------------------
# Not what is checked: man-db's trigger reindexes the host's pages on every dpkg run (~30 s each).
rm -f /var/lib/man-db/auto-update
check "dpkg -i installs the package" dpkg -i /e2e/edgesec.deb
for socket in $SOCKETS; do
  check "postinst started $socket" systemctl is-active --quiet "$socket"
done
for daemon in $DAEMONS; do
  check "edgesec-$daemon.service waits for its first connection" \
    test "$(systemctl is-active "edgesec-$daemon.service")" = inactive
  check "edgesec-$daemon.service is enabled for boot" systemctl is-enabled --quiet "edgesec-$daemon.service"
done
check "/run/edgesec is 0755 root" test "$(stat -c '%a %U' /run/edgesec)" = "755 root"
check "keyd.sock is 0660 edgeks:edgeks" socket_is /run/edgesec/keyd.sock 660 edgeks edgeks
check "certd.sock is 0660 edgecs:edgecs" socket_is /run/edgesec/certd.sock 660 edgecs edgecs
if has_identityd; then
  check "identityd.sock is 0660 edgeid:edgeid" socket_is /run/edgesec/identityd.sock 660 edgeid edgeid
  check "workload.sock is 0666 edgeid:edgeid" socket_is /run/edgesec/workload.sock 666 edgeid edgeid
fi

# --- keyd ------------------------------------------------------------------------------------------------
check "a connection to keyd.sock starts keyd, which answers /version" \
  test "$(http_status /run/edgesec/keyd.sock '/version?api-version=2021-05-01')" = 200
check "keyd runs as edgeks" runs_as edgesec-keyd.service edgeks
check "keyd creates a key pair in its state directory (ProtectSystem=strict)" edgectl key create e2e-key
check "keyd signs with it" edgectl key sign e2e-key --data hello
# The OpenSSL provider from the package: `openssl -provider edgesec` finds the module in OpenSSL's
# modules directory and keyd on /run/edgesec/keyd.sock, with no path or variable.
check "openssl -provider edgesec reads e2e-key's public key from keyd" \
  sh -c "openssl pkey -provider edgesec -provider default -in edgesec:e2e-key -pubout | grep -q 'BEGIN PUBLIC KEY'"
check "openssl req -new -key edgesec:e2e-key makes a CSR that openssl verifies" \
  sh -c "openssl req -new -provider edgesec -provider default -key edgesec:e2e-key -subj /CN=e2e -out /tmp/e2e.csr && openssl req -verify -noout -in /tmp/e2e.csr"
check "keyd's state is /var/lib/edgesec/keyd, 0700 edgeks" test "$(stat -c '%a %U' /var/lib/edgesec/keyd)" = "700 edgeks"
PID=$(main_pid edgesec-keyd.service)
check "systemctl reload edgesec-keyd (SIGHUP, RELOADING=1/READY=1)" systemctl reload edgesec-keyd.service
check "keyd is the same process after the reload" test "$(main_pid edgesec-keyd.service)" = "$PID"
check "uid 65534 cannot connect to keyd.sock (0660)" \
  test "$(http_status /run/edgesec/keyd.sock '/version?api-version=2021-05-01' nobody)" = 000

# What `edgectl config apply` is to write: certd and identityd may use keyd's and certd's objects.
cat >/etc/edgesec/keyd/config.d/50-e2e.toml <<'T'
[[principal]]
name = "edgecs"
keys = ["*"]

[[principal]]
name = "edgeid"
keys = ["*"]
T
cat >/etc/edgesec/certd/config.d/50-e2e.toml <<'T'
[[principal]]
name = "edgeid"
certs = ["*"]
T
chown edgeks /etc/edgesec/keyd/config.d/50-e2e.toml
chown edgecs /etc/edgesec/certd/config.d/50-e2e.toml
chmod 0600 /etc/edgesec/*/config.d/50-e2e.toml
check "keyd reloads a config that only its user can read" systemctl reload edgesec-keyd.service

# --- certd ---------------------------------------------------------------------------------------------
check "a connection to certd.sock starts certd; edgectl cert list works" edgectl cert list
check "certd runs as edgecs" runs_as edgesec-certd.service edgecs
check "certd's state is /var/lib/edgesec/certd, 0700 edgecs" test "$(stat -c '%a %U' /var/lib/edgesec/certd)" = "700 edgecs"

# --- identityd -------------------------------------------------------------------------------------------
if has_identityd; then
  check "a connection to workload.sock starts identityd, which serves the trust bundle" \
    test "$(http_status /run/edgesec/workload.sock '/trust-bundle?api-version=2019-01-30')" = 200
  check "the trust bundle holds the Edge CA (made through certd and keyd)" grep -q 'BEGIN CERTIFICATE' /tmp/body
  check "identityd runs as edgeid" runs_as edgesec-identityd.service edgeid
  check "uid 65534 reaches workload.sock (0666)" \
    test "$(http_status /run/edgesec/workload.sock '/trust-bundle?api-version=2019-01-30' nobody)" != 000
  check "systemctl reload edgesec-identityd" systemctl reload edgesec-identityd.service
fi

# --- identityd's on_change hook: the polkit rule `edgectl config apply` writes ---------------------------
# A hook runs as edgeid inside identityd's sandbox; `systemctl reload-or-restart` then needs polkit.
# The same sandbox as edgesec-identityd.service, applied with systemd-run, before and after
# `config apply` wrote the rule for [edge_ca] on_change_units (issue 11, trap 4).
if has_identityd && [ -x /usr/lib/polkit-1/polkitd ]; then
  systemctl start dbus.socket dbus.service
  for u in e2e-module e2e-other; do
    printf '%s\n' '[Service]' Type=oneshot RemainAfterExit=yes ExecStart=/bin/true ExecReload=/bin/true \
      >/etc/systemd/system/$u.service
  done
  systemctl daemon-reload
  systemctl start e2e-module.service e2e-other.service
  sandboxed_reload() {  # UNIT: the hook's command, as edgeid in identityd's sandbox
    local -a props=()
    local line
    while read -r line; do props+=(-p "$line"); done < <(sed -n '/^\[Service\]/,/^\[/{/^[A-Z][A-Za-z]*=/p}' \
      /lib/systemd/system/edgesec-identityd.service | grep -vE '^(Type|ExecStart|ExecReload|Sockets|Restart|RestartSec|StateDirectory|StateDirectoryMode)=')
    systemd-run --quiet --wait --collect --pipe "${props[@]}" /usr/bin/systemctl reload-or-restart --no-block "$1"
  }
  reload_refused() { ! sandboxed_reload "$1"; }
  check "without a polkit rule, the hook's systemctl reload-or-restart is refused" reload_refused e2e-module.service
  printf '[edge_ca]\non_change_units = ["e2e-module.service"]\n' >/etc/edgesec/config.toml
  chmod 0600 /etc/edgesec/config.toml
  check "edgectl config apply with on_change_units" edgectl config apply
  check "… wrote the polkit rule for the hook's units" test -f /etc/polkit-1/rules.d/50-edgesec-hooks.rules
  sleep 1  # polkitd rereads its rules directory on change
  check "with the rule, the hook (as edgeid, in identityd's sandbox) reloads the unit" sandboxed_reload e2e-module.service
  check "… and only the units the config names" reload_refused e2e-other.service
  rm /etc/edgesec/config.toml
  check "edgectl config apply without on_change_units" edgectl config apply
  check "… removed the rule" test ! -e /etc/polkit-1/rules.d/50-edgesec-hooks.rules
fi

# --- edgectl trust install, kept in step on an Edge CA rollover --------------------------------------------
# identityd (edgeid, sandboxed) starts edgesec-trust.service through systemd's D-Bus API, allowed by
# the package's polkit rule (/usr/share/polkit-1/rules.d/50-edgesec-trust.rules); the unit runs
# `edgectl trust install --quiet` as root, which runs update-ca-certificates.
if has_identityd && [ -x /usr/lib/polkit-1/polkitd ]; then
  systemctl start dbus.socket dbus.service
  TRUST=/usr/local/share/ca-certificates/edgesec
  edgesec_links() { ls /etc/ssl/certs | grep -c '^edgesec-'; }
  check "edgectl trust install puts the Edge CA into the OS store" edgectl trust install
  check "… and update-ca-certificates linked it into /etc/ssl/certs" test "$(edgesec_links)" = 1
  check "edgectl cert renew edge-ca (an Edge CA rollover)" edgectl cert renew edge-ca
  rollover_refreshed() {
    for _ in $(seq 150); do [ "$(ls "$TRUST" | wc -l)" = 2 ] && [ "$(edgesec_links)" = 2 ] && return 0; sleep 0.2; done
    ls -la "$TRUST"; systemctl status edgesec-trust.service; journalctl -u edgesec-identityd -u edgesec-trust --no-pager | tail -20
    return 1
  }
  check "identityd started edgesec-trust.service, which put the new Edge CA beside the old one" rollover_refreshed
  check "edgesec-trust.service ran as a root oneshot and succeeded" \
    test "$(systemctl show -p Result --value edgesec-trust.service)" = success
  check "edgectl trust remove takes edgesec's certificates out of the store" \
    sh -c "edgectl trust remove && test ! -e $TRUST && test \"\$(ls /etc/ssl/certs | grep -c '^edgesec-')\" = 0"
fi

# --- keyd's tpm engine through tpm2-abrmd on the system bus (swtpm behind it) ---------------------------
# The sandbox path of a TPM shared through the resource manager: D-Bus over AF_UNIX with
# PrivateNetwork=yes, and tabrmd's bus policy, which admits the group tss (edgeks is a member).
if command -v swtpm >/dev/null && command -v tpm2-abrmd >/dev/null && command -v dbus-daemon >/dev/null; then
  systemctl start dbus.socket dbus.service
  mkdir -p /var/lib/e2e-swtpm
  swtpm socket --tpm2 --server type=tcp,bindaddr=127.0.0.1,port=2321 \
    --ctrl type=tcp,bindaddr=127.0.0.1,port=2322 --tpmstate dir=/var/lib/e2e-swtpm \
    --flags not-need-init,startup-clear --daemon
  # Debian's tpm2-abrmd.service without its Requires=dev-tpm0.device, pointed at swtpm (an
  # /etc/systemd/system copy replaces the unit; a drop-in cannot remove a dependency).
  sed -e '/dev-tpm0.device/d' -e 's|^ExecStart=.*|ExecStart=/usr/sbin/tpm2-abrmd --tcti=swtpm:host=127.0.0.1,port=2321|' \
    /lib/systemd/system/tpm2-abrmd.service >/etc/systemd/system/tpm2-abrmd.service
  systemctl daemon-reload
  check "tpm2-abrmd starts on swtpm" systemctl start tpm2-abrmd.service ||
    journalctl -u tpm2-abrmd --no-pager
  cat >/etc/edgesec/keyd/config.d/60-tpm.toml <<'T'
[tpm]
tcti = "tabrmd"

[[key_engine]]
keys = ["tpm-*"]
engine = "tpm"
T
  chown edgeks /etc/edgesec/keyd/config.d/60-tpm.toml
  chmod 0600 /etc/edgesec/keyd/config.d/60-tpm.toml
  check "keyd restarts with the tpm engine on tabrmd" systemctl restart edgesec-keyd.service
  check "keyd makes a key pair in the TPM" sh -c "edgectl key create tpm-key | grep -q \"engine 'tpm'\""
  check "keyd signs with the TPM key" edgectl key sign tpm-key --data hello
else
  result "ok: (skipped: swtpm, tpm2-abrmd or dbus-daemon is not installed: the tpm engine was not checked)"
fi

# Nothing refused by the sandbox: no seccomp kill, no EPERM/EROFS/EACCES in the daemons' logs.
journalctl -u 'edgesec-*' --no-pager -o short-monotonic >/tmp/journal
cat /tmp/journal
check "no daemon was refused anything by its sandbox" \
  sh -c "! grep -E 'edgesec-[a-z]+\[[0-9]+\]:.*(Operation not permitted|Read-only file system|Permission denied|Bad system call)|status=31/SYS' /tmp/journal"
for daemon in $DAEMONS; do
  check "edgesec-$daemon.service is active" systemctl is-active --quiet "edgesec-$daemon.service"
done

# --- upgrade, remove, purge ---------------------------------------------------------------------------
PID=$(main_pid edgesec-keyd.service)
check "dpkg -i again (an upgrade) succeeds" dpkg -i /e2e/edgesec.deb
check "the upgrade restarted the running keyd" test "$(main_pid edgesec-keyd.service)" != "$PID"
check "keyd still has its key after the upgrade" edgectl key show e2e-key
check "dpkg -r removes the package" dpkg -r edgesec
for socket in $SOCKETS; do
  check "prerm stopped $socket" test "$(systemctl is-active "$socket")" != active
  check "postrm masked $socket" test "$(readlink "/etc/systemd/system/$socket")" = /dev/null
done
check "no service runs after dpkg -r" sh -c "! pgrep -f '^/usr/libexec/edgesec/'"
check "dpkg -r keeps the keys" test -d /var/lib/edgesec/keyd
check "dpkg -P purges the package" dpkg -P edgesec
check "purge deletes /var/lib/edgesec and /etc/edgesec" sh -c '! test -e /var/lib/edgesec && ! test -e /etc/edgesec'
check "purge unmasks the units" sh -c '! ls /etc/systemd/system/edgesec-* 2>/dev/null | grep -q .'
check "purge keeps the users" id edgeks
result DONE
