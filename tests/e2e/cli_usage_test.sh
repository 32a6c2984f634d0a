#!/usr/bin/env bash
# tests/e2e/cli_usage_test.sh - every usage error in cli_usage_errors.tsv, word for word and
# with exit 2: the messages the CLI printed before it read its options with getopt_long
# (issue 12), kept. No server is needed: none of these gets as far as a call. Run by ctest
# (it sets CRUDDUR_BIN_DIR).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
table="$src/tests/e2e/cli_usage_errors.tsv"

n=0
while IFS=$'\t' read -r words want; do
    [[ -z "$words" || "$words" == "#"* ]] && continue
    args=()
    eval "args=($words)" # the table's own words, quoting included
    rc=0
    got=$(env -u CRUDDUR_SERVER -u CRUDDUR_PROD_SERVER -u CRUDDUR_TOKEN -u CRUDDUR_TOKEN_FILE \
        -u CRUDDUR_TLS_CA_FILE -u CRUDDUR_TLS_CERT_FILE -u CONNECTION_URL \
        "$bin/cruddur" "${args[@]}" 2>&1) || rc=$?
    n=$((n + 1))
    if [[ $rc -ne 2 || "$got" != "$want" ]]; then
        fail "cruddur $words: exit $rc, '$got'; want exit 2, '$want'"
    fi
done <"$table"
[[ $n -ge 100 ]] || fail "only $n cases read from $table"
echo "$n usage errors checked"
finish
