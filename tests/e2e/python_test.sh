#!/usr/bin/env bash
# tests/e2e/python_test.sh TRANSPORT - the cruddur Python package (build/python, what
# cmake --install puts in the Python path) against the real cruddurd over TRANSPORT (tcp or
# ipc), with the test PostgreSQL. The checks are tests/e2e/python_e2e_test.py's, one mode a
# server: an open server with its database missing at first, the same server stopped, one
# restarted under a client, then one with --admin-token-file, --require-token and
# --max-request-bytes 1024.
# Run by ctest (it sets CRUDDUR_BIN_DIR, CRUDDUR_TEST_PG_DIR, CRUDDUR_PYTHON3 and
# CRUDDUR_PYTHON_DIR).
set -euo pipefail

transport=${1:?usage: python_test.sh tcp|ipc}
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
test_name="python_test $transport"
db="cruddur_py_${transport}"
pydir=${CRUDDUR_PYTHON_DIR:?run through ctest}

case "$transport" in
    tcp) listen="tcp://127.0.0.1:0" ;;
    ipc) listen="ipc://$work/cruddurd.sock" ;;
    *) echo "unknown transport $transport" >&2; exit 2 ;;
esac

# py MODE ARGS...: the checks of one mode, from a directory outside the tree.
py() {
    local rc=0
    (cd "$work" && PYTHONPATH="$pydir" "$CRUDDUR_PYTHON3" "$src/tests/e2e/python_e2e_test.py" "$@") ||
        rc=$?
    [[ $rc -eq 0 ]] || fail "python_e2e_test.py $1 exited $rc"
}

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
printf 'not-the-right-token-at-all\n' >"$work/wrong"
chmod 600 "$work/token" "$work/wrong"

start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen "$listen"
py open "$url" "$(db_url "$db")"
stop_cruddurd
py gone "$url"
# The same URL again (tcp: the port the first server had), restarted under one client.
py restart "$url" "$(db_url "$db")" "$work"

start_cruddurd CONNECTION_URL="$(db_url "$db")" -- --listen "$listen" \
    --admin-token-file "$work/token" --require-token --max-request-bytes 1024
CRUDDUR_TOKEN_FILE=$work/token py guarded "$url" "$work/token" "$work/wrong"
stop_cruddurd

finish
