#!/usr/bin/env bash
# tests/e2e/cli_test.sh TRANSPORT - the real cruddurd and the real cruddur CLI,
# end to end, over TRANSPORT (tcp or ipc), against the test PostgreSQL.
#
# Starts cruddurd with its database missing, then drives every CLI command a
# user of issue 2 has, and checks output and exit codes, including failures:
# a failed call prints STATUS: message on stderr and exits 1, a usage error
# exits 2. Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

transport=${1:?usage: cli_test.sh tcp|ipc}
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
test_name="cli_test $transport"
db="cruddur_e2e_${transport}"

case "$transport" in
    tcp) listen="tcp://127.0.0.1:0" ;;
    ipc) listen="ipc://$work/cruddurd.sock" ;;
    *) echo "unknown transport $transport" >&2; exit 2 ;;
esac

# One version, CMake's, from all three programs.
want_version=${CRUDDUR_PROJECT_VERSION:?run through ctest}
for prog in cruddurd cruddur cruddur-bench; do
    rc=0; got=$("$bin/$prog" --version) || rc=$?
    [[ $rc -eq 0 && "$got" == "$prog $want_version" ]] ||
        fail "$prog --version: exit $rc, '$got', want '$prog $want_version'"
done

start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen "$listen" --log-level info
echo "cruddurd listens on $url"

expect 1 "NOT_SERVING"                 -- health
expect 0 "SERVING"                     -- health cruddur.v1.DbAdmin
expect 1 "NOT_FOUND: unknown service"  -- health cruddur.v1.Nope
expect 1 "UNAVAILABLE: .*does not exist" -- feed home
expect 0 "seed .*ok"                   -- db setup
expect 0 "SERVING"                     -- health
expect 0 "This was imported as seed data" -- feed home
expect 0 "Pop Goes the Weasel  @hotwheels" -- feed home --limit 1
expect 0 '"handle":"hotwheels"'        -- --json feed home
expect 0 '"display_name":"Pop Goes the Weasel"' -- --json users show hotwheels
expect 0 "handle: +hotwheels"          -- users show hotwheels
expect 1 "NOT_FOUND"                   -- users show nobody
expect 1 "INVALID_ARGUMENT: limit"     -- feed home --limit 101
expect 1 "INVALID_ARGUMENT: limit"     -- feed home --limit -1
expect 2 "takes a number"              -- feed home --limit ten
expect 0 "cruddur.v1.Activities"       -- methods
expect 0 "HomeFeed"                    -- methods
expect 0 "cruddurd"                    -- db sessions
expect 1 "ALREADY_EXISTS"              -- db create
expect 0 "loaded .*schema.sql"         -- db schema-load
expect 0 "loaded .*seed.sql"           -- db seed
expect 0 "dropped database $db"        -- db drop
expect 1 "NOT_FOUND"                   -- db drop
expect 0 "did not exist"               -- db drop --if-exists
expect 1 "UNAVAILABLE"                 -- feed home
expect 0 "created database $db"        -- db create
expect 0 "seed .*ok"                   -- db setup
expect 2 "unknown command"             -- frobnicate
expect 2 "db needs a subcommand"       -- db

# A server that is not there: a clear error, exit 1, at once.
out=$("$bin/cruddur" --server tcp://127.0.0.1:1 health 2>&1) && fail "health on a closed port succeeded"
grep -q "UNAVAILABLE" <<<"$out" || fail "closed port: $out"

# One log line per request, with method, status and microseconds.
grep -qE "method=cruddur.v1.Activities/HomeFeed status=OK us=[0-9]+" "$work/cruddurd.log" ||
    fail "no request log line"

# SIGTERM: a clean exit 0.
stop_cruddurd
[[ ! -e "$work/ready" ]] || fail "ready file left behind"

finish
