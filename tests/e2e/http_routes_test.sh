#!/usr/bin/env bash
# tests/e2e/http_routes_test.sh - the Flask app's routes (/api/...) through the real
# cruddurd's HTTP gateway (--http-listen), with curl, against the test PostgreSQL.
#
# Every route's shape is checked by parsing the reply with python3's json (keys, types
# and some values: tests/e2e/http_shapes.py); the home feed and a user's activities are
# paged through by the X-Cruddur-Next-Cursor header, all rows once and in order; the
# errors: 404 (no route, no such user), 405 with Allow, 400 (bad uuid, handle, limit,
# cursor, body), each with the gateway's error body {"code", "status", "message"}.
# Writes: without a verified user (no --jwks-file here) the server refuses a write that
# names no user, and the routes name none (docs/HTTP.md, "Identity"): each write route
# must answer 400 or 401 with the error body, and write nothing (the writes as a user:
# tests/e2e/http_identity_test.sh).
# Run by ctest (CRUDDUR_BIN_DIR, CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_http_routes"
dburl=$(db_url "$db")
py=${CRUDDUR_PYTHON3:-python3}
shapes="$src/tests/e2e/http_shapes.py"
command -v curl >/dev/null || die "curl is not installed"
[[ $("$bin/cruddurd" --help 2>&1) == *--http-listen* ]] || # (no grep -q: SIGPIPE under pipefail)
    { echo "$test_name: cruddurd has no --http-listen (no gateway in this build): skipped"; exit 77; }

sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }

port=$(free_tcp_port)
base="http://127.0.0.1:$port"
start_cruddurd CONNECTION_URL="$dburl" -- --listen "tcp://127.0.0.1:0" \
    --http-listen "$base" --log-level warn
# The ready file names the nng front door; the HTTP one answers once the server serves.
for _ in $(seq 50); do
    curl -s -o /dev/null --max-time 2 "$base/api/activities/home" && break
    sleep 0.1
done

expect 0 "seed .*ok" -- db setup
# 25 more top-level activities than the seed's one, a reply to the first.
for i in $(seq 1 25); do
    "$bin/cruddur" --server "$url" activities create --handle hotwheels \
        --message "feed row $i" >/dev/null || die "activities create $i"
done
first=$(sql "SELECT uuid FROM activities WHERE message = 'feed row 1'")
"$bin/cruddur" --server "$url" activities reply "$first" --handle getFullOrDieTryin \
    --message "a reply" >/dev/null || die "activities reply"
top=$(sql "SELECT count(*) FROM activities WHERE reply_to_activity_uuid IS NULL")

# get METHOD PATH [BODY]: $code, $work/body, $work/headers.
get() {
    local args=(-s -o "$work/body" -D "$work/headers" -w '%{http_code}' --max-time 10)
    # curl -X HEAD would wait for the body a HEAD reply announces but never sends.
    if [[ "$1" == HEAD ]]; then args+=(--head); else args+=(-X "$1"); fi
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    code=$(curl "${args[@]}" "$base$2") || code="curl-failed"
}
header() { awk -v h="$1" 'BEGIN { IGNORECASE = 1 } tolower($1) == tolower(h) ":" { sub(/\r$/, ""); print $2 }' "$work/headers"; }
# shape KIND [ARGS]: the body is KIND's shape (http_shapes.py); prints what it is asked for.
shape() { "$py" "$shapes" "$work/body" "$@"; }
want() { # want CODE WHAT
    if [[ "$code" == "$1" ]]; then ok "$2: $code"; else fail "$2: HTTP $code, want $1: $(head -c 300 "$work/body")"; fi
}

# page_through NAME PATH SHAPE ARGS...: GET PATH?limit=... page after page by the
# X-Cruddur-Next-Cursor header, each page checked by `shape SHAPE ARGS`; the uuids of all
# rows in $paged, the page count in $pages.
page_through() {
    local name=$1 path=$2 cursor= sep
    shift 2
    [[ "$path" == *\?* ]] && sep='&' || sep='?'
    paged=()
    pages=0
    while :; do
        get GET "$path${cursor:+${sep}cursor=$cursor}"
        want 200 "$name page $((pages + 1))"
        [[ "$code" == 200 ]] || return 0
        mapfile -t uuids < <(shape "$@") || { fail "$name page: $(shape "$@" 2>&1 | tail -1)"; return 0; }
        paged+=("${uuids[@]}")
        pages=$((pages + 1))
        cursor=$(header X-Cruddur-Next-Cursor)
        [[ -n "$cursor" ]] || return 0
        ((pages < 10)) || { fail "$name: more than 10 pages"; return 0; }
    done
}
# all_once NAME WANT: $paged holds WANT rows, none twice.
all_once() {
    ((${#paged[@]} == $2)) && ok "$1: $2 rows in $pages pages" ||
        fail "$1: ${#paged[@]} rows over $pages pages, want $2"
    (($(printf '%s\n' "${paged[@]}" | sort -u | wc -l) == $2)) && ok "$1: no row twice" ||
        fail "$1: a row came twice"
}

# --- GET /api/activities/home: the pages ------------------------------------------------
page_through home "/api/activities/home?limit=10" rows
all_once home "$top"
[[ "${paged[-1]}" == $(sql "SELECT uuid FROM activities WHERE reply_to_activity_uuid IS NULL ORDER BY created_at, uuid LIMIT 1") ]] &&
    ok "home: the oldest row last" || fail "home: the last row is not the oldest"
get GET "/api/activities/home"
want 200 "home without a limit"
[[ $(shape rows | wc -l) == 20 ]] && ok "home: 20 rows by default" || fail "home: not 20 rows by default"
[[ -n $(header X-Cruddur-Next-Cursor) ]] && ok "home: a next cursor after 20 of $top" ||
    fail "home: no X-Cruddur-Next-Cursor"
get HEAD "/api/activities/home"
want 200 "HEAD home"
# (with --head curl writes the headers where the body would go: no JSON may follow them)
! grep -q '^[[{]' "$work/body" && ok "HEAD home: no body" || fail "HEAD home: a body"

# --- GET /api/activities/<uuid> ------------------------------------------------------------
get GET "/api/activities/$first"
want 200 "show"
shape show "$first" 1 >/dev/null && ok "show: activity and 1 reply" || fail "show: $(shape show "$first" 1 2>&1 | tail -1)"

# --- GET /api/activities/@<handle>: profile and pages of activities ----------------------
mine=$(sql "SELECT count(*) FROM activities a JOIN users u ON u.uuid = a.user_uuid WHERE u.handle = 'hotwheels'")
page_through "user activities" "/api/activities/@hotwheels?limit=7" user hotwheels "$mine"
all_once "user activities" "$mine"

# --- GET /api/users/@<handle>/short --------------------------------------------------------
get GET "/api/users/@hotwheels/short"
want 200 "short"
shape short hotwheels "Pop Goes the Weasel" >/dev/null && ok "short: shape" || fail "short: $(shape short hotwheels x 2>&1 | tail -1)"
get GET "/api/users/%40getFullOrDieTryin/short"
want 200 "short with %40"

# --- writes without a verified user ----------------------------------------------------------
before=$(sql "SELECT count(*) FROM activities")
bio_before=$(sql "SELECT bio IS NULL, bio FROM users WHERE handle = 'hotwheels'")
for w in "/api/activities|{\"message\":\"from curl\",\"ttl\":\"7-days\"}" \
    "/api/activities/$first/reply|{\"message\":\"re from curl\"}" \
    "/api/profile/update|{\"bio\":\"from curl\",\"display_name\":\"Curl\"}"; do
    get POST "${w%%|*}" "${w#*|}"
    if [[ "$code" == 400 || "$code" == 401 ]] && shape error "$code" >/dev/null; then
        ok "POST ${w%%|*} without a user: $code, $(shape error "$code")"
    else
        fail "POST ${w%%|*} without a user: HTTP $code $(head -c 200 "$work/body")"
    fi
done
[[ $(sql "SELECT count(*) FROM activities") == "$before" ]] && ok "no write went through" || fail "a write went through"
[[ $(sql "SELECT bio IS NULL, bio FROM users WHERE handle = 'hotwheels'") == "$bio_before" ]] ||
    fail "the profile changed"

# --- errors -------------------------------------------------------------------------------------
# check_error METHOD PATH CODE [BODY]: the status and the gateway's error body.
check_error() {
    get "$1" "$2" "${@:4}"
    if [[ "$code" == "$3" ]] && shape error "$3" >/dev/null; then ok "$1 $2: $3"
    else fail "$1 $2: HTTP $code, want $3 with an error body: $(head -c 200 "$work/body")"; fi
}
check_error GET "/api/nope" 404
check_error GET "/api/activities/home/" 404
check_error GET "/api/users/hotwheels/short" 404
check_error GET "/api/users/@nobody/short" 404
check_error GET "/api/activities/@nobody" 404
check_error GET "/api/activities/0b6e8a42-5d67-4f3c-9a7e-3b1c2d4e5f60" 404
check_error POST "/api/activities/home" 405 "{}"
[[ $(header Allow) == GET* ]] && ok "405 names Allow: GET" || fail "405 without Allow: GET"
check_error GET "/api/activities" 405
[[ $(header Allow) == POST* ]] && ok "405 names Allow: POST" || fail "405 without Allow: POST"
check_error GET "/api/activities/not-a-uuid" 400
check_error GET "/api/activities/@bad.handle" 400
check_error GET "/api/activities/home?limit=0" 400
check_error GET "/api/activities/home?limit=abc" 400
check_error GET "/api/activities/home?limit=101" 400
check_error GET "/api/activities/home?cursor=bogus" 400
check_error GET "/api/activities/home?limit=%zz" 400
check_error POST "/api/activities" 400 "not json"
check_error POST "/api/activities" 400 '{"message": 12}'
check_error POST "/api/activities" 400 '{"ttl": "7-days"}'
check_error POST "/api/activities/$first/reply" 400 '["m"]'
check_error POST "/api/profile/update" 400 '{"bio": false}'
check_error POST "/api/activities" 400 $'{"message": "\xff\xfe"}'

stop_cruddurd
finish
