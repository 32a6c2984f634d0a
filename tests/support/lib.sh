# tests/support/lib.sh - what the end-to-end scripts share; each sources it
# shellcheck shell=bash
# right after `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"
#
# It reads ctest's environment into $bin and $pgdir, makes the scratch
# directory $work (removed at exit, with any cruddurd still running), and
# gives:
#   fail MESSAGE                 counts a failure and says why; the script goes on
#   db_url DBNAME                postgresql://postgres@/DBNAME on the test cluster
#   start_cruddurd [ENV...] -- FLAGS...
#                                cruddurd with a ready file, its stderr appended to
#                                $work/cruddurd.log, the env(1) arguments before --
#                                changing its environment; waits until it serves and
#                                sets $server_pid and $url (exits when it does not start)
#   stop_cruddurd                SIGTERM, then a failure unless it exits 0
#   expect CODE PATTERN -- ARGS...
#                                runs `cruddur --server $url ARGS`, checks its exit
#                                code and that PATTERN (grep -E) is in its stdout +
#                                stderr; the output is left in $out
#   finish                       the verdict: exit 1 after any failure, else "passed"
#   free_tcp_port                prints a port in 20000-59999 that nothing on 127.0.0.1
#                                accepts on now
# A script that starts other processes redefines cleanup (see kill_quietly).
# $test_name (the script's name without .sh) heads the verdict.

bin=${CRUDDUR_BIN_DIR:?run through ctest}
pgdir=${CRUDDUR_TEST_PG_DIR:?run through ctest}
test_name=$(basename "$0" .sh)
work=$(mktemp -d "/tmp/cruddur-e2e-${test_name%_test}-XXXXXX")
failures=0
server_pid=
url=
out=

# kill_quietly PID: ends PID (when there is one) and reaps it.
kill_quietly() {
    if [[ -n "$1" ]] && kill "$1" 2>/dev/null; then wait "$1" 2>/dev/null || true; fi
}
cleanup() {
    kill_quietly "$server_pid"
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

db_url() { echo "postgresql://postgres@/$1?host=$pgdir"; }

start_cruddurd() {
    local envs=()
    while [[ $# -gt 0 && "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    rm -f "$work/ready"
    env "${envs[@]}" "$bin/cruddurd" --ready-file "$work/ready" "$@" 2>>"$work/cruddurd.log" &
    server_pid=$!
    for _ in $(seq 100); do [[ -s "$work/ready" ]] && break; sleep 0.1; done
    [[ -s "$work/ready" ]] || { cat "$work/cruddurd.log" >&2; echo "cruddurd did not start" >&2; exit 1; }
    url=$(head -1 "$work/ready")
}

stop_cruddurd() {
    kill -TERM "$server_pid"
    local rc=0
    wait "$server_pid" || rc=$?
    server_pid=
    [[ $rc -eq 0 ]] || { fail "cruddurd exited $rc on SIGTERM"; cat "$work/cruddurd.log" >&2; }
}

expect() {
    local code=$1 pattern=$2 rc=0
    shift 3
    out=$("$bin/cruddur" --server "$url" "$@" 2>&1) || rc=$?
    if [[ $rc -ne $code ]]; then
        fail "cruddur $* exited $rc, want $code: $out"
    elif ! grep -qE -- "$pattern" <<<"$out"; then
        fail "cruddur $* output lacks /$pattern/: $out"
    fi
}

free_tcp_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000))
        # A refused connect means a free port; bash's /dev/tcp needs no other tool.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "free_tcp_port: no free port found" >&2
    return 1
}

finish() {
    if [[ $failures -gt 0 ]]; then
        echo "$test_name: $failures failed" >&2
        exit 1
    fi
    echo "$test_name: passed"
}
