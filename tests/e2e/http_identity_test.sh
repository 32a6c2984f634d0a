#!/usr/bin/env bash
# tests/e2e/http_identity_test.sh - the app's write routes and the RPC door over HTTP as the
# user of a Cognito-style access token (docs/HTTP.md "Identity", docs/AUTH.md): the real
# cruddurd with --http-listen and --jwks-file/--jwt-issuer/--jwt-client-id, curl sending
# "Authorization: Bearer <JWT>" (from mode-0600 files: no token on a command line).
#
# POST /api/activities, .../<uuid>/reply and /api/profile/update as the token's user: 200,
# backend-flask's shape (http_shapes.py), the rows that user's (psql). CreateActivity at
# POST /cruddur.v1.Activities/CreateActivity: no author is the user, another user is 403.
# Bad tokens (expired, wrong issuer, alg none): 401, the gateway's error body
# {"code":16,"status":"UNAUTHENTICATED",...} with the reason, WWW-Authenticate: Bearer, and
# nothing written. A CORS preflight naming Authorization. A 64 kB Authorization header: nng's
# HTTP server reads a request's header lines into 8 KiB and closes the connection without an
# answer when one does not fit; the server lives on. --require-user-token: a write without
# a token is 401. Keys and tokens by tests/support/jwt_mint.py. Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db=cruddur_e2e_http_identity
dburl=$(db_url "$db")
py=${CRUDDUR_PYTHON3:-python3}
shapes="$src/tests/e2e/http_shapes.py"
iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_HttpE2e"
command -v curl >/dev/null || die "curl is not installed"
[[ $("$bin/cruddurd" --help 2>&1) == *--http-listen* ]] || # (no grep -q: SIGPIPE under pipefail)
    { echo "$test_name: cruddurd has no --http-listen (no gateway in this build): skipped"; exit 77; }
mint() { "$py" "$src/tests/support/jwt_mint.py" "$@"; }
sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }

mint key "$work/k1.pem"
mint key "$work/k2.pem"
mint jwks k1="$work/k1.pem" >"$work/jwks.json"
# bearer NAME KEY HEADER CLAIMS: "Authorization: Bearer <token>" in $work/NAME.h (0600), for -H @.
bearer() { (umask 077; printf 'Authorization: Bearer %s\n' "$(mint token "$2" "$3" "$4")" >"$work/$1.h"); }
claims() { # claims SUB [ISS [EXP_IN]]
    printf '{"iss":"%s","exp_in":%s,"token_use":"access","client_id":"app-1","sub":"%s"}' \
        "${2:-$iss}" "${3:-3600}" "$1"
}
bearer alice "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-alice)"
bearer expired "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-alice "$iss" -3600)"
bearer wrong_iss "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-alice https://evil.example)"
bearer none none '{"alg":"none","kid":"k1"}' "$(claims sub-alice)"
bearer other_key "$work/k2.pem" '{"kid":"k1"}' "$(claims sub-alice)"
# sig NAME: the first 40 characters of NAME's signature, to look for in what the server says.
sig() { sed 's/.*Bearer //' "$work/$1.h" | cut -d. -f3 | cut -c1-40; }
jwt_flags=(--jwks-file "$work/jwks.json" --jwt-issuer "$iss" --jwt-client-id app-1)

port=$(free_tcp_port)
base="http://127.0.0.1:$port"
# serve [FLAGS...]: cruddurd with the gateway and the JWT settings.
serve() {
    start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 --http-listen "$base" \
        --http-cors-origin http://app.example --log-level warn "${jwt_flags[@]}" "$@"
}
serve
expect 0 "seed .*ok" -- db setup
if ! "$bin/cruddur" --server "$url" db migrate >/dev/null 2>&1; then
    for f in "$src"/sql/migrations/*.up.sql; do psql -X -q -1 -v ON_ERROR_STOP=1 "$dburl" -f "$f"; done
fi
expect 0 "@alice" -- users create --handle alice --display-name Alice --email alice@example.com \
    --cognito-id sub-alice
parent=$(sql "SELECT uuid FROM activities WHERE message = 'This was imported as seed data'")
[[ -n "$parent" ]] || die "no seed activity"

# call METHOD PATH [BODY [CURL ARGS...]]: $code, $work/body, $work/headers.
call() {
    local method=$1 path=$2 args=(-s -o "$work/body" -D "$work/headers" -w '%{http_code}' --max-time 10)
    shift 2
    args+=(-X "$method")
    if [[ $# -ge 1 ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$1"); shift; fi
    code=$(curl "${args[@]}" "$@" "$base$path") || code="curl-failed"
}
header() { awk -v h="$1" 'tolower($1) == tolower(h) ":" { sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print }' "$work/headers"; }
shape() { "$py" "$shapes" "$work/body" "$@"; }
want() { # want CODE WHAT
    if [[ "$code" == "$1" ]]; then ok "$2: $code"; else fail "$2: HTTP $code, want $1: $(head -c 300 "$work/body")"; fi
}
by_alice() { # by_alice MESSAGE: the handle of the one activity with that message
    sql "SELECT string_agg(u.handle, ',') FROM activities a JOIN users u ON u.uuid = a.user_uuid
         WHERE a.message = '$1'"
}

# --- the write routes as the token's user -----------------------------------------------
call POST /api/activities '{"message": "alice over http", "ttl": "1-day"}' -H @"$work/alice.h"
want 200 "POST /api/activities as alice"
made=$(shape row alice) && ok "create: a row of alice's" || fail "create: $(shape row alice 2>&1 | tail -1)"
[[ $(by_alice "alice over http") == alice ]] && ok "create: the row is alice's in the database" ||
    fail "create: the stored row is $(by_alice "alice over http")'s"
[[ -n "${made:-}" && $(sql "SELECT user_uuid = (SELECT uuid FROM users WHERE handle = 'alice')
    AND expires_at - created_at BETWEEN interval '23 hours' AND interval '25 hours'
    FROM activities WHERE uuid = '$made'") == t ]] && ok "create: the reply's uuid, a day's ttl" ||
    fail "create: the row the reply names is not alice's one-day activity"

call POST "/api/activities/$parent/reply" '{"message": "alice replies over http"}' -H @"$work/alice.h"
want 200 "POST /api/activities/<uuid>/reply as alice"
shape row alice "$parent" >/dev/null && ok "reply: a row of alice's answering the seed" ||
    fail "reply: $(shape row alice "$parent" 2>&1 | tail -1)"
[[ $(sql "SELECT u.handle || ' ' || a.reply_to_activity_uuid FROM activities a JOIN users u ON u.uuid = a.user_uuid
    WHERE a.message = 'alice replies over http'") == "alice $parent" ]] && ok "reply: stored as alice's, to the seed" ||
    fail "reply: not stored as alice's reply to $parent"

call POST /api/profile/update '{"bio": "set over http", "display_name": "Alice Curl"}' -H @"$work/alice.h"
want 200 "POST /api/profile/update as alice"
shape short alice "Alice Curl" >/dev/null && ok "profile: alice's short shape" ||
    fail "profile: $(shape short alice "Alice Curl" 2>&1 | tail -1)"
[[ $(sql "SELECT bio || '|' || display_name FROM users WHERE handle = 'alice'") == "set over http|Alice Curl" ]] &&
    ok "profile: alice's row updated" || fail "profile: alice's row not updated"
[[ $(sql "SELECT count(*) FROM users WHERE bio = 'set over http'") == 1 ]] || fail "profile: another user changed"

# --- the RPC door with the token ---------------------------------------------------------
call POST /cruddur.v1.Activities/CreateActivity '{"message": "alice by the rpc door"}' -H @"$work/alice.h"
want 200 "CreateActivity with a token and no author"
grep -q '"handle":"alice"' "$work/body" && [[ $(by_alice "alice by the rpc door") == alice ]] &&
    ok "CreateActivity: as alice" || fail "CreateActivity: not as alice: $(head -c 300 "$work/body")"
call POST /cruddur.v1.Activities/CreateActivity \
    '{"message": "forged by the rpc door", "author": {"handle": "hotwheels"}}' -H @"$work/alice.h"
want 403 "CreateActivity naming another user"
shape error 403 PERMISSION_DENIED 7 >/dev/null && ok "another user: PERMISSION_DENIED body" ||
    fail "another user: $(shape error 403 PERMISSION_DENIED 7 2>&1 | tail -1)"

# --- bad tokens: 401, the reason, the challenge, nothing written ---------------------------
before=$(sql "SELECT count(*) FROM activities")
for t in "expired|token expired" "wrong_iss|wrong issuer" "none|algorithm not accepted" \
    "other_key|signature does not verify"; do
    name=${t%%|*} reason=${t#*|}
    for w in "/api/activities|{\"message\": \"bad $name\"}" "/api/activities/$parent/reply|{\"message\": \"bad $name\"}" \
        "/api/profile/update|{\"bio\": \"bad $name\"}" "/cruddur.v1.Activities/CreateActivity|{\"message\": \"bad $name\"}"; do
        call POST "${w%%|*}" "${w#*|}" -H @"$work/$name.h"
        [[ $name != none ]] && grep -qF "$(sig "$name")" "$work/body" && fail "$name: the refusal quotes the token"
        if [[ "$code" == 401 ]] && shape error 401 UNAUTHENTICATED 16 >/dev/null &&
            grep -qF "$reason" "$work/body" && [[ $(header WWW-Authenticate) == Bearer* ]]; then
            ok "$name token, POST ${w%%|*}: 401 ($reason), WWW-Authenticate"
        else
            fail "$name token, POST ${w%%|*}: HTTP $code [$(header WWW-Authenticate)] $(head -c 300 "$work/body")"
        fi
    done
done
[[ $(sql "SELECT count(*) FROM activities") == "$before" ]] && ok "no write with a bad token" ||
    fail "a write with a bad token went through"
[[ $(sql "SELECT count(*) FROM users WHERE bio LIKE 'bad %'") == 0 ]] || fail "a profile changed with a bad token"

# --- CORS: a preflight from the app's origin asking for Authorization ---------------------
call OPTIONS /api/activities "" -H 'Origin: http://app.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type'
want 204 "preflight for POST /api/activities with Authorization"
[[ $(header Access-Control-Allow-Origin) == http://app.example ]] || fail "preflight: no Access-Control-Allow-Origin"
[[ ,$(header Access-Control-Allow-Headers | tr -d ' ' | tr A-Z a-z), == *,authorization,* ]] &&
    ok "preflight: Authorization allowed" || fail "preflight: Allow-Headers $(header Access-Control-Allow-Headers)"
[[ $(header Access-Control-Allow-Methods) == *POST* ]] || fail "preflight: Allow-Methods $(header Access-Control-Allow-Methods)"
call POST /api/activities '{"message": "alice from the app origin"}' -H @"$work/alice.h" -H 'Origin: http://app.example'
want 200 "POST from the app's origin with a token"
[[ $(header Access-Control-Allow-Origin) == http://app.example ]] || fail "the POST lacks Access-Control-Allow-Origin"

# --- a 64 kB Authorization header -----------------------------------------------------------
# nng 1.5.2's HTTP server reads header lines into a buffer of 8 KiB (http_conn.c HTTP_BUFSIZE):
# a longer line fails the read and the connection is closed without a response (curl: 52,
# empty reply). No status to assert, so: closed at once with nothing sent, no row written,
# and the server answers the next request.
(umask 077; printf 'Authorization: Bearer %s\n' "$(head -c 65536 /dev/zero | tr '\0' a)" >"$work/huge.h")
before=$(sql "SELECT count(*) FROM activities")
rc=0
curl -sS -o "$work/body" -D "$work/headers" --max-time 10 -X POST -H @"$work/huge.h" \
    -H 'Content-Type: application/json' --data-binary '{"message": "huge"}' "$base/api/activities" \
    2>"$work/curl.err" || rc=$?
if [[ $rc == 52 && ! -s "$work/headers" ]]; then ok "64 kB Authorization: closed without a response (curl 52)"
else fail "64 kB Authorization: curl $rc, headers $(head -c 200 "$work/headers"): $(cat "$work/curl.err")"; fi
kill -0 "$server_pid" 2>/dev/null && ok "cruddurd lives after the 64 kB header" || fail "cruddurd died of the 64 kB header"
[[ $(sql "SELECT count(*) FROM activities") == "$before" ]] || fail "the 64 kB request wrote"
call POST /api/activities '{"message": "alice after the huge header"}' -H @"$work/alice.h"
want 200 "a write after the 64 kB header"
stop_cruddurd

# --- --require-user-token: a write needs a verified user; reads do not ---------------------
serve --require-user-token
for w in "/api/activities|{\"message\": \"no token\"}" "/api/activities/$parent/reply|{\"message\": \"no token\"}" \
    "/api/profile/update|{\"bio\": \"no token\"}" "/cruddur.v1.Activities/CreateActivity|{\"message\": \"no token\", \"author\": {\"handle\": \"alice\"}}"; do
    call POST "${w%%|*}" "${w#*|}"
    if [[ "$code" == 401 ]] && shape error 401 UNAUTHENTICATED 16 >/dev/null &&
        grep -q "needs a verified user token" "$work/body" && [[ $(header WWW-Authenticate) == Bearer* ]]; then
        ok "--require-user-token, POST ${w%%|*} without a token: 401"
    else
        fail "--require-user-token, POST ${w%%|*} without a token: HTTP $code $(head -c 300 "$work/body")"
    fi
done
[[ $(sql "SELECT count(*) FROM activities WHERE message = 'no token'") == 0 ]] || fail "a write without a token went through"
call GET /api/activities/home
want 200 "--require-user-token: a read without a token"
call POST /api/activities '{"message": "alice, required"}' -H @"$work/alice.h"
want 200 "--require-user-token: a write with alice's token"
[[ $(by_alice "alice, required") == alice ]] || fail "--require-user-token: the write is not alice's"
stop_cruddurd

for name in alice expired other_key; do
    grep -qF "$(sig "$name")" "$work/cruddurd.log" && fail "the $name token is in the log"
done
finish
