# deploy/lib/rds.sh - what deploy/rds/{stop-instance,start-instance,create-read-replica,
# endpoint} share: the aws flags every one takes, running aws with its error kept, reading
# an instance's state, and waiting for a state with a deadline.
# shellcheck shell=bash disable=SC2154  # $prog is the sourcing script's
#
# A script sets $prog, sources this file, and parses its own options with rds_common_opt
# (which takes --region, --profile, --endpoint-url) before calling rds_init. Settings:
#   CRUDDUR_AWS               the aws program (aws)
#   CRUDDUR_AWS_ENDPOINT_URL  passed as --endpoint-url
#   CRUDDUR_RDS_POLL_SECONDS  how often rds_wait_status asks (30, as aws's own waiters)
#   CRUDDUR_RDS_WAIT_SECONDS  how long it waits at most (3600)
# The state of the world is only ever read from aws; nothing is cached between calls.

rds_die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
rds_usage_die() { printf '%s: %s (see --help)\n' "$prog" "$*" >&2; exit 2; }
rds_note() { printf '%s: %s\n' "$prog" "$*" >&2; }
rds_help() { sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$1"; }

rds_region=""
rds_profile=""
rds_endpoint_url="${CRUDDUR_AWS_ENDPOINT_URL:-}"
rds_aws="${CRUDDUR_AWS:-aws}"
rds_poll="${CRUDDUR_RDS_POLL_SECONDS:-30}"
rds_wait_max="${CRUDDUR_RDS_WAIT_SECONDS:-3600}"
rds_errf=""

# rds_need_arg OPTION NARGS: an option that takes a value must have one.
rds_need_arg() { [[ "$2" -ge 2 ]] || rds_usage_die "option $1 needs a value"; }

# rds_common_opt OPTION NARGS VALUE: takes the aws options all scripts share; returns 0
# when OPTION was one (the caller shifts twice), 1 otherwise.
rds_common_opt() {
    case "$1" in
        --region)       rds_need_arg "$1" "$2"; rds_region="$3" ;;
        --profile)      rds_need_arg "$1" "$2"; rds_profile="$3" ;;
        --endpoint-url) rds_need_arg "$1" "$2"; rds_endpoint_url="$3" ;;
        *) return 1 ;;
    esac
}

# rds_check_id WHAT ID: RDS's identifier rule (1-63 letters, digits, hyphens; a letter
# first; no trailing or double hyphen).
rds_check_id() {
    [[ "$2" =~ ^[A-Za-z][A-Za-z0-9-]{0,62}$ && "$2" != *- && "$2" != *--* ]] ||
        rds_usage_die "$1 must be 1 to 63 letters, digits or hyphens, starting with a letter, not '$2'"
}

# rds_init: checks the settings and aws; makes the error file (removed at exit).
rds_init() {
    [[ "$rds_poll" =~ ^[0-9]+([.][0-9]+)?$ ]] ||
        rds_usage_die "CRUDDUR_RDS_POLL_SECONDS must be a number of seconds, not '$rds_poll'"
    [[ "$rds_wait_max" =~ ^[0-9]+$ ]] ||
        rds_usage_die "CRUDDUR_RDS_WAIT_SECONDS must be a whole number of seconds, not '$rds_wait_max'"
    command -v "$rds_aws" >/dev/null 2>&1 ||
        rds_die "'$rds_aws' not found: install the AWS CLI (Debian: apt-get install awscli)"
    rds_aws_common=()
    [[ -n "$rds_region" ]] && rds_aws_common+=(--region "$rds_region")
    [[ -n "$rds_profile" ]] && rds_aws_common+=(--profile "$rds_profile")
    [[ -n "$rds_endpoint_url" ]] && rds_aws_common+=(--endpoint-url "$rds_endpoint_url")
    rds_errf="$(mktemp)"
    trap 'rm -f -- "$rds_errf"' EXIT
    return 0
}

# rds_aws ARGS...: aws with the common options, its stderr kept in $rds_errf.
rds_aws() { "$rds_aws" "${rds_aws_common[@]}" "$@" 2>"$rds_errf"; }
# rds_fail MESSAGE: shows aws's error, then dies.
rds_fail() { cat -- "$rds_errf" >&2; rds_die "$@"; }
# rds_error_is CODE: the last aws error was the API error CODE.
rds_error_is() { grep -q -- "($1)" "$rds_errf"; }

# rds_describe ID QUERY: prints the JMESPath QUERY over DBInstances[0] of ID (text
# output); exit 3 when there is no such instance, dies on any other failure.
rds_describe() {
    local out
    if out="$(rds_aws rds describe-db-instances --db-instance-identifier "$1" \
            --query "DBInstances[0].$2" --output text)"; then
        printf '%s\n' "$out"
        return 0
    fi
    rds_error_is DBInstanceNotFound && return 3
    rds_fail "aws rds describe-db-instances failed for '$1'"
}

# rds_status ID: prints the instance's status; dies with a clear message when there is
# no such instance.
rds_status() {
    local st rc=0
    st="$(rds_describe "$1" DBInstanceStatus)" || rc=$?
    [[ $rc -ne 3 ]] ||
        rds_die "no RDS instance '$1'${rds_region:+ in $rds_region} (check --id / CRUDDUR_RDS_INSTANCE, and the region)"
    printf '%s\n' "$st"
}

# rds_wait_status ID WANT FAIL_STATUS...: asks for the status every $rds_poll seconds
# until it is WANT; dies when it becomes one of FAIL_STATUS or after $rds_wait_max
# seconds. For the states that aws has no waiter of (stopped).
rds_wait_status() {
    local id="$1" want="$2" st bad deadline
    shift 2
    deadline=$((SECONDS + rds_wait_max))
    while :; do
        st="$(rds_status "$id")"
        [[ "$st" == "$want" ]] && return 0
        for bad in "$@"; do
            [[ "$st" != "$bad" ]] || rds_die "$id became '$st' while waiting for '$want'"
        done
        (( SECONDS < deadline )) ||
            rds_die "$id is still '$st' after ${rds_wait_max} s of waiting for '$want' (CRUDDUR_RDS_WAIT_SECONDS)"
        sleep "$rds_poll"
    done
}

# rds_wait_available ID: aws's own waiter (every 30 s, up to 30 minutes; it fails at once
# on deleting, failed and the incompatible-* states).
rds_wait_available() {
    rds_aws rds wait db-instance-available --db-instance-identifier "$1" ||
        rds_fail "aws rds wait db-instance-available failed for $1 (it did not become available)"
}
