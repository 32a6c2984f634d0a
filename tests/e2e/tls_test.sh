#!/usr/bin/env bash
# tests/e2e/tls_test.sh - cruddurd over tls+tcp:// with a throwaway CA that
# this test makes: a verified server, a client that does not trust it, and
# a server that requires client certificates. Run by ctest.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e

# make_ca NAME; make_cert CA NAME CN: key and certificate, and NAME.pem with both.
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$work/$1.key" -out "$work/$1.crt" 2>/dev/null
}
make_cert() {
    local ca=$1 name=$2 cn=$3
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$work/$name.key" \
        -out "$work/$name.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$cn" >"$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$work/$ca.crt" -CAkey "$work/$ca.key" \
        -CAcreateserial -days 2 -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
    cat "$work/$name.crt" "$work/$name.key" >"$work/$name.pem"
}

make_ca test-ca
make_ca other-ca
make_cert test-ca server localhost
make_cert test-ca client cruddur-client

# start_server [FLAGS...]: cruddurd on tls+tcp:// with the server certificate.
start_server() {
    start_cruddurd CONNECTION_URL="$(db_url cruddur_tls_test)" -- --listen tls+tcp://127.0.0.1:0 \
        --tls-cert-key-file "$work/server.pem" --log-level warn "$@"
}
cli() { "$bin/cruddur" --server "$url" --tls-server-name localhost --timeout 3000 "$@" 2>&1; }

start_server
[[ "$url" == tls+tcp://127.0.0.1:* ]] || fail "ready file URL: $url"
out=$(cli --tls-ca "$work/test-ca.crt" health cruddur.v1.DbAdmin) || fail "verified TLS call failed: $out"
[[ "$out" == SERVING ]] || fail "verified TLS call said: $out"
out=$(CRUDDUR_TLS_CA_FILE="$work/test-ca.crt" cli health cruddur.v1.DbAdmin) || fail "CA from the environment: $out"
rc=0; out=$(cli health cruddur.v1.DbAdmin) || rc=$?
[[ $rc -eq 2 && "$out" == *"needs a CA file"* ]] || fail "no CA: exit $rc: $out"
rc=0; out=$(cli --tls-ca "$work/other-ca.crt" health) || rc=$?
[[ $rc -eq 1 && "$out" == *UNAVAILABLE* ]] || fail "untrusted server: exit $rc: $out"
stop_cruddurd

start_server --tls-client-ca-file "$work/test-ca.crt"
rc=0; out=$(cli --tls-ca "$work/test-ca.crt" health cruddur.v1.DbAdmin) || rc=$?
[[ $rc -ne 0 ]] || fail "a client without a certificate was served"
out=$(cli --tls-ca "$work/test-ca.crt" --tls-cert "$work/client.pem" health cruddur.v1.DbAdmin) ||
    fail "client certificate refused: $out"
stop_cruddurd

finish
