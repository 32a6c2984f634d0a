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
#      the --drain-timeout in ExecStart, Restart=on-failure, KillSignal=SIGTERM.
#   3. `systemd-analyze security --offline=true`: prints the exposure score and fails
#      above 2.0 (the unit scores about 1.1, "OK").
#   4. The environment file example parses as KEY=VALUE lines, holds no password, and its
#      CONNECTION_URL uses sslmode=verify-full.
#   5. The real cruddurd runs the unit's ExecStart arguments (paths moved into a temporary
#      directory, %d, the credentials directory, too; port 0; $CRUDDURD_OPTS from the
#      example; a database that is down): it becomes ready on both the tcp:// and the
#      ipc:// URL, answers `cruddur methods` on the ipc socket, refuses a DbAdmin call
#      without the admin token, and on SIGTERM exits 0 well within TimeoutStopSec.
#
# Environment: CRUDDUR_SOURCE_DIR (default: two levels up from here), CRUDDUR_BIN_DIR
# (default $CRUDDUR_SOURCE_DIR/build/bin). Exit 0 pass, 1 fail.
set -euo pipefail

src="${CRUDDUR_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
bin="${CRUDDUR_BIN_DIR:-$src/build/bin}"
unit="$src/deploy/systemd/cruddurd.service"
envfile="$src/deploy/systemd/cruddurd.env.example"

die() { echo "systemd_test: FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null 2>&1 ||
    die "systemd-analyze not found (Debian package systemd; tests/run installs it)"
[[ -x "$bin/cruddurd" ]] || die "$bin/cruddurd is not built"
[[ -f "$unit" ]] || die "$unit is missing"
[[ -f "$envfile" ]] || die "$envfile is missing"

tmp="$(mktemp -d /tmp/cruddur-systemd-test.XXXXXX)"
srv_pid=""
cleanup() {
    if [[ -n "$srv_pid" ]]; then
        kill -KILL "$srv_pid" 2>/dev/null || true
        wait "$srv_pid" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
}
trap cleanup EXIT

failures=0
checks=0
ok()   { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL %s\n' "$*"; }

# The value of the last KEY= line in the unit's [Service] section.
svc() {
    sed -n '/^\[Service\]/,/^\[/p' "$unit" | sed -n "s/^$1=//p" | tail -n 1
}

# ==========================================================================================
echo "== systemd-analyze verify"
mkdir -p "$tmp/unit"
exec_start="$(svc ExecStart)"
[[ "$exec_start" == /usr/local/bin/cruddurd\ * ]] ||
    fail "ExecStart runs /usr/local/bin/cruddurd (cmake --install's default prefix): '$exec_start'"
sed "s#^ExecStart=/usr/local/bin/cruddurd #ExecStart=$bin/cruddurd #" "$unit" >"$tmp/unit/cruddurd.service"
if systemd-analyze verify --man=no "$tmp/unit/cruddurd.service" >"$tmp/verify.out" 2>&1; then
    if [[ -s "$tmp/verify.out" ]]; then
        fail "systemd-analyze verify printed messages (warnings count as failures):"
        sed 's/^/    /' "$tmp/verify.out"
    else
        ok "systemd-analyze verify: no errors, no warnings"
    fi
else
    fail "systemd-analyze verify failed:"
    sed 's/^/    /' "$tmp/verify.out"
fi
# The check is worth something only if verify complains about a bad unit here.
sed 's/^ProtectSystem=strict$/ProtectSystem=bogus\nNoSuchKey=1/' "$tmp/unit/cruddurd.service" \
    >"$tmp/unit/broken.service"
systemd-analyze verify --man=no "$tmp/unit/broken.service" >"$tmp/verify-broken.out" 2>&1 || true
if grep -q NoSuchKey "$tmp/verify-broken.out" && grep -qi 'protect system' "$tmp/verify-broken.out"; then
    ok "systemd-analyze verify does report a broken copy"
else
    fail "systemd-analyze verify did not report a broken copy: $(cat "$tmp/verify-broken.out")"
fi

# ==========================================================================================
echo "== hardening and stop behaviour"
for kv in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
          PrivateTmp=yes PrivateDevices=yes StateDirectory=cruddur RuntimeDirectory=cruddur \
          CapabilityBoundingSet= "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
          MemoryDenyWriteExecute=yes LockPersonality=yes RestrictNamespaces=yes \
          SystemCallArchitectures=native KillSignal=SIGTERM Restart=on-failure \
          CPUSchedulingPolicy=batch \
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

# ==========================================================================================
echo "== systemd-analyze security --offline=true"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    systemd-analyze security --offline=true --no-pager "$tmp/unit/cruddurd.service" \
        >"$tmp/security.out" 2>&1 || true
    score_line="$(grep -a 'Overall exposure level' "$tmp/security.out" | tail -n 1)"
    echo "    ${score_line:-no score printed}"
    score="$(sed -n 's/.*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$score_line")"
    if [[ -z "$score" ]]; then
        fail "systemd-analyze security printed no score:"
        sed 's/^/    /' "$tmp/security.out"
    elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        ok "exposure $score <= 2.0"
    else
        fail "exposure $score > 2.0; the findings:"
        grep -a '✗' "$tmp/security.out" | sed 's/^/    /'
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
mkdir -p "$tmp/run" "$tmp/credentials"
sock="$tmp/run/cruddurd.sock"
# What LoadCredential= would put in %d.
(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/credentials/admin-token")
: >"$tmp/credentials/pgpass"
chmod 600 "$tmp/credentials/pgpass"
cmdline="${exec_start//\$CRUDDURD_OPTS/$ex_opts}"
read -r -a argv <<<"$cmdline"
for i in "${!argv[@]}"; do
    case "${argv[$i]}" in
        /usr/local/bin/cruddurd)         argv[i]="$bin/cruddurd" ;;
        tcp://127.0.0.1:7432)            argv[i]="tcp://127.0.0.1:0" ;;
        ipc:///run/cruddur/cruddurd.sock) argv[i]="ipc://$sock" ;;
        /usr/local/share/cruddur/sql)    argv[i]="$src/sql" ;;
        %d/*)                            argv[i]="$tmp/credentials/${argv[i]#%d/}" ;;
    esac
    [[ "${argv[i]}" != *%* ]] || fail "ExecStart has a specifier this test does not handle: ${argv[i]}"
done
echo "    ${argv[*]}"
# A database that is down (nothing listens on port 1): cruddurd must start regardless.
env -u PROD_CONNECTION_URL -u CRUDDUR_SQL_DIR -u CRUDDUR_ADMIN_TOKEN -u CRUDDUR_CONFIG \
    PGPASSFILE="$tmp/credentials/pgpass" CONNECTION_URL="postgresql://cruddur@127.0.0.1:1/cruddur?connect_timeout=2" \
    "${argv[@]}" --ready-file "$tmp/ready" >"$tmp/cruddurd.log" 2>&1 &
srv_pid=$!
for ((i = 0; i < 100; i++)); do
    [[ -s "$tmp/ready" ]] && break
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -s "$tmp/ready" ]]; then
    ok "cruddurd accepts the unit's arguments and becomes ready"
    if grep -q '^tcp://127.0.0.1:[1-9]' "$tmp/ready" && grep -qF "ipc://$sock" "$tmp/ready"; then
        ok "ready on the tcp:// and the ipc:// URL"
    else
        fail "the ready file does not list both URLs: $(tr '\n' ' ' <"$tmp/ready")"
    fi
    if [[ -x "$bin/cruddur" ]]; then
        if "$bin/cruddur" --server "ipc://$sock" --timeout 5000 methods >"$tmp/methods.out" 2>&1; then
            ok "cruddur methods answers on the ipc:// socket"
        else
            fail "cruddur methods on ipc://$sock: $(cat "$tmp/methods.out")"
        fi
        if env -u CRUDDUR_TOKEN "$bin/cruddur" --server "ipc://$sock" --timeout 5000 db sessions \
                >"$tmp/admin.out" 2>&1; then
            fail "a DbAdmin call without the admin token was served"
        elif grep -qiE 'UNAUTHENTICATED|PERMISSION_DENIED' "$tmp/admin.out"; then
            ok "a DbAdmin call without the admin token is refused: $(head -n 1 "$tmp/admin.out")"
        else
            fail "a DbAdmin call without the token failed, but not for want of it: $(cat "$tmp/admin.out")"
        fi
    fi
    start=$(date +%s%N)
    kill -TERM "$srv_pid"
    rc=0
    for ((i = 0; i < stop_s * 10; i++)); do
        kill -0 "$srv_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$srv_pid" 2>/dev/null; then
        fail "cruddurd still runs ${stop_s} s after SIGTERM (systemd would SIGKILL it)"
    else
        wait "$srv_pid" || rc=$?
        srv_pid=""
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        if [[ $rc -eq 0 ]]; then
            ok "SIGTERM: exit 0 after $ms ms (TimeoutStopSec=${stop_s}s)"
        else
            fail "SIGTERM: exit status $rc (log: $(tail -n 5 "$tmp/cruddurd.log"))"
        fi
    fi
else
    fail "cruddurd did not become ready with the unit's arguments; its output:"
    sed 's/^/    /' "$tmp/cruddurd.log"
fi

echo "systemd_test: $((checks - failures)) of $checks checks passed"
[[ $failures -eq 0 ]]
