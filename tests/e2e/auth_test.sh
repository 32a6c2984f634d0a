#!/usr/bin/env bash
# tests/e2e/auth_test.sh - the admin token, --require-token, the production
# confirmation of destructive calls, and secrets kept out of the log.
# Run by ctest.
set -euo pipefail

bin=${CRUDDUR_BIN_DIR:?run through ctest}
pgdir=${CRUDDUR_TEST_PG_DIR:?run through ctest}
work=$(mktemp -d /tmp/cruddur-auth-XXXXXX)
failures=0
server_pid=

cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
printf 'not-the-right-token-at-all\n' >"$work/wrong"
# trust authentication ignores the password: it is here to be masked.
db="postgresql://postgres:Sup3rSecretPw@/cruddur_auth_test?host=$pgdir"

start() {
    rm -f "$work/ready"
    "$@" --listen tcp://127.0.0.1:0 --ready-file "$work/ready" --log-level debug 2>>"$work/cruddurd.log" &
    server_pid=$!
    for _ in $(seq 100); do [[ -s "$work/ready" ]] && break; sleep 0.1; done
    [[ -s "$work/ready" ]] || { cat "$work/cruddurd.log" >&2; echo "cruddurd did not start" >&2; exit 1; }
    url=$(head -1 "$work/ready")
}
stop() {
    kill -TERM "$server_pid"
    local rc=0
    wait "$server_pid" || rc=$?
    server_pid=
    [[ $rc -eq 0 ]] || fail "cruddurd exited $rc"
}
# expect CODE PATTERN -- CLI ARGS...
expect() {
    local code=$1 pattern=$2 rc=0 out
    shift 3
    out=$("$bin/cruddur" --server "$url" "$@" 2>&1) || rc=$?
    [[ $rc -eq $code ]] || { fail "cruddur $* exited $rc, want $code: $out"; return; }
    grep -qE -- "$pattern" <<<"$out" || fail "cruddur $* lacks /$pattern/: $out"
}

start "$bin/cruddurd" --db "$db" --admin-token-file "$work/token"
expect 0 "SERVING"              -- health cruddur.v1.DbAdmin
expect 1 "UNAUTHENTICATED: .*needs a token" -- db sessions
expect 1 "PERMISSION_DENIED"    -- --token-file "$work/wrong" db sessions
expect 0 "seed"                 -- --token-file "$work/token" db setup
CRUDDUR_TOKEN=$token expect 0 "PID" -- db sessions
expect 0 "This was imported"    -- feed home
stop

start "$bin/cruddurd" --db "$db" --admin-token-file "$work/token" --require-token
expect 1 "UNAUTHENTICATED"      -- feed home
expect 0 "This was imported"    -- --token-file "$work/token" feed home
stop

# Production: no token, no start; destructive calls need the database name.
rc=0; out=$(PROD_CONNECTION_URL=$db "$bin/cruddurd" --env prod 2>&1) || rc=$?
[[ $rc -eq 2 && "$out" == *"needs an admin token"* ]] || fail "prod without token: exit $rc: $out"
start env PROD_CONNECTION_URL="$db" CRUDDUR_ADMIN_TOKEN="$token" "$bin/cruddurd" --env prod
export CRUDDUR_TOKEN=$token
expect 1 "FAILED_PRECONDITION: .*confirm the database name" -- db drop
expect 1 "FAILED_PRECONDITION"  -- db drop --confirm cruddur
expect 1 "FAILED_PRECONDITION"  -- db setup
expect 0 "This was imported"    -- feed home
expect 0 "dropped database cruddur_auth_test" -- db drop --confirm cruddur_auth_test
expect 0 "seed"                 -- db setup --confirm cruddur_auth_test
expect 0 "This was imported"    -- feed home
unset CRUDDUR_TOKEN
stop

# Secrets stay out of the log; the masked URL is there instead.
grep -q "Sup3rSecretPw" "$work/cruddurd.log" && fail "the database password is in the log"
grep -q "$token" "$work/cruddurd.log" && fail "the admin token is in the log"
grep -q 'postgres:\*\*\*\*@' "$work/cruddurd.log" || fail "no masked URL in the log"

if [[ $failures -gt 0 ]]; then
    echo "auth_test: $failures failed" >&2
    exit 1
fi
echo "auth_test: passed"
