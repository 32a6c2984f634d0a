#!/usr/bin/env bash
# tests/e2e/bench_client_test.sh - cruddur-bench reaches a server the way the CLI does:
# the server from --server or $CRUDDUR_SERVER, the token from --token-file,
# $CRUDDUR_TOKEN_FILE or $CRUDDUR_TOKEN (a server with --require-token refuses calls
# without it), TLS from --tls-ca/--tls-cert/--tls-server-name or $CRUDDUR_TLS_CA_FILE.
# Short runs (0.2 s, one caller): it checks that the calls get through, never speed.
# Run by ctest (it sets CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
db="cruddur_e2e_bench_client"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
printf 'not-the-right-token-at-all\n' >"$work/wrong"
chmod 600 "$work/token" "$work/wrong"

# bench CODE PATTERN [ENV...] -- ARGS...: cruddur-bench ARGS (a short run) with ENV, and
# none of the CLI's variables but those; checks its exit code and that PATTERN (grep -E)
# is in its stdout + stderr.
bench() {
    local code=$1 pattern=$2 envs=() rc=0 got
    shift 2
    while [[ "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    got=$(env -u CRUDDUR_SERVER -u CRUDDUR_TOKEN -u CRUDDUR_TOKEN_FILE -u CRUDDUR_TLS_CA_FILE \
        -u CRUDDUR_TLS_CERT_FILE "${envs[@]}" "$bin/cruddur-bench" --concurrency 1 \
        --duration 0.2 --warmup 0 --deadline 3000 "$@" 2>&1) || rc=$?
    if [[ $rc -ne $code ]]; then
        fail "${envs[*]} cruddur-bench $* exited $rc, want $code: $got"
    elif ! grep -qE -- "$pattern" <<<"$got"; then
        fail "${envs[*]} cruddur-bench $* output lacks /$pattern/: $got"
    else
        ok "${envs[*]} cruddur-bench $*"
    fi
}
line='^HomeFeed [0-9]+ [0-9]+ [0-9]+$'

start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen tcp://127.0.0.1:0 --log-level warn \
    --admin-token-file "$work/token" --require-token
expect 0 "seed .*ok" -- --token-file "$work/token" db setup
plain_url=$url

bench 0 "$line" CRUDDUR_SERVER="$url" CRUDDUR_TOKEN_FILE="$work/token" --
bench 0 "$line" CRUDDUR_SERVER="$url" CRUDDUR_TOKEN="$token" --
bench 0 "$line" CRUDDUR_SERVER="$url" CRUDDUR_TOKEN_FILE="$work/wrong" -- --token-file="$work/token"
bench 0 "$line" CRUDDUR_SERVER=tcp://127.0.0.1:1 -- --server "$url" --token-file "$work/token"
bench 0 '"ok":[1-9]' CRUDDUR_SERVER="$url" CRUDDUR_TOKEN_FILE="$work/token" -- --json --method=ListMethods
# Any method by its full name, with its request in canonical JSON.
bench 0 '^cruddur.v1.Users/GetUser [0-9]+ [0-9]+ [0-9]+$' CRUDDUR_SERVER="$url" \
    CRUDDUR_TOKEN_FILE="$work/token" -- --method cruddur.v1.Users/GetUser \
    --request '{"user": {"handle": "hotwheels"}}'
bench 0 '"method":"cruddur.v1.Health.Check"|cruddur.v1.Health/Check' CRUDDUR_SERVER="$url" \
    CRUDDUR_TOKEN_FILE="$work/token" -- --json --method cruddur.v1.Health.Check
bench 0 '^mix ' CRUDDUR_SERVER="$url" CRUDDUR_TOKEN_FILE="$work/token" -- \
    --method HomeFeed:3,cruddur.v1.Health/ListMethods:1
bench 1 'NOT_FOUND' CRUDDUR_SERVER="$url" CRUDDUR_TOKEN_FILE="$work/token" -- \
    --method cruddur.v1.Users/GetUser --request '{"user": {"handle": "nobodyatall"}}'
bench 2 'unknown field' CRUDDUR_SERVER="$url" -- --method cruddur.v1.Users/GetUser --request '{"nope": 1}'
bench 2 'unknown --method "cruddur.v1.Nope/X"' CRUDDUR_SERVER="$url" -- --method cruddur.v1.Nope/X
bench 2 'goes with a --method named in full' CRUDDUR_SERVER="$url" -- --request '{}'
bench 1 "UNAUTHENTICATED" CRUDDUR_SERVER="$url" --
bench 1 "PERMISSION_DENIED" CRUDDUR_SERVER="$url" CRUDDUR_TOKEN="$token" CRUDDUR_TOKEN_FILE="$work/wrong" --
# shellcheck disable=SC2016 # the $ is the message's
bench 2 'cannot read a token from .*/missing \(\$CRUDDUR_TOKEN_FILE\)' CRUDDUR_SERVER="$url" \
    CRUDDUR_TOKEN_FILE="$work/missing" --
bench 2 "unknown option --tok" CRUDDUR_SERVER="$url" -- --tok "$work/token"
stop_cruddurd

# TLS: a throwaway CA, a server certificate for localhost, one for this client.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test-ca" \
    -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
for name in server:localhost client:cruddur-bench; do
    n=${name%%:*} cn=${name#*:}
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$work/$n.key" -out "$work/$n.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$cn" >"$work/$n.ext"
    openssl x509 -req -in "$work/$n.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
        -days 2 -extfile "$work/$n.ext" -out "$work/$n.crt" 2>/dev/null
    cat "$work/$n.crt" "$work/$n.key" >"$work/$n.pem"
done
start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen tls+tcp://127.0.0.1:0 --log-level warn \
    --tls-cert-key-file "$work/server.pem" --tls-client-ca-file "$work/ca.crt"
[[ "$url" == tls+tcp://* && "$url" != "$plain_url" ]] || fail "TLS server URL: $url"
bench 0 "$line" CRUDDUR_SERVER="$url" -- --tls-ca "$work/ca.crt" --tls-cert "$work/client.pem" \
    --tls-server-name localhost
bench 0 "$line" CRUDDUR_SERVER="$url" CRUDDUR_TLS_CA_FILE="$work/ca.crt" \
    CRUDDUR_TLS_CERT_FILE="$work/client.pem" -- --tls-server-name=localhost
bench 1 "needs a CA file" CRUDDUR_SERVER="$url" -- --tls-cert "$work/client.pem" --tls-server-name localhost
stop_cruddurd

finish
