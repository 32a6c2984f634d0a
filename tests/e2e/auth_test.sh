#!/usr/bin/env bash
# tests/e2e/auth_test.sh - the admin token, --require-token (GET /metrics
# included), the production confirmation of destructive calls, and secrets
# kept out of the log.
# Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
printf 'not-the-right-token-at-all\n' >"$work/wrong"
# trust authentication ignores the password: it is here to be masked.
db="postgresql://postgres:Sup3rSecretPw@/cruddur_auth_test?host=$pgdir"

# start [ENV...] -- FLAGS...: cruddurd on a free port, logging everything.
start() { start_cruddurd "$@" --listen tcp://127.0.0.1:0 --log-level debug; }

start -- --db "$db" --admin-token-file "$work/token"
expect 0 "SERVING"              -- health cruddur.v1.DbAdmin
expect 1 "UNAUTHENTICATED: .*needs a token" -- db sessions
expect 1 "PERMISSION_DENIED"    -- --token-file "$work/wrong" db sessions
expect 0 "seed"                 -- --token-file "$work/token" db setup
CRUDDUR_TOKEN=$token expect 0 "PID" -- db sessions
# CRUDDUR_TOKEN_FILE names a file (deploy/dev's dev.env sets it); it wins over the value
# CRUDDUR_TOKEN, and --token-file over both.
CRUDDUR_TOKEN_FILE=$work/token expect 0 "PID" -- db sessions
CRUDDUR_TOKEN_FILE=$work/token CRUDDUR_TOKEN=wrong-token-wrong-token expect 0 "PID" -- db sessions
CRUDDUR_TOKEN_FILE=$work/wrong CRUDDUR_TOKEN=$token expect 1 "PERMISSION_DENIED" -- db sessions
CRUDDUR_TOKEN_FILE=$work/wrong expect 0 "PID" -- --token-file "$work/token" db sessions
CRUDDUR_TOKEN_FILE=$work/missing expect 2 'cannot read a token from .*/missing \(\$CRUDDUR_TOKEN_FILE\)' -- db sessions
expect 0 "This was imported"    -- feed home
stop_cruddurd

# GET /metrics shows what Stats does: with --require-token it needs the token as
# "Authorization: Bearer", as Prometheus sends it. curl reads the header from a
# mode-0600 file, so that the token is never on a command line.
metrics_port=$((20000 + RANDOM % 20000))
metrics_url=http://127.0.0.1:$metrics_port/metrics
printf 'Authorization: Bearer %s\n' "$token" >"$work/bearer"
printf 'Authorization: Bearer %s\n' "${token}x" >"$work/bearer-wrong"
printf 'Authorization: %s\n' "$token" >"$work/bare"
chmod 600 "$work/bearer" "$work/bearer-wrong" "$work/bare"
# scrape WANT_CODE [CURL ARGS...]: GET /metrics, its status line and headers in $scraped.
scrape() {
    local want=$1 code
    shift
    scraped=$(curl -sS -m 5 -D - "$@" "$metrics_url") || { fail "curl $* failed"; return; }
    code=$(head -1 <<<"$scraped" | awk '{ print $2 }')
    [[ "$code" == "$want" ]] || fail "GET /metrics $*: status $code, want $want: $scraped"
}

start -- --db "$db" --admin-token-file "$work/token" --require-token --metrics-listen "http://127.0.0.1:$metrics_port"
expect 1 "UNAUTHENTICATED"      -- feed home
expect 0 "This was imported"    -- --token-file "$work/token" feed home
scrape 401
grep -qi '^WWW-Authenticate: Bearer realm="cruddur"' <<<"$scraped" || fail "401 without a challenge: $scraped"
grep -q 'cruddur_' <<<"$scraped" && fail "a 401 showed metrics: $scraped"
scrape 401 -H @"$work/bearer-wrong"
scrape 401 -H @"$work/bare"
scrape 401 -u admin:not-the-token # Basic is not Bearer
scrape 200 -H @"$work/bearer"
grep -q 'cruddur_requests_total{method="cruddur.v1.Activities/HomeFeed",status="OK"} 1' <<<"$scraped" ||
    fail "metrics with the token lack the feed: $scraped"
stop_cruddurd

# With a token but without --require-token, Stats and /metrics are open, as before.
start -- --db "$db" --admin-token-file "$work/token" --metrics-listen "http://127.0.0.1:$metrics_port"
scrape 200
stop_cruddurd

# Production: no token, no start; destructive calls need the database name.
rc=0; out=$(PROD_CONNECTION_URL=$db "$bin/cruddurd" --env prod 2>&1) || rc=$?
[[ $rc -eq 2 && "$out" == *"needs an admin token"* ]] || fail "prod without token: exit $rc: $out"
start PROD_CONNECTION_URL="$db" CRUDDUR_ADMIN_TOKEN="$token" -- --env prod
export CRUDDUR_TOKEN=$token
expect 1 "FAILED_PRECONDITION: .*confirm the database name" -- db drop
expect 1 "FAILED_PRECONDITION"  -- db drop --confirm cruddur
expect 1 "FAILED_PRECONDITION"  -- db setup
for destructive in schema-load seed rollback kill-sessions "seed --users 1 --activities 1"; do
    # shellcheck disable=SC2086 # "seed --users ..." is several words on purpose
    expect 1 "FAILED_PRECONDITION: .*confirm the database name" -- db $destructive
done
expect 0 "This was imported"    -- feed home
expect 0 "dropped database cruddur_auth_test" -- db drop --confirm cruddur_auth_test
expect 0 "seed"                 -- db setup --confirm cruddur_auth_test
expect 0 "version 5"            -- db rollback --confirm cruddur_auth_test
expect 0 "ended"                -- db kill-sessions --confirm cruddur_auth_test
expect 0 "seeded 1 users"       -- db seed --users 1 --activities 0 --confirm cruddur_auth_test
expect 0 "loaded .*schema.sql"  -- db schema-load --confirm cruddur_auth_test
expect 0 "loaded .*seed.sql"    -- db seed --confirm cruddur_auth_test
expect 0 "This was imported"    -- feed home
unset CRUDDUR_TOKEN
stop_cruddurd

# Secrets stay out of the log; the masked URL is there instead.
grep -q "Sup3rSecretPw" "$work/cruddurd.log" && fail "the database password is in the log"
grep -q "$token" "$work/cruddurd.log" && fail "the admin token is in the log"
grep -q 'postgres:\*\*\*\*@' "$work/cruddurd.log" || fail "no masked URL in the log"

finish
