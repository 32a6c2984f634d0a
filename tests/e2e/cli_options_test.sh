#!/usr/bin/env bash
# tests/e2e/cli_options_test.sh - how the cruddur CLI reads its command line (getopt_long,
# client/cli/args.c): `--opt=value` as well as `--opt value`, `--` ending the options,
# the global options after the command too, long options by their whole name only. The
# real cruddurd and CLI against the test PostgreSQL; each new form is checked to give
# what the old form gives. Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_options"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"

start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen tcp://127.0.0.1:0 --log-level warn \
    --admin-token-file "$work/token"

# run CODE PATTERN -- ARGS...: cruddur ARGS with no --server of ours in front (the server
# is in ARGS or $CRUDDUR_SERVER); as expect, the output is left in $out.
run() {
    local code=$1 pattern=$2 rc=0
    shift 3
    out=$("$bin/cruddur" "$@" 2>&1) || rc=$?
    if [[ $rc -ne $code ]]; then
        fail "cruddur $* exited $rc, want $code: $out"
    elif ! grep -qE -- "$pattern" <<<"$out"; then
        fail "cruddur $* output lacks /$pattern/: $out"
    else
        ok "cruddur $*"
    fi
}
# same ARGS1 -- ARGS2: both command lines print the same and exit the same.
same() {
    local a=() rc1=0 rc2=0 out1 out2
    while [[ "$1" != -- ]]; do a+=("$1"); shift; done
    shift
    out1=$("$bin/cruddur" "${a[@]}" 2>&1) || rc1=$?
    out2=$("$bin/cruddur" "$@" 2>&1) || rc2=$?
    if [[ $rc1 -ne $rc2 || "$out1" != "$out2" ]]; then
        fail "cruddur ${a[*]} (exit $rc1) and cruddur $* (exit $rc2) differ: $out1 /// $out2"
    else
        ok "cruddur ${a[*]} == cruddur $*"
    fi
}

run 0 "seed .*ok" -- --server "$url" --token-file "$work/token" db setup
# The token file after the command, and after the subcommand.
run 1 "UNAUTHENTICATED" -- --server "$url" db sessions
run 0 "PID" -- db sessions --server "$url" --token-file "$work/token"
run 0 "PID" -- db --token-file "$work/token" sessions --server "$url"
run 0 "PID" -- db sessions --server="$url" --token-file="$work/token"

# Global options after the command, before the subcommand, with = or without.
want=$("$bin/cruddur" --server "$url" --json feed home --limit 2)
grep -q '"handle":"hotwheels"' <<<"$want" || fail "--json feed home: $want"
for form in "feed home --json" "feed --json home" "feed home --limit 2 --json"; do
    # shellcheck disable=SC2086 # the forms are several words on purpose
    got=$("$bin/cruddur" --server "$url" $form --limit 2) || fail "cruddur $form failed"
    [[ "$got" == "$want" ]] || fail "cruddur $form: $got, want $want"
done
same --server "$url" --json feed home --limit 2 -- feed home --server "$url" --json --limit 2
same --server "$url" --json feed home --limit 2 -- feed home --limit=2 --server="$url" --json
same --server "$url" --timeout 5000 feed home --limit 1 -- feed home --limit 1 --timeout=5000 --server "$url"
CRUDDUR_SERVER=$url run 0 '"display_name":"Pop Goes the Weasel"' -- users show hotwheels --json
CRUDDUR_SERVER=tcp://127.0.0.1:1 run 0 "handle: +hotwheels" -- users show hotwheels --server "$url"
run 0 "^cruddur [0-9]+\.[0-9]+\.[0-9]+$" -- feed home --version

# --opt=value for every kind of command option.
same --server "$url" feed home --limit 1 -- --server "$url" feed home --limit=1
same --server "$url" users activities hotwheels --limit 1 -- --server="$url" users activities hotwheels --limit=1
expect 0 "^  Hello=there$" -- activities create --handle=hotwheels --message=Hello=there --ttl=1h
expect 0 "bio: +a=b" -- users update hotwheels --bio=a=b
expect 0 '"bio":""' -- --json users update hotwheels --bio=
expect 0 "database at version 6" -- db status --token-file="$work/token"
expect 0 "seeded 2 users and 3 activities" -- db seed --users=2 --activities=3 --seed=7 --batch=2 --token-file "$work/token"
expect 1 "INVALID_ARGUMENT: limit" -- feed home --limit=-1

# `--` ends the options: what follows is an argument, whatever it looks like.
expect 0 "handle: +hotwheels" -- users show -- hotwheels
expect 1 'NOT_FOUND: no user with handle "--json"' -- users show -- --json
expect 2 "feed home: unknown argument --json" -- feed home -- --json
expect 2 "users show: unknown argument -x" -- users show -x
mkdir -p "$work/fakebin"
printf '#!/bin/sh\necho "psql ran: $*"\n' >"$work/fakebin/psql"
chmod +x "$work/fakebin/psql"
out=$(PATH="$work/fakebin:$PATH" CONNECTION_URL="$(db_url "$db")" "$bin/cruddur" db connect --json -- -c 'select 1' --help 2>&1) ||
    fail "db connect -- ...: $out"
[[ "$out" == "psql ran: -d "*" -c select 1 --help" ]] || fail "db connect -- ...: psql got $out"

# Long options by their whole name only, as before getopt_long (which takes prefixes).
expect 2 "feed home: unknown argument --lim " -- feed home --lim 1
expect 2 "unknown option --jso " -- --jso feed home
expect 2 "users update: unknown argument --bi " -- users update hotwheels --bi x
expect 2 "unknown option --json=1" -- --json=1 feed home
expect 2 "feed home: unknown argument --json=1" -- feed home --json=1
expect 2 "--timeout takes milliseconds" -- feed home --timeout=0
# Help stays where it was, wherever the global options are.
run 0 "^usage: cruddur \[OPTIONS\] feed home" -- feed home --json --help
run 0 "^usage: cruddur \[OPTIONS\] feed home" -- --json feed home --limit=3 -h

stop_cruddurd
finish
