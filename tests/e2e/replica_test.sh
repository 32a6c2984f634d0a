#!/usr/bin/env bash
# tests/e2e/replica_test.sh - a read replica: with --db-replica, the home feed
# is read from the replica while writes go to the primary, and health covers
# both. Two databases of the test cluster play primary and replica (their
# contents differ on purpose, which a real replica's would not, so that the
# test can tell where each read came from). Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
pids=()

# Two servers run at once: cleanup ends both.
on_exit() {
    for p in "${pids[@]}"; do kill_quietly "$p"; done
}
psql_q() { psql -X -qtA "$(db_url "$1")" -c "$2"; }

# start NAME ARGS...: a cruddurd that keeps running; its URL in $url_NAME.
start() {
    local name=$1
    shift
    start_cruddurd -u CONNECTION_URL -u REPLICA_CONNECTION_URL -- --listen tcp://127.0.0.1:0 \
        --log-level warn "$@"
    pids+=("$server_pid")
    server_pid=
    printf -v "url_$name" '%s' "$url"
}

# The replica's own server, only to set its database up differently.
start replica_admin --db "$(db_url cruddur_replica_r)"
"$bin/cruddur" --server "$url_replica_admin" db setup >/dev/null || fail "replica setup"
"$bin/cruddur" --server "$url_replica_admin" activities create --handle hotwheels \
    --message "written on the replica" >/dev/null || fail "replica create"

start main --db "$(db_url cruddur_replica_p)" --db-replica "$(db_url cruddur_replica_r)"
cli() { "$bin/cruddur" --server "$url_main" "$@"; }
cli db setup >/dev/null || fail "primary setup"
out=$(cli activities create --handle hotwheels --message "written on the primary") || fail "create: $out"

out=$(cli feed home) || fail "feed: $out"
grep -q "written on the replica" <<<"$out" || fail "the feed did not come from the replica: $out"
grep -q "written on the primary" <<<"$out" && fail "the feed came from the primary: $out"
[[ $(psql_q cruddur_replica_p "SELECT count(*) FROM activities WHERE message = 'written on the primary'") == 1 ]] ||
    fail "the write did not reach the primary"
[[ $(psql_q cruddur_replica_r "SELECT count(*) FROM activities WHERE message = 'written on the primary'") == 0 ]] ||
    fail "the write reached the replica"
out=$(cli users show hotwheels) || fail "users show: $out"
[[ "$(cli health)" == SERVING ]] || fail "health with both up"

# The replica gone: the feed fails, health says so, the primary still works.
"$bin/cruddur" --server "$url_replica_admin" db drop >/dev/null || fail "drop replica"
rc=0; out=$(cli feed home 2>&1) || rc=$?
[[ $rc -eq 1 && "$out" == *UNAVAILABLE* ]] || fail "feed without replica: exit $rc: $out"
rc=0; out=$(cli health 2>&1) || rc=$?
[[ $rc -eq 1 && "$out" == NOT_SERVING* ]] || fail "health without replica: exit $rc: $out"
cli users show hotwheels >/dev/null || fail "the primary stopped serving"

finish
