#!/usr/bin/env bash
# tests/e2e/unprivileged_test.sh - cruddurd runs as an unprivileged user
# (nobody) with write access to nothing but its own state directory: it
# serves tcp and ipc, writes its ready and pid files there and nowhere else,
# and stops cleanly. Skipped (77) when the test does not run as root or
# nobody cannot reach the built binary (a checkout under /root). Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e

[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root to switch to nobody"; exit 77; }
runuser -u nobody -- test -x "$bin/cruddurd" ||
    { echo "skipped: nobody cannot run $bin/cruddurd"; exit 77; }

state="$work/state"
mkdir -p "$state"
chown nobody "$state"
chmod 700 "$state"
chmod 755 "$work"
touch "$work/before"

runuser -u nobody -- "$bin/cruddurd" --listen tcp://127.0.0.1:0 --listen "ipc://$state/cruddurd.sock" \
    --db "$(db_url cruddur_unprivileged_test)" --ready-file "$state/ready" --pid-file "$state/pid" \
    --log-level warn 2>"$work/cruddurd.log" &
server_pid=$!
await_cruddurd "$state/ready"

pid=$(cat "$state/pid")
[[ $(stat -c %U "/proc/$pid") == nobody ]] || fail "cruddurd does not run as nobody"
expect 0 "seed .*ok" -- db setup
expect 0 "This was imported as seed data" -- feed home
url="ipc://$state/cruddurd.sock"
expect 0 "SERVING" -- health

# It wrote its state files and nothing else anywhere it could write.
# find fails when other tests remove their files under /tmp while it walks: what it
# could read is what counts, so its status does not.
written=$({ find /tmp /var/tmp /dev/shm "$state" -xdev -newer "$work/before" -user nobody 2>/dev/null || true; } | sort)
for f in $written; do
    case "$f" in
        "$state" | "$state/ready" | "$state/pid" | "$state/cruddurd.sock") ;;
        *) fail "cruddurd wrote $f" ;;
    esac
done

# The signal goes to cruddurd itself; runuser passes on its exit status.
kill -TERM "$pid"
rc=0; wait "$server_pid" || rc=$?
server_pid=
[[ $rc -eq 0 ]] || { fail "cruddurd exited $rc on SIGTERM"; cat "$work/cruddurd.log" >&2; }
[[ ! -e "$state/ready" && ! -e "$state/pid" ]] || fail "ready or pid file left behind"
finish
