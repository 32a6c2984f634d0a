#!/usr/bin/env bash
# tests/e2e/cli_users_test.sh - `cruddur users create|show|short|update|activities`
# end to end: the real cruddurd and CLI against the test PostgreSQL.
#
# Checks human and --json output and exit codes: 0 on success, 1 when the
# server refuses (its STATUS: message on stderr), 2 for a usage error; and
# that a script can page through `users activities` by its "next cursor:"
# line. Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_users"
dburl=$(db_url "$db")

sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }

start_cruddurd CONNECTION_URL="$dburl" -- --listen "tcp://127.0.0.1:0" --log-level warn

expect 0 "seed .*ok" -- db setup

# create: idempotent by cognito id, handles unique ignoring case.
create=(users create --handle alice --display-name "Alice Liddell" --email alice@example.com --cognito-id cog-alice)
expect 0 "^created user @alice"               -- "${create[@]}"
expect 0 "^existed: user @alice"              -- "${create[@]}"
expect 0 '"existed":true'                     -- --json "${create[@]}"
expect 0 '"handle":"alice"'                   -- --json "${create[@]}"
[[ $(sql "SELECT count(*) FROM users WHERE cognito_user_id = 'cog-alice'") == 1 ]] ||
    fail "cog-alice is not exactly one user"
expect 1 'ALREADY_EXISTS: handle "ALICE" is taken' -- users create --handle ALICE \
    --display-name Other --email o@example.com --cognito-id cog-other
expect 1 "INVALID_ARGUMENT: email"            -- users create --handle bob \
    --display-name Bob --email "not an email" --cognito-id cog-bob
expect 1 "INVALID_ARGUMENT: handle must be"   -- users create --handle "bo b" \
    --display-name Bob --email bob@example.com --cognito-id cog-bob
expect 2 "users create needs"                 -- users create --handle bob --display-name Bob
expect 2 "--email takes a value"              -- users create --handle bob --email
expect 2 "unknown argument --nope"            -- users create --nope x

# show and short.
expect 0 "handle: +alice"                     -- users show alice
expect 0 "display_name: +Alice Liddell"       -- users show ALICE
expect 0 '"display_name":"Pop Goes the Weasel"' -- --json users show hotwheels
expect 1 'NOT_FOUND: no user with handle "nobody"' -- users show nobody
expect 2 "users show takes one HANDLE"        -- users show
expect 0 "^[0-9a-f-]{36}  @alice  Alice Liddell$" -- users short alice
expect 1 "NOT_FOUND"                          -- users short nobody

# update: absent flags leave fields alone.
expect 0 "bio: +Curiouser and curiouser"      -- users update alice --bio "Curiouser and curiouser"
expect 0 "display_name: +Alice Liddell"       -- users show alice
expect 0 "display_name: +Alice L\\."          -- users update alice --display-name "Alice L."
expect 0 "bio: +Curiouser and curiouser"      -- users show alice
expect 0 '"bio":""'                           -- --json users update alice --bio ""
expect 1 "INVALID_ARGUMENT: bio must be 0 to 500 characters, not 501" -- \
    users update alice --bio "$(printf 'b%.0s' $(seq 501))"
expect 1 "INVALID_ARGUMENT: display_name is required" -- users update alice --display-name ""
expect 1 'NOT_FOUND: no user with handle "nobody"' -- users update nobody --bio x
expect 2 "needs --display-name N or --bio B"  -- users update alice
expect 2 "takes a HANDLE"                     -- users update --bio x

# activities: 45 live ones and 5 expired; a script pages by the last line.
sql "INSERT INTO activities (user_uuid, message, created_at, expires_at)
     SELECT u.uuid, 'post ' || g, now() - g * interval '1 minute',
            CASE WHEN g > 45 THEN now() - interval '1 hour' ELSE now() + interval '1 day' END
     FROM users u, generate_series(1, 50) g WHERE u.handle = 'alice'" >/dev/null
expect 0 "Alice L\\.  @alice  45 activities"  -- users activities alice --limit 5
expect 0 "^next cursor: [A-Za-z0-9_-]+$"      -- users activities alice --limit 5
cursor= pages=0 seen=0
while :; do
    args=(users activities alice --limit 20)
    [[ -n "$cursor" ]] && args+=(--cursor "$cursor")
    out=$("$bin/cruddur" --server "$url" "${args[@]}") || { fail "activities page $pages failed"; break; }
    pages=$((pages + 1))
    seen=$((seen + $(grep -c "^  replies " <<<"$out" || true)))
    cursor=$(sed -n 's/^next cursor: //p' <<<"$out")
    [[ -z "$cursor" ]] && break
    [[ $pages -gt 10 ]] && { fail "activities never end"; break; }
done
[[ $pages -eq 3 && $seen -eq 45 ]] || fail "paged $pages pages, $seen activities; want 3 and 45"
grep -q "(no more activities)" <<<"$out" || fail "last page does not say so: $out"
expect 0 '"activities_count":"?45'            -- --json users activities alice --limit 50
expect 0 '"next_cursor":""'                   -- --json users activities alice --limit 50
expect 1 "INVALID_ARGUMENT: limit must be from 1 to 100" -- users activities alice --limit 101
expect 1 "INVALID_ARGUMENT: cursor"           -- users activities alice --cursor bogus
expect 1 "NOT_FOUND"                          -- users activities nobody
expect 2 "--limit takes a number"             -- users activities alice --limit ten
expect 2 "users needs a subcommand"           -- users frobnicate

stop_cruddurd

finish
