#!/usr/bin/env bash
# tests/e2e/cli_json_test.sh - cruddur's JSON against a decoder nobody here wrote
# (python3-protobuf's json_format, tests/support/json_roundtrip.py), on a real
# cruddurd over tcp and tls+tcp, with an admin token.
#
#   1. Every CLI command with --json: its output parses with json_format.Parse into
#      the response type, is canonical (proto names, every default, int64 as
#      strings, enums by name), and what json_format.MessageToJson prints for that
#      message reads back through cruddur_json_parse (tests/support/json_echo) to
#      the same message.
#   2. `cruddur call` on every method the server lists, with requests that
#      json_format.MessageToJson wrote: the replies checked as in 1, a reply equal
#      to the --json command's for the same request; failures (the server's
#      statuses, bad JSON with its field path, an unknown method) with their
#      messages and exit codes; every global option (--server and
#      $CRUDDUR_SERVER, --prod, --token-file, --timeout, TLS) honoured.
# Run by ctest (CRUDDUR_BIN_DIR, CRUDDUR_TEST_PG_DIR, CRUDDUR_PYTHON3,
# CRUDDUR_PROTO_DESC, CRUDDUR_JSON_ECHO).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
py=${CRUDDUR_PYTHON3:?run through ctest}
desc=${CRUDDUR_PROTO_DESC:?run through ctest}
json_echo=${CRUDDUR_JSON_ECHO:?run through ctest}
roundtrip=$src/tests/support/json_roundtrip.py
db=cruddur_json_e2e
manifest=$work/manifest
mkdir "$work/req"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"
start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen tcp://127.0.0.1:0 \
    --admin-token-file "$work/token" --log-level warn

# j NAME TYPE ARGS...: `cruddur --json ARGS` exits 0; its output is checked as a TYPE.
j() {
    local name=$1 type=$2 rc=0
    shift 2
    "$bin/cruddur" --server "$url" --token-file "$work/token" --json "$@" \
        >"$work/$name.json" 2>"$work/$name.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "cruddur --json $* exited $rc: $(cat "$work/$name.err")"
    echo "out cruddur.v1.$type $work/$name.json" >>"$manifest"
}

j drop_missing DropResponse db drop --if-exists
j create CreateResponse db create
j schema_load SchemaLoadResponse db schema-load
j seed SeedResponse db seed
j setup SetupResponse db setup
j migrate_none MigrateResponse db migrate
j rollback RollbackResponse db rollback --steps 2
j migrate MigrateResponse db migrate
j status MigrationStatusResponse db status
j sessions SessionsResponse db sessions
j kill KillSessionsResponse db kill-sessions
j seed_bulk SeedBulkResponse db seed --users 5 --activities 9 --seed 7
j feed HomeFeedResponse feed home
j feed_page HomeFeedResponse feed home --limit 1
j created CreateActivityResponse activities create --handle hotwheels --message 'caf\u00e9 "quoted" \ 中文 😀' --ttl 1d
parent=$(grep -oE '"uuid":"[0-9a-f-]{36}"' "$work/created.json" | head -1 | cut -d'"' -f4)
[[ -n "$parent" ]] || fail "no uuid in activities create --json: $(cat "$work/created.json")"
j replied CreateReplyResponse activities reply "$parent" --handle hotwheels --message "me too"
j show ShowActivityResponse activities show "$parent"
j user_create CreateUserResponse users create --handle alice --display-name 'Alice Ü' \
    --email a@example.com --cognito-id cog-alice
j user_show GetUserResponse users show hotwheels
j user_short ShortUserResponse users short hotwheels
j user_update UpdateProfileResponse users update alice --bio ""
j user_activities UserActivitiesResponse users activities hotwheels --limit 2
j health HealthCheckResponse health
j methods ListMethodsResponse methods
j stats GetStatsResponse stats
# int64 as strings (the change README notes), and the field names as before.
grep -q '"replies_count":"1"' "$work/show.json" || fail "show --json: replies_count: $(cat "$work/show.json")"
grep -q '"users_created":"5","activities_created":"9"' "$work/seed_bulk.json" ||
    fail "seed --json: $(cat "$work/seed_bulk.json")"

# c NAME METHOD TYPE [cruddur OPTIONS...]: `cruddur call METHOD -` with the request
# $work/req/NAME.json on stdin exits 0; its reply is checked as a TYPE.
called=()
c() {
    local name=$1 method=$2 type=$3 rc=0
    shift 3
    "$bin/cruddur" --server "$url" --token-file "$work/token" "$@" call "cruddur.v1.$method" - \
        <"$work/req/$name.json" >"$work/call_$name.json" 2>"$work/call_$name.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "cruddur call $method $(cat "$work/req/$name.json") exited $rc: $(cat "$work/call_$name.err")"
    [[ ! -s "$work/call_$name.err" ]] || fail "call $method: stderr not empty: $(cat "$work/call_$name.err")"
    echo "out cruddur.v1.$type $work/call_$name.json ${same_as:-}" >>"$manifest"
    called+=("cruddur.v1.$method")
    same_as=
}
# requests [FILE]: the "NAME TYPE JSON" lines of FILE (default stdin), written by
# json_format.MessageToJson into $work/req/NAME.json and checked as inputs too.
requests() {
    cat >"$work/requests"
    "$py" "$roundtrip" "$desc" requests "$work/requests" "$work/req" ||
        die "json_format could not write the requests"
    while read -r name type _; do
        [[ -n "$name" ]] && echo "in cruddur.v1.$type $work/req/$name.json" >>"$manifest"
    done <"$work/requests"
}

requests <<'EOF'
check HealthCheckRequest {"service": "cruddur.v1.Activities"}
list ListMethodsRequest {}
stats GetStatsRequest {}
reflect GetFileDescriptorSetRequest {}
feed HomeFeedRequest {"limit": 2}
create CreateActivityRequest {"author": {"handle": "hotwheels"}, "message": "from json_format ☃", "ttl": "1h", "idempotency_key": "k-1"}
user_create CreateUserRequest {"display_name": "Bob", "handle": "bob", "email": "b@example.com", "cognito_user_id": "cog-bob"}
user_get GetUserRequest {"user": {"handle": "hotwheels"}}
user_short ShortUserRequest {"user": {"handle": "hotwheels"}}
user_update UpdateProfileRequest {"user": {"handle": "bob"}, "bio": {"value": "Bob's bio"}}
user_activities UserActivitiesRequest {"user": {"handle": "hotwheels"}, "limit": 1}
sessions SessionsRequest {}
mstatus MigrationStatusRequest {}
rollback RollbackRequest {"steps": 1}
migrate MigrateRequest {}
kill KillSessionsRequest {}
seed_bulk SeedBulkRequest {"users": 3, "activities": 4, "random_seed": "18446744073709551615"}
drop DropRequest {"if_exists": true}
dbcreate CreateRequest {}
schema SchemaLoadRequest {}
seed SeedRequest {}
setup SetupRequest {}
EOF
c check Health/Check HealthCheckResponse
c list Health/ListMethods ListMethodsResponse
c stats Stats/GetStats GetStatsResponse
c reflect Reflection/GetFileDescriptorSet GetFileDescriptorSetResponse
c feed Activities/HomeFeed HomeFeedResponse
c create Activities/CreateActivity CreateActivityResponse
uuid=$(grep -oE '"uuid": "[0-9a-f-]{36}"' "$work/call_create.json" | head -1 | cut -d'"' -f4)
requests <<EOF
reply CreateReplyRequest {"reply_to_activity_uuid": "$uuid", "author": {"handle": "hotwheels"}, "message": "reply"}
show ShowActivityRequest {"uuid": "$uuid"}
EOF
c reply Activities/CreateReply CreateReplyResponse
j show_again ShowActivityResponse activities show "$uuid"
same_as=$work/show_again.json c show Activities/ShowActivity ShowActivityResponse
c user_create Users/CreateUser CreateUserResponse
j user_show_again GetUserResponse users show hotwheels
same_as=$work/user_show_again.json c user_get Users/GetUser GetUserResponse
c user_short Users/ShortUser ShortUserResponse
c user_update Users/UpdateProfile UpdateProfileResponse
c user_activities Users/UserActivities UserActivitiesResponse
c sessions DbAdmin/Sessions SessionsResponse
c mstatus DbAdmin/MigrationStatus MigrationStatusResponse
c rollback DbAdmin/Rollback RollbackResponse
c migrate DbAdmin/Migrate MigrateResponse
c kill DbAdmin/KillSessions KillSessionsResponse
c seed_bulk DbAdmin/SeedBulk SeedBulkResponse
c drop DbAdmin/Drop DropResponse
c dbcreate DbAdmin/Create CreateResponse
c schema DbAdmin/SchemaLoad SchemaLoadResponse
c seed DbAdmin/Seed SeedResponse
c setup DbAdmin/Setup SetupResponse
grep -q '"created_at_us": "[0-9]\+"' "$work/call_create.json" ||
    fail "call CreateActivity: int64 not a string: $(cat "$work/call_create.json")"
grep -q '"bio": "Bob'"'"'s bio"' "$work/call_user_update.json" ||
    fail "call UpdateProfile: $(cat "$work/call_user_update.json")"

# Every method the server lists was called.
"$bin/cruddur" --server "$url" methods | awk '/^cruddur/ { s = $1 } /^  / { print s "/" $1 }' |
    sort >"$work/listed"
printf '%s\n' "${called[@]}" | sort -u >"$work/called"
[[ -s "$work/listed" ]] || fail "cruddur methods listed nothing"
missing=$(comm -23 "$work/listed" "$work/called")
[[ -z "$missing" ]] || fail "cruddur call did not reach: $missing"

# Failures: the server's status on stderr, exit 1; a request that is not JSON for
# the method names its field, exit 2, nothing sent; an unknown method, exit 2.
expect 1 "^cruddur: call cruddur.v1.Users/GetUser: NOT_FOUND: " -- call cruddur.v1.Users/GetUser '{"user":{"handle":"nobody"}}'
expect 1 "call cruddur.v1.Activities/HomeFeed: INVALID_ARGUMENT: limit" -- call cruddur.v1.Activities/HomeFeed '{"limit":101}'
expect 1 "call cruddur.v1.DbAdmin/Sessions: UNAUTHENTICATED: .*needs a token" -- call cruddur.v1.DbAdmin/Sessions '{}'
printf 'not-the-token\n' >"$work/wrong"
expect 1 "PERMISSION_DENIED" -- --token-file "$work/wrong" call cruddur.v1.DbAdmin/Sessions '{}'
expect 2 "INVALID_ARGUMENT: request: author.handle: expected a string, got number" -- \
    call cruddur.v1.Activities/CreateActivity '{"author":{"handle":5},"message":"m"}'
expect 2 "request: limit: 2147483648 is out of range for int32" -- call cruddur.v1.Activities/HomeFeed '{"limit":2147483648}'
expect 2 'request: frobs: unknown field \(cruddur.v1.HomeFeedRequest has no field "frobs"\)' -- \
    call cruddur.v1.Activities/HomeFeed '{"frobs":1}'
expect 2 "request: expected a JSON object \(cruddur.v1.HomeFeedRequest\), got array" -- call cruddur.v1.Activities/HomeFeed '[]'
expect 2 "request: not JSON: " -- call cruddur.v1.Activities/HomeFeed '{"limit":'
expect 2 "request: limit: key given twice" -- call cruddur.v1.Activities/HomeFeed '{"limit":1,"limit":2}'
expect 2 "request: cursor: invalid UTF-8 in a string" -- call cruddur.v1.Activities/HomeFeed $'{"cursor":"\xff"}'
expect 2 'unknown method "cruddur.v1.Nope/Nope"' -- call cruddur.v1.Nope/Nope '{}'
expect 2 "call takes METHOD" -- call
# grpcurl's spelling of the name, a request from stdin with no argument.
expect 0 '"status": "SERVING"' -- call cruddur.v1.Health.Check '{}'
out=$("$bin/cruddur" --server "$url" call cruddur.v1.Users/ShortUser <<<'{"user":{"handle":"hotwheels"}}' 2>&1) ||
    fail "call from stdin without -: $out"
grep -q '"handle": "hotwheels"' <<<"$out" || fail "call from stdin: $out"

# The global options: $CRUDDUR_SERVER, --prod, --timeout.
out=$(CRUDDUR_SERVER=$url "$bin/cruddur" call cruddur.v1.Health/Check '{}' 2>&1) ||
    fail "call with \$CRUDDUR_SERVER: $out"
out=$(CRUDDUR_PROD_SERVER=$url CRUDDUR_SERVER=tcp://127.0.0.1:1 "$bin/cruddur" --prod \
    call cruddur.v1.Health/Check '{}' 2>&1) || fail "call --prod: $out"
rc=0; out=$(env -u CRUDDUR_PROD_SERVER "$bin/cruddur" --prod call cruddur.v1.Health/Check '{}' 2>&1) || rc=$?
[[ $rc -eq 2 && "$out" == *"--prod needs CRUDDUR_PROD_SERVER"* ]] || fail "call --prod without a server: exit $rc: $out"
expect 1 "call cruddur.v1.DbAdmin/SeedBulk: DEADLINE_EXCEEDED" -- --token-file "$work/token" --timeout 1 \
    call cruddur.v1.DbAdmin/SeedBulk '{"users":200000,"activities":200000}'
rc=0; out=$("$bin/cruddur" --server tcp://127.0.0.1:1 call cruddur.v1.Health/Check '{}' 2>&1) || rc=$?
[[ $rc -eq 1 && "$out" == *UNAVAILABLE* ]] || fail "call on a closed port: exit $rc: $out"
stop_cruddurd

# TLS: --tls-ca and --tls-server-name reach the call.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=json-ca" \
    -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/server.key" \
    -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
    -CAcreateserial -days 2 -extfile "$work/server.ext" -out "$work/server.crt" 2>/dev/null
cat "$work/server.crt" "$work/server.key" >"$work/server.pem"
start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen tls+tcp://127.0.0.1:0 \
    --tls-cert-key-file "$work/server.pem" --log-level warn
expect 0 '"status": "SERVING"' -- --tls-ca "$work/ca.crt" --tls-server-name localhost \
    call cruddur.v1.Health/Check '{}'
expect 2 "needs a CA file" -- call cruddur.v1.Health/Check '{}'
stop_cruddurd

# The decoder nobody here wrote, on everything above.
"$py" "$roundtrip" "$desc" check "$json_echo" "$manifest" || fail "json_roundtrip failed"
finish
