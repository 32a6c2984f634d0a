#!/usr/bin/env bash
# tests/e2e/cli_db_test.sh - `cruddur db migrate|rollback|status|kill-sessions`
# end to end: the real cruddurd and CLI against the test PostgreSQL; and that
# `cruddur db connect` puts no secret on psql's command line.
#
# Checks human and --json output and exit codes: 0 on success, 1 when the
# server refuses (its STATUS: message on stderr), 2 for a usage error.
# Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_db"
dburl=$(db_url "$db")
psql_pid=

# The psql session that kill-sessions ends, too.
on_exit() { kill_quietly "$psql_pid"; }

start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 --log-level warn

expect 0 "migrate +ok .*migrated to version 6 \(6 applied\)" -- db setup
expect 0 "database at version 6"                       -- db status
expect 0 "0001 +applied +[0-9]{4}-.* users_bio"        -- db status
expect 0 "0005 +applied +[0-9]{4}-.* activities_message_length" -- db status
expect 0 '"version":6,"migrations":\[\{"version":1,"name":"users_bio","applied":true' -- --json db status

# Rollback: the latest first.
expect 0 "down 0006 feed_notify_triggers"              -- db rollback
expect 0 "0006 +pending +- +feed_notify_triggers"      -- db status
expect 0 "database at version 5"                       -- db status
expect 1 "INVALID_ARGUMENT: cannot roll back 9 migrations: 5 are applied" -- db rollback --steps 9
expect 1 "INVALID_ARGUMENT: steps must be 1 or more"   -- db rollback --steps -3
expect 2 "--steps takes a number"                      -- db rollback --steps two
expect 2 "unknown argument --step"                     -- db rollback --step 2
expect 0 "database at version 5"                       -- db status
expect 0 "database at version 2 \(3 rolled back\)"     -- db rollback --steps 3
expect 0 '"rolled_back":\[\{"version":2,"name":"users_constraints","direction":"down"' -- --json db rollback

# Migrate: to a version, to the latest, and nothing left to do.
expect 1 "INVALID_ARGUMENT: unknown migration version 7" -- db migrate --to 7
expect 0 "database at version 3 \(2 applied\)"        -- db migrate --to 3
expect 0 "0003 +applied .*activities_query_indexes"   -- db status
expect 1 "FAILED_PRECONDITION: to_version 1 is below the current version: going down is Rollback's \(cruddur db rollback --steps 2\)" -- db migrate --to 1
expect 2 "--to takes a number"                         -- db migrate --to
expect 0 "up +0004 activities_idempotency_key"         -- db migrate --to 4
expect 0 "up +0005 activities_message_length"          -- db migrate --to 5
expect 0 "up +0006 feed_notify_triggers"               -- db migrate
expect 0 "database at version 6"                       -- db status
expect 0 "database at version 6: nothing to migrate"   -- db migrate
expect 0 '"applied":\[\],"version":6'                  -- --json db migrate

# kill-sessions ends someone else's session; the server's pool recovers.
psql -X -q "$dburl" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
psql_pid=$!
for _ in $(seq 50); do
    n=$(psql -X -tA "$dburl" -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")
    [[ "$n" == 1 ]] && break
    sleep 0.1
done
expect 0 "ended [1-9][0-9]* other sessions? on $db"    -- db kill-sessions
rc=0; wait "$psql_pid" || rc=$?
psql_pid=
[[ $rc -ne 0 ]] || fail "the psql session survived kill-sessions"
expect 0 '"database":"'"$db"'","sessions_terminated":[0-9]+' -- --json db kill-sessions
expect 0 "database at version 6"                       -- db status
expect 2 "db status takes no arguments"                -- db status now
expect 2 "db kill-sessions: unknown argument all"         -- db kill-sessions all

# A database that does not exist: the call fails, exit 1.
expect 0 "dropped database $db"                        -- db drop
expect 1 "UNAVAILABLE"                                 -- db status
expect 1 "UNAVAILABLE"                                 -- db migrate

# db connect never puts a secret on psql's command line (readable by every local user):
# the password goes in PGPASSWORD, and an sslpassword, which libpq reads from no
# variable, is refused before psql runs (the psql here would print its argv).
mkdir -p "$work/fakebin"
printf '#!/bin/sh\necho "psql ran: $*"\n' >"$work/fakebin/psql"
chmod +x "$work/fakebin/psql"
rc=0
out=$(PATH="$work/fakebin:$PATH" CONNECTION_URL="$dburl&sslpassword=KeyPassphrase9" \
    "$bin/cruddur" db connect -- -c 'select 1' 2>&1) || rc=$?
echo "db connect with an sslpassword: exit $rc: $out"
[[ $rc -eq 2 ]] || fail "db connect with an sslpassword exited $rc, want 2: $out"
[[ "$out" == *KeyPassphrase9* ]] && fail "db connect put the sslpassword where it can be read: $out"
[[ "$out" == *"sslpassword"* ]] || fail "db connect does not say why it refused: $out"

stop_cruddurd

finish
