#!/usr/bin/env bash
# tests/e2e/cli_activities_test.sh - `cruddur activities create|reply|show`
# and `cruddur feed home` end to end: the real cruddurd and CLI against the
# test PostgreSQL.
#
# Checks human and --json output and exit codes: 0 on success, 1 when the
# server refuses (its STATUS: message on stderr), 2 for a usage error; that
# an idempotency key makes a retried create a replay; and that a script can
# page through the whole feed by its "next cursor:" line, seeing every
# activity once. Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_activities"
dburl=$(db_url "$db")

sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }

# The "uuid" of the JSON response's activity (the first uuid in it).
json_uuid() { grep -oE '"uuid":"[0-9a-f-]{36}"' <<<"$1" | head -1 | cut -d'"' -f4; }

start_cruddurd CONNECTION_URL="$dburl" -- --listen "tcp://127.0.0.1:0" --log-level warn

expect 0 "seed .*ok" -- db setup
# To the latest migration (Setup may have done it already); by hand while
# the server has no Migrate.
if ! "$bin/cruddur" --server "$url" db migrate >/dev/null 2>&1; then
    for f in "$src"/sql/migrations/*.up.sql; do
        psql -X -q -1 -v ON_ERROR_STOP=1 "$dburl" -f "$f"
    done
fi

# create
expect 0 "Pop Goes the Weasel  @hotwheels" -- activities create --handle hotwheels --message "Hello, feed"
expect 0 "^  Hello, feed$" -- activities create --handle hotwheels --message "Hello, feed"
expect 0 '"handle":"getFullOrDieTryin"' -- --json activities create --cognito-id MOCK2 \
    --message "By cognito id" --ttl 1h
[[ $(sql "SELECT count(*) FROM activities WHERE message = 'By cognito id'
          AND expires_at - created_at = interval '1 hour'") == 1 ]] || fail "ttl 1h not stored"
expect 0 '"replayed":false' -- --json activities create --handle hotwheels --message "Once" \
    --idempotency-key k-1
parent=$(json_uuid "$out")
expect 0 '"replayed":true' -- --json activities create --handle hotwheels --message "Once" \
    --idempotency-key k-1
[[ $(json_uuid "$out") == "$parent" ]] || fail "replay returned another activity: $out"
expect 0 "replayed: this idempotency key was used before" -- activities create \
    --handle hotwheels --message "Once" --idempotency-key k-1
[[ $(sql "SELECT count(*) FROM activities WHERE message = 'Once'") == 1 ]] ||
    fail "a replayed create inserted a row"
expect 1 "FAILED_PRECONDITION: idempotency key reused with a different message" -- \
    activities create --handle hotwheels --message "Twice" --idempotency-key k-1
expect 1 "INVALID_ARGUMENT: message is required" -- activities create --handle hotwheels --message ""
expect 1 "INVALID_ARGUMENT: message must be 1 to 280 characters, not 281" -- \
    activities create --handle hotwheels --message "$(printf 'x%.0s' $(seq 281))"
expect 1 "INVALID_ARGUMENT: ttl \"2d\" is not one of 30d, 7d, 3d, 1d, 12h, 3h or 1h" -- \
    activities create --handle hotwheels --message hi --ttl 2d
expect 1 'NOT_FOUND: author: no user with handle "nobody"' -- \
    activities create --handle nobody --message hi
expect 1 "NOT_FOUND: author: no user with cognito_user_id" -- \
    activities create --cognito-id nope --message hi
expect 2 "exactly one of --handle or --cognito-id" -- \
    activities create --handle hotwheels --cognito-id MOCK --message hi
expect 2 "exactly one of --handle or --cognito-id" -- activities create --message hi
expect 2 "--message is required" -- activities create --handle hotwheels
expect 2 "--message needs a value" -- activities create --handle hotwheels --message
expect 2 "unknown argument --nope" -- activities create --nope x
expect 2 "activities needs a subcommand" -- activities
expect 2 "activities needs a subcommand" -- activities delete

# reply and show
expect 0 "in reply to $parent" -- activities reply "$parent" --cognito-id MOCK2 --message "First reply"
expect 0 '"reply_to_activity_uuid":"'"$parent"'"' -- --json activities reply "$parent" \
    --handle hotwheels --message "Second reply"
expect 0 "replies 2 " -- activities show "$parent"
grep -qE "^replies: 2$" <<<"$out" || fail "show lacks the replies line: $out"
# Oldest first, indented under the activity.
[[ $(grep -E "^      (First|Second) reply$" <<<"$out" | sed 's/^ *//' | paste -sd, -) == \
    "First reply,Second reply" ]] || fail "replies not oldest first: $out"
expect 0 '"replies_count":"?2' -- --json activities show "$parent"
expect 1 "NOT_FOUND: no activity 00000000-0000-4000-8000-000000000000 to reply to" -- \
    activities reply 00000000-0000-4000-8000-000000000000 --handle hotwheels --message hi
expect 1 'INVALID_ARGUMENT: reply_to_activity_uuid "nope" is not a UUID' -- \
    activities reply nope --handle hotwheels --message hi
expect 1 "INVALID_ARGUMENT: message must be 1 to 1024 characters" -- \
    activities reply "$parent" --handle hotwheels --message "$(printf 'y%.0s' $(seq 1025))"
expect 2 "PARENT_UUID is required" -- activities reply --handle hotwheels --message hi
expect 2 "unknown argument" -- activities reply "$parent" extra --handle hotwheels --message hi
expect 1 "NOT_FOUND: no activity 00000000-0000-4000-8000-000000000000" -- \
    activities show 00000000-0000-4000-8000-000000000000
expect 1 'INVALID_ARGUMENT: uuid "nope" is not a UUID' -- activities show nope
expect 2 "activities show takes one UUID" -- activities show

# feed home: replies stay out; paging by the "next cursor:" line sees every
# top-level activity once, newest first.
sql "INSERT INTO activities (user_uuid, message, created_at, expires_at)
     SELECT u.uuid, 'paged ' || g, now() - g * interval '1 minute', now() + interval '1 day'
     FROM users u, generate_series(1, 25) g WHERE u.handle = 'hotwheels'"
want=$(sql "SELECT count(*) FROM activities WHERE reply_to_activity_uuid IS NULL
            AND (expires_at IS NULL OR expires_at > now())")
expect 0 "next cursor: [A-Za-z0-9_-]+$" -- feed home --limit 4 --strong
cursor=
seen="$work/seen"
: >"$seen"
pages=0
while :; do
    args=(feed home --limit 7 --strong) # just written by psql: not the page cache
    [[ -n "$cursor" ]] && args+=(--cursor "$cursor")
    expect 0 "" -- "${args[@]}"
    grep -oE "uuid [0-9a-f-]{36}$" <<<"$out" | cut -d' ' -f2 >>"$seen"
    ! grep -q "reply" <<<"$out" || fail "a reply in the feed: $out"
    pages=$((pages + 1))
    cursor=$(sed -n 's/^next cursor: //p' <<<"$out")
    [[ -n "$cursor" && $pages -lt 100 ]] || break
done
[[ $(wc -l <"$seen") -eq $want ]] || fail "paged $(wc -l <"$seen") rows, want $want"
[[ $(sort -u "$seen" | wc -l) -eq $want ]] || fail "duplicates across pages"
[[ $pages -eq $(((want + 6) / 7)) ]] || fail "$pages pages for $want rows"
expect 0 '"next_cursor":"[A-Za-z0-9_-]+"' -- --json feed home --limit 1
expect 0 '"next_cursor":""' -- --json feed home --limit 100
expect 1 "INVALID_ARGUMENT: cursor is not one this server returned" -- feed home --cursor 'garbage!'
expect 1 "INVALID_ARGUMENT: limit must be from 1 to 100" -- feed home --limit 101
expect 2 "unknown argument" -- feed home --page 2

finish
