#!/usr/bin/env bash
# tests/deploy/systemd_test.sh - deploy/systemd/cruddurd.service and cruddurd.env.example.
#
# No systemd runs as PID 1 here, so the unit is checked offline and its command line is
# run by hand:
#   1. `systemd-analyze verify` on a copy whose ExecStart names $CRUDDUR_BIN_DIR/cruddurd
#      instead of /usr/local/bin/cruddurd (verify wants the binary to exist; nothing else
#      is changed). Any message fails the test: verify reports unknown keys and bad values
#      as warnings with exit 0.
#   2. The hardening the unit promises is there (DynamicUser, NoNewPrivileges,
#      ProtectSystem=strict, ..., an empty CapabilityBoundingSet), TimeoutStopSec is above
#      the --drain-timeout in ExecStart, Restart=on-failure, KillSignal=SIGTERM,
#      Type=notify with NotifyAccess=main, RestartPreventExitStatus=2 (and cruddurd does
#      exit 2 on a configuration error).
#   3. `systemd-analyze security --offline=true`: prints the exposure score and fails
#      above 2.0 (the unit scores about 1.1, "OK").
#   4. The environment file example parses as KEY=VALUE lines, holds no password, and its
#      CONNECTION_URL uses sslmode=verify-full.
#   5. The real cruddurd runs the unit's ExecStart arguments (paths moved into a temporary
#      directory, %d, the credentials directory, too; port 0; $CRUDDURD_OPTS from the
#      example; a database that is down): it becomes ready on both the tcp:// and the
#      ipc:// URL, answers `cruddur methods` on the ipc socket, refuses a DbAdmin call
#      without the admin token, and on SIGTERM exits 0 well within TimeoutStopSec. Its
#      $NOTIFY_SOCKET (a path; tests/support/notify_listener.py) gets READY=1 once it is
#      ready and STOPPING=1 after SIGTERM; with $JOURNAL_STREAM naming its stderr, every
#      log line starts with a syslog priority, "<6>ts=...".
#
# Environment: CRUDDUR_SOURCE_DIR (default: two levels up from here), CRUDDUR_BIN_DIR
# (default $CRUDDUR_SOURCE_DIR/build/bin). Exit 0 pass, 1 fail.
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" deploy

unit="$src/deploy/systemd/cruddurd.service"
envfile="$src/deploy/systemd/cruddurd.env.example"

command -v systemd-analyze >/dev/null 2>&1 ||
    die "systemd-analyze not found (Debian package systemd; tests/run installs it)"
[[ -x "$bin/cruddurd" ]] || die "$bin/cruddurd is not built"
[[ -f "$unit" ]] || die "$unit is missing"
[[ -f "$envfile" ]] || die "$envfile is missing"

# The value of the last KEY= line in the unit's [Service] section.
svc() {
    sed -n '/^\[Service\]/,/^\[/p' "$unit" | sed -n "s/^$1=//p" | tail -n 1
}

# ==========================================================================================
echo "== systemd-analyze verify"
mkdir -p "$work/unit"
exec_start="$(svc ExecStart)"
[[ "$exec_start" == /usr/local/bin/cruddurd\ * ]] ||
    fail "ExecStart runs /usr/local/bin/cruddurd (cmake --install's default prefix): '$exec_start'"
sed "s#^ExecStart=/usr/local/bin/cruddurd #ExecStart=$bin/cruddurd #" "$unit" >"$work/unit/cruddurd.service"
if systemd-analyze verify --man=no "$work/unit/cruddurd.service" >"$work/verify.out" 2>&1; then
    if [[ -s "$work/verify.out" ]]; then
        fail "systemd-analyze verify printed messages (warnings count as failures):"
        sed 's/^/    /' "$work/verify.out"
    else
        ok "systemd-analyze verify: no errors, no warnings"
    fi
else
    fail "systemd-analyze verify failed:"
    sed 's/^/    /' "$work/verify.out"
fi
# The check is worth something only if verify complains about a bad unit here.
sed 's/^ProtectSystem=strict$/ProtectSystem=bogus\nNoSuchKey=1/' "$work/unit/cruddurd.service" \
    >"$work/unit/broken.service"
systemd-analyze verify --man=no "$work/unit/broken.service" >"$work/verify-broken.out" 2>&1 || true
if grep -q NoSuchKey "$work/verify-broken.out" && grep -qi 'protect system' "$work/verify-broken.out"; then
    ok "systemd-analyze verify does report a broken copy"
else
    fail "systemd-analyze verify did not report a broken copy: $(cat "$work/verify-broken.out")"
fi

# ==========================================================================================
echo "== hardening and stop behaviour"
for kv in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
          PrivateTmp=yes PrivateDevices=yes StateDirectory=cruddur RuntimeDirectory=cruddur \
          CapabilityBoundingSet= "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
          MemoryDenyWriteExecute=yes LockPersonality=yes RestrictNamespaces=yes \
          SystemCallArchitectures=native KillSignal=SIGTERM Restart=on-failure \
          CPUSchedulingPolicy=batch Type=notify NotifyAccess=main RestartPreventExitStatus=2 \
          EnvironmentFile=-/etc/cruddur/cruddurd.env; do
    if sed -n '/^\[Service\]/,/^\[/p' "$unit" | grep -qxF -- "$kv"; then
        ok "$kv"
    else
        fail "the unit lacks '$kv'"
    fi
done
if sed -n '/^\[Service\]/,/^\[/p' "$unit" | grep -qx 'SystemCallFilter=@system-service'; then
    ok "SystemCallFilter=@system-service"
else
    fail "the unit lacks SystemCallFilter=@system-service"
fi
for url in tcp://127.0.0.1:7432 ipc:///run/cruddur/cruddurd.sock; do
    if [[ " $exec_start " == *" --listen $url "* ]]; then
        ok "ExecStart listens on $url"
    else
        fail "ExecStart does not listen on $url"
    fi
done
if [[ " $exec_start " == *" --sql-dir /usr/local/share/cruddur/sql "* ]]; then
    ok "ExecStart --sql-dir /usr/local/share/cruddur/sql"
else
    fail "ExecStart lacks --sql-dir /usr/local/share/cruddur/sql"
fi
drain_ms="$(sed -n 's/.*--drain-timeout \([0-9]*\).*/\1/p' <<<"$exec_start")"
drain_ms="${drain_ms:-10000}"   # cruddurd's default
stop_s="$(svc TimeoutStopSec)"
if [[ "$stop_s" =~ ^[0-9]+$ ]] && (( stop_s * 1000 >= drain_ms + 5000 )); then
    ok "TimeoutStopSec=$stop_s s leaves at least 5 s beyond the ${drain_ms} ms drain"
else
    fail "TimeoutStopSec='$stop_s' must be whole seconds, at least the drain timeout ($drain_ms ms) + 5 s"
fi

rc=0
env -u CRUDDUR_CONFIG "$bin/cruddurd" --no-such-flag >/dev/null 2>&1 || rc=$?
if [[ $rc -eq 2 ]]; then
    ok "a configuration error exits 2, which RestartPreventExitStatus=2 does not restart"
else
    fail "cruddurd --no-such-flag exited $rc, not 2 (RestartPreventExitStatus=2 relies on it)"
fi

# ==========================================================================================
echo "== systemd-analyze security --offline=true"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    systemd-analyze security --offline=true --no-pager "$work/unit/cruddurd.service" \
        >"$work/security.out" 2>&1 || true
    score_line="$(grep -a 'Overall exposure level' "$work/security.out" | tail -n 1)"
    echo "    ${score_line:-no score printed}"
    score="$(sed -n 's/.*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$score_line")"
    if [[ -z "$score" ]]; then
        fail "systemd-analyze security printed no score:"
        sed 's/^/    /' "$work/security.out"
    elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        ok "exposure $score <= 2.0"
    else
        fail "exposure $score > 2.0; the findings:"
        grep -a '✗' "$work/security.out" | sed 's/^/    /'
    fi
else
    echo "    (this systemd-analyze has no --offline; security review skipped)"
fi

# ==========================================================================================
echo "== cruddurd.env.example"
bad_lines="$(grep -nvE "^[[:space:]]*(#.*)?$|^[A-Za-z_][A-Za-z0-9_]*=('[^']*'|\"[^\"]*\"|[^'\"[:space:]]*)$" "$envfile" || true)"
if [[ -z "$bad_lines" ]]; then
    ok "every line is a comment or KEY=VALUE"
else
    fail "lines that are neither a comment nor KEY=VALUE: $bad_lines"
fi
ex_url="" ex_opts=""
# shellcheck disable=SC2016  # the inner shell expands them
eval "$(env -i bash -c 'set -a; . "$1"; printf "ex_url=%q; ex_opts=%q\n" "${CONNECTION_URL:-}" "${CRUDDURD_OPTS:-}"' _ "$envfile")"
if [[ "$ex_url" == *sslmode=verify-full* && "$ex_url" == *sslrootcert=/etc/cruddur/rds-global-bundle.pem* ]]; then
    ok "CONNECTION_URL verifies the server (sslmode=verify-full, the RDS bundle)"
else
    fail "CONNECTION_URL lacks sslmode=verify-full&sslrootcert=/etc/cruddur/rds-global-bundle.pem: $ex_url"
fi
if [[ "$ex_url" =~ ://[^/@]*:[^/@]*@ || "$ex_url" == *password=* ]] ||
        grep -qiE '^[^#]*(password|secret)[A-Z_]*=' "$envfile"; then
    fail "the example holds a password"
else
    ok "the example holds no password"
fi

# ==========================================================================================
echo "== the unit's ExecStart, run by hand"
mkdir -p "$work/run" "$work/credentials"
sock="$work/run/cruddurd.sock"
# What LoadCredential= would put in %d.
(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$work/credentials/admin-token")
: >"$work/credentials/pgpass"
chmod 600 "$work/credentials/pgpass"
cmdline="${exec_start//\$CRUDDURD_OPTS/$ex_opts}"
read -r -a argv <<<"$cmdline"
for i in "${!argv[@]}"; do
    case "${argv[$i]}" in
        /usr/local/bin/cruddurd)         argv[i]="$bin/cruddurd" ;;
        tcp://127.0.0.1:7432)            argv[i]="tcp://127.0.0.1:0" ;;
        ipc:///run/cruddur/cruddurd.sock) argv[i]="ipc://$sock" ;;
        /usr/local/share/cruddur/sql)    argv[i]="$src/sql" ;;
        %d/*)                            argv[i]="$work/credentials/${argv[i]#%d/}" ;;
    esac
    [[ "${argv[i]}" != *%* ]] || fail "ExecStart has a specifier this test does not handle: ${argv[i]}"
done
echo "    ${argv[*]}"
# systemd's notification socket, and the journal as stderr (its device:inode).
listener_pid=
on_exit() { kill_quietly "$listener_pid"; }
python3 "$src/tests/support/notify_listener.py" "$work/run/notify" "$work/notify.jsonl" "$work/notify.ready" &
listener_pid=$!
wait_ready "$work/notify.ready" "$listener_pid" || die "the notify listener did not start"
notified() {
    python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(l).replace("\n", "|"))' "$work/notify.jsonl" 2>/dev/null || true
}
: >"$work/cruddurd.log"
journal_stream="$(stat -c '%d:%i' "$work/cruddurd.log")"
# A database that is down (nothing listens on port 1): cruddurd must start regardless.
env -u PROD_CONNECTION_URL -u CRUDDUR_SQL_DIR -u CRUDDUR_ADMIN_TOKEN -u CRUDDUR_CONFIG \
    NOTIFY_SOCKET="$work/run/notify" JOURNAL_STREAM="$journal_stream" \
    PGPASSFILE="$work/credentials/pgpass" CONNECTION_URL="postgresql://cruddur@127.0.0.1:1/cruddur?connect_timeout=2" \
    "${argv[@]}" --ready-file "$work/ready" >"$work/cruddurd.log" 2>&1 &
server_pid=$!
if wait_ready "$work/ready" "$server_pid"; then
    ok "cruddurd accepts the unit's arguments and becomes ready"
    for ((i = 0; i < 50; i++)); do [[ -n "$(notified)" ]] && break; sleep 0.1; done
    if [[ "$(notified)" == "READY=1|STATUS=serving" ]]; then
        ok "NOTIFY_SOCKET got READY=1 once it was ready"
    else
        fail "NOTIFY_SOCKET got '$(notified)' once it was ready, not READY=1"
    fi
    if grep -q '^tcp://127.0.0.1:[1-9]' "$work/ready" && grep -qF "ipc://$sock" "$work/ready"; then
        ok "ready on the tcp:// and the ipc:// URL"
    else
        fail "the ready file does not list both URLs: $(tr '\n' ' ' <"$work/ready")"
    fi
    if [[ -x "$bin/cruddur" ]]; then
        if "$bin/cruddur" --server "ipc://$sock" --timeout 5000 methods >"$work/methods.out" 2>&1; then
            ok "cruddur methods answers on the ipc:// socket"
        else
            fail "cruddur methods on ipc://$sock: $(cat "$work/methods.out")"
        fi
        if env -u CRUDDUR_TOKEN "$bin/cruddur" --server "ipc://$sock" --timeout 5000 db sessions \
                >"$work/admin.out" 2>&1; then
            fail "a DbAdmin call without the admin token was served"
        elif grep -qiE 'UNAUTHENTICATED|PERMISSION_DENIED' "$work/admin.out"; then
            ok "a DbAdmin call without the admin token is refused: $(head -n 1 "$work/admin.out")"
        else
            fail "a DbAdmin call without the token failed, but not for want of it: $(cat "$work/admin.out")"
        fi
    fi
    if ! stop_within "$stop_s"; then
        fail "cruddurd still runs ${stop_s} s after SIGTERM (systemd would SIGKILL it)"
    elif [[ $stop_rc -eq 0 ]]; then
        ok "SIGTERM: exit 0 after $stop_ms ms (TimeoutStopSec=${stop_s}s)"
    else
        fail "SIGTERM: exit status $stop_rc (log: $(tail -n 5 "$work/cruddurd.log"))"
    fi
    if [[ "$(notified | tr '\n' ' ')" == "READY=1|STATUS=serving STOPPING=1|STATUS=draining " ]]; then
        ok "NOTIFY_SOCKET got READY=1, then STOPPING=1 at SIGTERM"
    else
        fail "NOTIFY_SOCKET got, in order: $(notified | tr '\n' ' ')"
    fi
    lines="$(wc -l <"$work/cruddurd.log")"
    prefixed="$(grep -cE '^<[3467]>ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z level=' "$work/cruddurd.log" || true)"
    if [[ "$lines" -gt 0 && "$prefixed" -eq "$lines" ]]; then
        ok "stderr is the journal: all $lines log lines start with <priority>ts="
    else
        fail "$prefixed of $lines log lines start with <priority>ts=: $(head -n 3 "$work/cruddurd.log")"
    fi
    if grep -q '^<6>ts=.* level=info msg=started' "$work/cruddurd.log"; then
        ok "an info line has priority 6"
    else
        fail "no '<6>ts=... level=info msg=started' line"
    fi
else
    fail "cruddurd did not become ready with the unit's arguments; its output:"
    sed 's/^/    /' "$work/cruddurd.log"
fi

finish
