# tests/deploy/rds_lib.sh - what the tests of deploy/rds/* share: the real AWS CLI in a
# clean, offline environment pointed at tests/deploy/aws_recorder.py, and helpers to start
# the recorder, query what it recorded and run a script with its output kept.
# shellcheck shell=bash disable=SC2154,SC2034  # $src, $work, $test_name are lib.sh's; $endpoint is for the tests
#
# Sourced after tests/support/lib.sh (deploy kind). Sets $aws, $recorder and exports
# CRUDDUR_AWS; gives start_recorder, stop_recorder, rq, run_capture, show_on_fail,
# expect_eq and expect_match (see each).
recorder="$src/tests/deploy/aws_recorder.py"

aws="${CRUDDUR_TEST_AWS:-}"
if [[ -z "$aws" ]]; then
    if [[ -x /usr/bin/aws ]]; then aws=/usr/bin/aws; else aws="$(command -v aws || true)"; fi
fi
[[ -n "$aws" ]] || die "the AWS CLI is not installed (Debian package awscli; tests/run installs it)"
command -v python3 >/dev/null || die "python3 not found"

# A clean, offline AWS environment.
unset AWS_PROFILE AWS_REGION AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_DEFAULT_PROFILE \
      AWS_CA_BUNDLE AWS_ENDPOINT_URL http_proxy https_proxy HTTP_PROXY HTTPS_PROXY \
      all_proxy ALL_PROXY CRUDDUR_AWS_ENDPOINT_URL CRUDDUR_RDS_INSTANCE
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=ca-central-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost HOME="$work/home"
export CRUDDUR_AWS="$aws"
# Settings the scripts read from the environment must come from this test only.
while IFS= read -r v; do unset "$v"; done < <(compgen -v | grep -E '^CRUDDUR_(RDS|SG|IP)_' || true)
mkdir -p "$HOME"

echo "$test_name: using $("$aws" --version 2>&1)"

# expect_eq DESC ACTUAL EXPECTED
expect_eq() {
    if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}
# expect_match DESC TEXT GLOB
expect_match() {
    # shellcheck disable=SC2053  # $3 is a glob on purpose
    if [[ "$2" == $3 ]]; then ok "$1"; else fail "$1: '$2' does not match '$3'"; fi
}

# start_recorder NAME STATE_JSON [extra recorder args...]: a fresh recorder (in
# $server_pid, which cleanup ends); sets endpoint and log. RECORDER_SECRET in the
# environment of this call is passed on.
start_recorder() {
    local name="$1" state="$2"
    shift 2
    stop_recorder
    log="$work/$name.jsonl"
    : >"$log"
    printf '%s\n' "$state" >"$work/$name.state.json"
    rm -f -- "$work/port"
    python3 "$recorder" --port-file "$work/port" --log "$log" \
        --state "$work/$name.state.json" "$@" 2>"$work/$name.recorder.err" &
    server_pid=$!
    wait_ready "$work/port" "$server_pid" ||
        { cat "$work/$name.recorder.err" >&2; die "the recorder did not start"; }
    endpoint="http://127.0.0.1:$(cat "$work/port")"
}
stop_recorder() {
    kill_quietly "$server_pid"
    server_pid=
}

# rq EXPR: evaluates a Python expression over the records of $log (recs: list of dicts;
# acts: their actions; last(action): the last record of that action, or {}), prints it.
rq() {
    python3 - "$log" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
acts = [r["action"] for r in recs]
def last(action):
    found = [r for r in recs if r["action"] == action]
    return found[-1] if found else {}
def param(action, key):
    return last(action).get("params", {}).get(key, "<absent>")
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# run_capture OUT_PREFIX CMD...: runs CMD, keeps stdout/stderr in files, sets rc.
run_capture() {
    local prefix="$1"
    shift
    rc=0
    "$@" >"$work/$prefix.out" 2>"$work/$prefix.err" || rc=$?
    out="$(cat "$work/$prefix.out")"
    err="$(cat "$work/$prefix.err")"
}
show_on_fail() {
    [[ "$rc" -eq "$1" ]] || { printf -- '--- stdout\n%s\n--- stderr\n%s\n' "$out" "$err"; }
}
