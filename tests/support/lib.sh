# tests/support/lib.sh - what the shell tests share (tests/e2e/*.sh, tests/deploy/*.sh);
# shellcheck shell=bash
# each sources it right after `set -euo pipefail`, naming its kind:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" e2e
#   source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" deploy
#
# (The kind is not optional: a script sourcing with no words passes its own arguments.)
# The two kinds differ in what they need and in how they report, as they always have:
#   e2e     needs ctest's CRUDDUR_BIN_DIR and CRUDDUR_TEST_PG_DIR (it exits without them);
#           says only what failed, "FAIL: why" on stderr; the verdict is "NAME: passed"
#           or "NAME: N failed" (on stderr).
#   deploy  runs by hand too (CRUDDUR_SOURCE_DIR defaults to this checkout, CRUDDUR_BIN_DIR
#           to its build/bin); says every check on stdout, "ok   what" or "FAIL what"; the
#           verdict is "NAME: P of N checks passed".
#
# It sets $src (the checkout), $bin (the built programs), $pgdir (the test cluster's socket
# directory; empty in a deploy test run by hand), $test_name (the script's name without .sh;
# it heads the verdict and die's messages, a script may change it) and makes the scratch
# directory $work. At exit, cleanup runs the script's own on_exit (when it defines one:
# for processes of its own), ends $server_pid and removes $work. It gives:
#   ok MESSAGE / fail MESSAGE    a check passed / failed (and the script goes on)
#   finish                       the verdict: exit 1 after any failure
#   die MESSAGE                  "NAME: FAIL: MESSAGE" on stderr, exit 1: the test cannot go on
#   kill_quietly PID             ends PID when there is one: SIGTERM, SIGKILL after 10 s;
#                                reaps it, says nothing
#   wait_ready FILE [PID]        true once FILE is not empty; gives up after 10 s, or as
#                                soon as PID (the process that writes it) has ended
#   stop_within SECONDS          SIGTERM to $server_pid, up to SECONDS for it to exit:
#                                false while it still runs; else $stop_rc is its exit
#                                status, $stop_ms how long it took, and $server_pid is ""
#   free_tcp_port                prints a port in 20000-59999 that nothing on 127.0.0.1
#                                accepts on now
# and, for the tests of cruddurd and the CLI:
#   db_url DBNAME                postgresql://postgres@/DBNAME on the test cluster
#   start_cruddurd [ENV...] -- FLAGS...
#                                cruddurd with a ready file, its stderr appended to
#                                $work/cruddurd.log, the env(1) arguments before --
#                                changing its environment; waits until it serves and
#                                sets $server_pid and $url (exits when it does not start)
#   await_cruddurd READY_FILE    waits for the cruddurd in $server_pid (started otherwise,
#                                its stderr in $work/cruddurd.log) to serve; sets $url
#   stop_cruddurd                SIGTERM, then a failure unless it exits 0
#   expect CODE PATTERN -- ARGS...
#                                runs `cruddur --server $url ARGS`, checks its exit
#                                code and that PATTERN (grep -E) is in its stdout +
#                                stderr; the output is left in $out

lib_kind=${1:-}
[[ "$lib_kind" == e2e || "$lib_kind" == deploy ]] ||
    { echo "tests/support/lib.sh: source it with e2e or deploy, not '$lib_kind'" >&2; exit 2; }
test_name=$(basename "$0" .sh)
src=${CRUDDUR_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
if [[ "$lib_kind" == deploy ]]; then
    bin=${CRUDDUR_BIN_DIR:-$src/build/bin}
    pgdir=${CRUDDUR_TEST_PG_DIR:-}
else
    bin=${CRUDDUR_BIN_DIR:?run through ctest}
    pgdir=${CRUDDUR_TEST_PG_DIR:?run through ctest}
fi
work=$(mktemp -d "/tmp/cruddur-test-${test_name%_test}-XXXXXX")
failures=0
checks=0
server_pid=
url=
out=

# SIGKILL after 10 s: a server that ignores SIGTERM (what some checks look for) must not
# hold the exit up. kill -0 tells whether a job still runs: bash reaps its jobs as they end.
kill_quietly() {
    local pid=$1 i
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    # on_exit's status is not the test's: what it ends may be gone already.
    if declare -F on_exit >/dev/null; then on_exit || true; fi
    kill_quietly "$server_pid"
    rm -rf -- "$work"
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    if [[ "$lib_kind" == deploy ]]; then printf 'FAIL %s\n' "$*"; else echo "FAIL: $*" >&2; fi
}
finish() {
    if [[ "$lib_kind" == deploy ]]; then
        echo "$test_name: $((checks - failures)) of $checks checks passed"
        [[ $failures -eq 0 ]] || exit 1
    elif [[ $failures -gt 0 ]]; then
        echo "$test_name: $failures failed" >&2
        exit 1
    else
        echo "$test_name: passed"
    fi
}
die() { echo "$test_name: FAIL: $*" >&2; exit 1; }

wait_ready() {
    local file=$1 pid=${2:-} i
    for ((i = 0; i < 100; i++)); do
        [[ -s "$file" ]] && return 0
        [[ -z "$pid" ]] || kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -s "$file" ]]
}

stop_within() {
    local i start
    start=$(date +%s%N)
    kill -TERM "$server_pid"
    for ((i = 0; i < $1 * 10; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && return 1
    stop_rc=0
    wait "$server_pid" || stop_rc=$?
    server_pid=
    stop_ms=$(( ($(date +%s%N) - start) / 1000000 ))
}

# free_tcp_port: a port nothing listens on now, below Linux's ephemeral range (32768 and
# up by default), so that no outgoing connection of a parallel test (a client, wrk, a
# pool's connection to PostgreSQL) takes it before our server binds it.
free_tcp_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000))
        # A refused connect means a free port; bash's /dev/tcp needs no other tool.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "free_tcp_port: no free port found" >&2
    return 1
}

db_url() { echo "postgresql://postgres@/$1?host=$pgdir"; }

start_cruddurd() {
    local envs=()
    while [[ $# -gt 0 && "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    rm -f "$work/ready"
    env "${envs[@]}" "$bin/cruddurd" --ready-file "$work/ready" "$@" 2>>"$work/cruddurd.log" &
    server_pid=$!
    await_cruddurd "$work/ready"
}

await_cruddurd() {
    wait_ready "$1" "$server_pid" ||
        { cat "$work/cruddurd.log" >&2; echo "cruddurd did not start" >&2; exit 1; }
    url=$(head -1 "$1")
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
