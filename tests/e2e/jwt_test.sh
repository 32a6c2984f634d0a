#!/usr/bin/env bash
# tests/e2e/jwt_test.sh - user tokens end to end: the real cruddurd with --jwks-file,
# --jwt-issuer and --jwt-client-id, the cruddur CLI sending the token (--token-file) as
# the authorization metadata. Writes act as the token's user (a request naming nobody is
# theirs; one naming another user is PERMISSION_DENIED and writes nothing); bad tokens are
# UNAUTHENTICATED with their reason, for any method; a key rotated in by rewriting the
# JWKS and SIGHUP (the new kid accepted, the removed one refused; a broken file keeps the
# old keys); --require-user-token; --require-token passed by a user token; DbAdmin still
# needs the admin token; the configuration errors. Keys and tokens by
# tests/support/jwt_mint.py (stdlib + openssl CLI). Run by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e

db=cruddur_e2e_jwt
dburl=$(db_url "$db")
iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_E2e"
python=${CRUDDUR_PYTHON3:-python3}
mint() { "$python" "$src/tests/support/jwt_mint.py" "$@"; }
sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$dburl" -c "$1"; }

admin=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077; printf '%s\n' "$admin" >"$work/admin")
mint key "$work/k1.pem"
mint key "$work/k2.pem"
mint jwks k1="$work/k1.pem" >"$work/jwks.json"

# tok NAME KEY HEADER CLAIMS: a token into $work/NAME.jwt (mode 0600: a credential).
tok() { (umask 077; mint token "$2" "$3" "$4" >"$work/$1.jwt"); }
# claims SUB [EXTRA]: good access-token claims for SUB, EXTRA (",...") appended.
claims() { printf '{"iss":"%s","exp_in":3600,"token_use":"access","client_id":"app-1","sub":"%s"%s}' "$iss" "$1" "${2:-}"; }
tok alice "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-alice)"
tok alice_aud "$work/k1.pem" '{"kid":"k1"}' \
    "{\"iss\":\"$iss\",\"exp_in\":3600,\"token_use\":\"access\",\"aud\":[\"x\",\"app-2\"],\"sub\":\"sub-alice\"}"
tok expired "$work/k1.pem" '{"kid":"k1"}' \
    "{\"iss\":\"$iss\",\"exp_in\":-3600,\"token_use\":\"access\",\"client_id\":\"app-1\",\"sub\":\"sub-alice\"}"
tok early "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-alice ',"nbf_in":3600')"
tok wrong_iss "$work/k1.pem" '{"kid":"k1"}' \
    '{"iss":"https://evil.example","exp_in":3600,"token_use":"access","client_id":"app-1","sub":"sub-alice"}'
tok wrong_client "$work/k1.pem" '{"kid":"k1"}' \
    "{\"iss\":\"$iss\",\"exp_in\":3600,\"token_use\":\"access\",\"client_id\":\"app-9\",\"sub\":\"sub-alice\"}"
tok id_token "$work/k1.pem" '{"kid":"k1"}' \
    "{\"iss\":\"$iss\",\"exp_in\":3600,\"token_use\":\"id\",\"aud\":\"app-1\",\"sub\":\"sub-alice\"}"
tok none none '{"alg":"none","kid":"k1"}' "$(claims sub-alice)"
tok other_key "$work/k2.pem" '{"kid":"k1"}' "$(claims sub-alice)"
tok alice_k2 "$work/k2.pem" '{"kid":"k2"}' "$(claims sub-alice)"
tok nobody "$work/k1.pem" '{"kid":"k1"}' "$(claims sub-nobody)"

jwt_flags=(--jwks-file "$work/jwks.json" --jwt-issuer "$iss" --jwt-client-id app-1 --jwt-client-id app-2)
start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 --log-level info \
    --admin-token-file "$work/admin" "${jwt_flags[@]}"
grep -q 'msg="jwks loaded" .* keys=1' "$work/cruddurd.log" || fail "no log line of the keys loaded"
expect 0 "seed .*ok" -- --token-file "$work/admin" db setup
if ! "$bin/cruddur" --server "$url" --token-file "$work/admin" db migrate >/dev/null 2>&1; then
    for f in "$src"/sql/migrations/*.up.sql; do psql -X -q -1 -v ON_ERROR_STOP=1 "$dburl" -f "$f"; done
fi
expect 0 "@alice" -- users create --handle alice --display-name Alice --email alice@example.com \
    --cognito-id sub-alice

# Writes as the token's user: naming nobody, naming themselves each way.
expect 0 '"handle": ?"alice"' -- --token-file "$work/alice.jwt" call cruddur.v1.Activities/CreateActivity \
    '{"message": "as alice, named by the token"}'
[[ $(sql "SELECT u.handle FROM activities a JOIN users u ON u.uuid = a.user_uuid
          WHERE a.message = 'as alice, named by the token'") == alice ]] || fail "the write was not alice's"
expect 0 "@alice" -- --token-file "$work/alice.jwt" activities create --handle ALICE --message "by handle"
expect 0 "@alice" -- --token-file "$work/alice.jwt" activities create --cognito-id sub-alice --message "by id"
expect 0 "@alice" -- --token-file "$work/alice_aud.jwt" activities create --handle alice --message "aud"
alice_uuid=$(sql "SELECT uuid FROM users WHERE handle = 'alice'")
expect 0 '"handle": ?"alice"' -- --token-file "$work/alice.jwt" call cruddur.v1.Activities/CreateActivity \
    "{\"message\": \"by uuid\", \"author\": {\"user_uuid\": \"$alice_uuid\"}}"
parent=$(sql "SELECT uuid FROM activities WHERE message = 'This was imported as seed data'")
expect 0 '"handle": ?"alice"' -- --token-file "$work/alice.jwt" call cruddur.v1.Activities/CreateReply \
    "{\"reply_to_activity_uuid\": \"$parent\", \"message\": \"a reply as alice\"}"
expect 0 '"bio": ?"set by the token"' -- --token-file "$work/alice.jwt" call cruddur.v1.Users/UpdateProfile \
    '{"bio": {"value": "set by the token"}}'
[[ $(sql "SELECT bio FROM users WHERE handle = 'alice'") == "set by the token" ]] || fail "alice's bio not set"

# Naming another user: PERMISSION_DENIED, and nothing written.
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" activities create --handle hotwheels --message "forged 1"
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" activities create --cognito-id MOCK --message "forged 2"
mock_uuid=$(sql "SELECT uuid FROM users WHERE handle = 'hotwheels'")
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" call cruddur.v1.Activities/CreateActivity \
    "{\"message\": \"forged 3\", \"author\": {\"user_uuid\": \"$mock_uuid\"}}"
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" activities reply "$parent" --handle hotwheels --message "forged 4"
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" users update hotwheels --bio "forged 5"
[[ $(sql "SELECT count(*) FROM activities WHERE message LIKE 'forged%'") == 0 ]] || fail "a forged write was stored"
[[ $(sql "SELECT coalesce(bio, '') FROM users WHERE handle = 'hotwheels'") != "forged 5" ]] || fail "hotwheels' bio forged"
# A verified user with no row: NOT_FOUND, not somebody else.
expect 1 "NOT_FOUND" -- --token-file "$work/nobody.jwt" call cruddur.v1.Activities/CreateActivity '{"message": "x"}'

# Bad tokens: UNAUTHENTICATED with the reason, on reads too; never the token in the message.
expect 1 "UNAUTHENTICATED: .*token expired" -- --token-file "$work/expired.jwt" feed home
expect 1 "UNAUTHENTICATED: .*not yet valid" -- --token-file "$work/early.jwt" feed home
expect 1 "UNAUTHENTICATED: .*wrong issuer" -- --token-file "$work/wrong_iss.jwt" activities create --handle alice --message no
expect 1 "UNAUTHENTICATED: .*wrong client" -- --token-file "$work/wrong_client.jwt" feed home
expect 1 "UNAUTHENTICATED: .*not an access token" -- --token-file "$work/id_token.jwt" feed home
expect 1 "UNAUTHENTICATED: .*algorithm not accepted" -- --token-file "$work/none.jwt" feed home
expect 1 "UNAUTHENTICATED: .*signature does not verify" -- --token-file "$work/other_key.jwt" feed home
expect 1 "UNAUTHENTICATED: .*unknown key id" -- --token-file "$work/alice_k2.jwt" feed home
grep -qF "$(cut -c1-40 "$work/expired.jwt")" <<<"$out" && fail "a refusal quoted the token"
printf 'Bearer %s\n' "$(cat "$work/alice.jwt")" >"$work/alice_bearer.jwt"
expect 0 "@alice" -- --token-file "$work/alice_bearer.jwt" activities create --handle alice --message "bearer"
printf 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA\n' >"$work/garbage.jwt"
expect 1 "UNAUTHENTICATED: .*(no key id|malformed)" -- --token-file "$work/garbage.jwt" feed home
# Without a token the writes name their user, as before.
expect 0 "@hotwheels" -- activities create --handle hotwheels --message "no token, named"
expect 1 "INVALID_ARGUMENT: author: give exactly one" -- call cruddur.v1.Activities/CreateActivity '{"message": "x"}'
# DbAdmin: a user token is no admin token.
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" db sessions
expect 0 "PID" -- --token-file "$work/admin" db sessions

# Rotation: k2 in, k1 out, by rewriting the file and SIGHUP.
# reloads N: waits (10 s at most) for the Nth "jwks reload..." line of the log.
reloads() {
    for _ in $(seq 100); do
        (($(grep -c 'msg="jwks reload' "$work/cruddurd.log") >= $1)) && return 0
        sleep 0.1
    done
    fail "no jwks reload line $1 in the log"
}
mint jwks k2="$work/k2.pem" >"$work/jwks.new" && mv "$work/jwks.new" "$work/jwks.json"
kill -HUP "$server_pid"
reloads 1
grep -q 'msg="jwks reloaded" .* keys=1' "$work/cruddurd.log" || fail "no reload log line with the count"
expect 0 "@alice" -- --token-file "$work/alice_k2.jwt" activities create --handle alice --message "k2"
expect 1 "UNAUTHENTICATED: .*unknown key id" -- --token-file "$work/alice.jwt" feed home
printf '{"keys": [' >"$work/jwks.json"
kill -HUP "$server_pid"
reloads 2
grep -q 'jwks reload failed: keeping the old keys' "$work/cruddurd.log" || fail "a failed reload not logged"
expect 0 "@alice" -- --token-file "$work/alice_k2.jwt" activities create --handle alice --message "k2 kept"
kill -0 "$server_pid" || fail "cruddurd died of SIGHUP"
mint jwks k1="$work/k1.pem" k2="$work/k2.pem" >"$work/jwks.json"
stop_cruddurd

# --require-user-token: the writes need a verified user; reads do not. From a config
# file this time, where jwt-client-id repeats and the switch is "= true".
cat >"$work/cruddurd.conf" <<EOF
jwks-file = $work/jwks.json
jwt-issuer = $iss
jwt-client-id = app-1
jwt-client-id = app-2
require-user-token = true
EOF
start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 --admin-token-file "$work/admin" \
    --config "$work/cruddurd.conf"
expect 0 "@alice" -- --token-file "$work/alice_aud.jwt" activities create --handle alice --message "aud app-2"
expect 1 "UNAUTHENTICATED: .*needs a verified user token" -- activities create --handle alice --message no
expect 1 "UNAUTHENTICATED: .*needs a verified user token" -- --token-file "$work/admin" activities create --handle alice --message no
expect 1 "UNAUTHENTICATED: .*needs a verified user token" -- users update alice --bio no
expect 0 "This was imported" -- feed home
expect 0 '"handle": ?"alice"' -- --token-file "$work/alice.jwt" call cruddur.v1.Activities/CreateActivity '{"message": "required"}'
stop_cruddurd

# --require-token: a verified user token satisfies it, but for DbAdmin.
start_cruddurd CONNECTION_URL="$dburl" -- --listen tcp://127.0.0.1:0 --admin-token-file "$work/admin" \
    "${jwt_flags[@]}" --require-token
expect 1 "UNAUTHENTICATED: .*needs a token" -- feed home
expect 0 "This was imported" -- --token-file "$work/alice.jwt" feed home
expect 0 "This was imported" -- --token-file "$work/admin" feed home
expect 1 "UNAUTHENTICATED: .*token expired" -- --token-file "$work/expired.jwt" feed home
expect 1 "PERMISSION_DENIED" -- --token-file "$work/alice.jwt" db sessions
stop_cruddurd

# Configuration errors: exit 2; a JWKS that cannot be loaded: cannot start (1).
config_error() {
    local want=$1 pattern=$2 rc=0 got
    shift 2
    got=$(CONNECTION_URL=$dburl "$bin/cruddurd" --listen tcp://127.0.0.1:0 "$@" 2>&1) || rc=$?
    [[ $rc -eq $want && "$got" =~ $pattern ]] || fail "cruddurd $*: exit $rc, want $want /$pattern/: $got"
}
config_error 2 "needs --jwt-issuer" --jwks-file "$work/jwks.json" --jwt-client-id app-1
config_error 2 "needs --jwt-issuer and at least one" --jwks-file "$work/jwks.json" --jwt-issuer "$iss"
config_error 2 "need --jwks-file" --require-user-token
config_error 2 "need --jwks-file" --jwt-issuer "$iss"
config_error 2 "1 to 128 bytes" --jwt-client-id ""
printf 'not json' >"$work/bad.json"
config_error 1 "bad.json: not JSON" --jwks-file "$work/bad.json" --jwt-issuer "$iss" --jwt-client-id app-1
config_error 1 "cannot read" --jwks-file "$work/missing.json" --jwt-issuer "$iss" --jwt-client-id app-1

# No token in the log.
grep -qF "$(cut -d. -f3 "$work/alice.jwt" | cut -c1-40)" "$work/cruddurd.log" && fail "a user token is in the log"
grep -qF "$admin" "$work/cruddurd.log" && fail "the admin token is in the log"
finish
