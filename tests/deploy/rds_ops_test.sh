#!/usr/bin/env bash
# tests/deploy/rds_ops_test.sh - deploy/rds/{stop-instance,start-instance,
# create-read-replica,endpoint} against the real AWS CLI and tests/deploy/aws_recorder.py
# (the setup of tests/deploy/rds_test.sh, shared through tests/deploy/rds_lib.sh).
#
# What it proves:
#   stop-instance        available: StopDBInstance, then DescribeDBInstances until the
#                        recorder says stopped (its own poll: the CLI has no
#                        db-instance-stopped waiter); stopped: nothing sent; --no-wait: no
#                        poll; creating: exit 1, no stop; unknown instance: exit 1.
#   start-instance       stopped: StartDBInstance, then aws rds wait db-instance-available
#                        and the endpoint; available: nothing sent; stopping: waits for
#                        stopped, then starts.
#   create-read-replica  CreateDBInstanceReadReplica with the primary's security groups,
#                        class, port and public setting, its env tag; again: reported, no
#                        second replica; a stopped primary or a replica as source: exit 1,
#                        nothing created; --wait waits for available.
#   endpoint             prints the primary's and the replicas' endpoints; --write makes a
#                        mode 0600 file whose PROD_CONNECTION_URL / REPLICA_CONNECTION_URL
#                        (env format, sourced here) or db / db-replica lines (config format)
#                        name them, with the password percent-encoded, which arrived from
#                        the environment or a 0600 file and was on no command line and
#                        printed nowhere; a replica still being created is left out;
#                        --password is refused.
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" deploy
# shellcheck source=tests/deploy/rds_lib.sh
source "$src/tests/deploy/rds_lib.sh"

stop="$src/deploy/rds/stop-instance"
start="$src/deploy/rds/start-instance"
replica="$src/deploy/rds/create-read-replica"
endpoint_sh="$src/deploy/rds/endpoint"
export CRUDDUR_RDS_POLL_SECONDS=0.1 CRUDDUR_RDS_WAIT_SECONDS=20

sg="sg-0a1b2c3d4e5f60718"
sg2="sg-0f0e0d0c0b0a09080"
host_of() { printf '%s.abcdefghijkl.ca-central-1.rds.amazonaws.com' "$1"; }

# ==========================================================================================
echo "== stop-instance"
start_recorder stop '{"settle_describes": 2, "instances": {
  "cruddur-db-instance": {"groups": ["'"$sg"'"], "status": "available"},
  "cruddur-new": {"groups": ["'"$sg"'"], "status": "creating"}}}'
run_capture s1 "$stop" --endpoint-url "$endpoint"
show_on_fail 0
expect_eq "stop-instance exits 0" "$rc" 0
expect_eq "describe, stop, then describes until stopped" "$(rq 'acts')" \
    '["DescribeDBInstances", "StopDBInstance", "DescribeDBInstances", "DescribeDBInstances", "DescribeDBInstances"]'
expect_eq "the stop names the default instance" "$(rq "param('StopDBInstance', 'DBInstanceIdentifier')")" cruddur-db-instance
expect_eq "it says so" "$out" "stopped: cruddur-db-instance"
run_capture s2 "$stop" --endpoint-url "$endpoint"
expect_eq "again: exits 0" "$rc" 0
expect_match "again: says it is stopped already" "$out" "unchanged: cruddur-db-instance is already stopped"
expect_eq "again: no second stop" "$(rq 'acts.count("StopDBInstance")')" 1
run_capture s3 "$stop" --endpoint-url "$endpoint" --id cruddur-new
expect_eq "a creating instance: exit 1" "$rc" 1
expect_match "a creating instance: says why" "$err" "*cruddur-new is 'creating'*"
expect_eq "a creating instance: no stop sent" "$(rq 'acts.count("StopDBInstance")')" 1
run_capture s4 "$stop" --endpoint-url "$endpoint" --id no-such-db
expect_eq "an unknown instance: exit 1" "$rc" 1
expect_match "an unknown instance: clear error" "$err" "*no RDS instance 'no-such-db'*"
run_capture s5 "$stop" --endpoint-url "$endpoint" --id 'bad_id'
expect_eq "a bad identifier: exit 2" "$rc" 2
start_recorder stop-nowait '{"instances": {"cruddur-db-instance": {"groups": ["'"$sg"'"]}}}'
run_capture s6 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" "$stop" --no-wait
expect_eq "--no-wait exits 0" "$rc" 0
expect_eq "--no-wait: describe and stop only" "$(rq 'acts')" '["DescribeDBInstances", "StopDBInstance"]'
run_capture s7 "$stop" --help
expect_match "--help has examples" "$out" "*Examples:*deploy/rds/stop-instance*"

# ==========================================================================================
echo "== start-instance"
start_recorder start '{"instances": {
  "cruddur-db-instance": {"groups": ["'"$sg"'"], "status": "stopped"},
  "cruddur-busy": {"groups": ["'"$sg"'"], "status": "stopping", "target": "stopped", "settle": 2}}}'
run_capture t1 "$start" --endpoint-url "$endpoint"
show_on_fail 0
expect_eq "start-instance exits 0" "$rc" 0
expect_eq "describe, start, the waiter's describe, the endpoint's" "$(rq 'acts')" \
    '["DescribeDBInstances", "StartDBInstance", "DescribeDBInstances", "DescribeDBInstances"]'
expect_eq "the start names the default instance" "$(rq "param('StartDBInstance', 'DBInstanceIdentifier')")" cruddur-db-instance
expect_eq "prints the endpoint once available" "$out" "available: cruddur-db-instance at $(host_of cruddur-db-instance):5432"
run_capture t2 "$start" --endpoint-url "$endpoint"
expect_eq "again: exits 0" "$rc" 0
expect_match "again: says it is available already" "$out" "unchanged: cruddur-db-instance is already available"
expect_eq "again: no second start" "$(rq 'acts.count("StartDBInstance")')" 1
run_capture t3 "$start" --endpoint-url "$endpoint" --id cruddur-busy
show_on_fail 0
expect_eq "a stopping instance: exits 0" "$rc" 0
expect_eq "a stopping instance: started once it was stopped" \
    "$(rq "[r['action'] for r in recs if r['params'].get('DBInstanceIdentifier') == 'cruddur-busy'][:4]")" \
    '["DescribeDBInstances", "DescribeDBInstances", "DescribeDBInstances", "StartDBInstance"]'
expect_match "a stopping instance: available in the end" "$out" "available: cruddur-busy at *"

# ==========================================================================================
echo "== create-read-replica"
primary_state='"cruddur-db-instance": {"groups": ["'"$sg"'", "'"$sg2"'"], "class": "db.t3.small",
    "port": 5433, "public": true, "tags": {"project": "cruddur", "env": "prod"}}'
start_recorder replica '{"instances": {'"$primary_state"',
  "cruddur-off": {"groups": ["'"$sg"'"], "status": "stopped"}}}'
run_capture p1 "$replica" --endpoint-url "$endpoint" --wait
show_on_fail 0
expect_eq "create-read-replica exits 0" "$rc" 0
expect_eq "describe primary, create, wait, endpoint" "$(rq 'acts')" \
    '["DescribeDBInstances", "CreateDBInstanceReadReplica", "DescribeDBInstances", "DescribeDBInstances"]'
for kv in DBInstanceIdentifier=cruddur-db-instance-replica-1 \
          SourceDBInstanceIdentifier=cruddur-db-instance DBInstanceClass=db.t3.small \
          Port=5433 PubliclyAccessible=true; do
    expect_eq "replica ${kv%%=*}" "$(rq "param('CreateDBInstanceReadReplica', '${kv%%=*}')")" "${kv#*=}"
done
expect_eq "replica: the primary's security groups" \
    "$(rq "sorted(v for k, v in last('CreateDBInstanceReadReplica')['params'].items() if k.startswith('VpcSecurityGroupIds.'))")" \
    "[\"$sg\", \"$sg2\"]"
expect_eq "replica: tagged with the primary's env and name" \
    "$(rq "{last('CreateDBInstanceReadReplica')['params'][k]: last('CreateDBInstanceReadReplica')['params'][k[:-3] + 'Value'] for k in last('CreateDBInstanceReadReplica')['params'] if k.endswith('.Key')}")" \
    '{"project": "cruddur", "env": "prod", "replica-of": "cruddur-db-instance"}'
expect_match "prints the replica's endpoint" "$out" "*endpoint: $(host_of cruddur-db-instance-replica-1):5433"
run_capture p2 "$replica" --endpoint-url "$endpoint"
show_on_fail 0
expect_eq "again: exits 0" "$rc" 0
expect_match "again: says the replica exists" "$out" "unchanged: replica cruddur-db-instance-replica-1 of cruddur-db-instance exists already: available"
expect_eq "again: one replica created in all" \
    "$(rq "sum(1 for r in recs if r['action'] == 'CreateDBInstanceReadReplica' and r['status'] == 200)")" 1
run_capture p3 "$replica" --endpoint-url "$endpoint" --source cruddur-off
expect_eq "a stopped primary: exit 1" "$rc" 1
expect_match "a stopped primary: says why" "$err" "*'cruddur-off' is 'stopped'*start-instance*"
run_capture p4 "$replica" --endpoint-url "$endpoint" --source cruddur-db-instance-replica-1 --id r2
expect_eq "a replica as source: exit 1" "$rc" 1
expect_match "a replica as source: says why" "$err" "*itself a replica of 'cruddur-db-instance'*"
expect_eq "refusals: nothing more was sent to create" "$(rq 'acts.count("CreateDBInstanceReadReplica")')" 2
run_capture p5 "$replica" --endpoint-url "$endpoint" --id cruddur-db-instance
expect_eq "the primary's own name: exit 2" "$rc" 2

# ==========================================================================================
echo "== endpoint"
# A password with characters a URL must encode, and a random part nothing else holds.
password="p@ss:w/rd%#?&'x$RANDOM$RANDOM"
printf '%s\n' "$password" >"$work/db-password"
chmod 600 "$work/db-password"
start_recorder endpoint '{"instances": {
  "cruddur-db-instance": {"groups": ["'"$sg"'"], "port": 5432, "dbname": "cruddur",
      "user": "cruddurroot", "replicas": ["cruddur-r1", "cruddur-r2", "cruddur-r3"]},
  "cruddur-r1": {"groups": ["'"$sg"'"], "port": 5432, "source": "cruddur-db-instance"},
  "cruddur-r2": {"groups": ["'"$sg"'"], "port": 5440, "source": "cruddur-db-instance"},
  "cruddur-r3": {"groups": ["'"$sg"'"], "status": "creating", "source": "cruddur-db-instance"}}}'
run_capture e1 "$endpoint_sh" --endpoint-url "$endpoint"
show_on_fail 0
expect_eq "endpoint exits 0" "$rc" 0
expect_eq "prints the primary and the replicas with endpoints" "$out" \
"primary cruddur-db-instance $(host_of cruddur-db-instance):5432 available
replica cruddur-r1 $(host_of cruddur-r1):5432 available
replica cruddur-r2 $(host_of cruddur-r2):5440 available"
expect_match "says the creating replica is left out" "$err" "*cruddur-r3 is 'creating' and has no endpoint yet*"
[[ ! -e "$work/urls.env" ]] || fail "a file was written without --write"

# env format, the password from a 0600 file, checked against /proc while in flight.
mkdir -p "$work/etc"
echo "old" >"$work/etc/urls.env"
chmod 644 "$work/etc/urls.env"
RECORDER_SECRET="$password" start_recorder endpoint-file "$(cat "$work/endpoint.state.json")"
run_capture e2 "$endpoint_sh" --endpoint-url "$endpoint" --write "$work/etc/urls.env" \
    --master-password-file "$work/db-password"
show_on_fail 0
expect_eq "endpoint --write exits 0" "$rc" 0
expect_eq "the file is mode 0600" "$(stat -c %a "$work/etc/urls.env")" 600
expect_eq "no temporary file left beside it" "$(find "$work/etc" -name '.urls.env.*' | wc -l)" 0
expect_eq "no process had the password in argv or environ while aws ran" \
    "$(rq "sorted(set(h for r in recs for h in r.get('secret_in_proc', [])))")" '[]'
if grep -qF -- "$password" "$work/e2.out" "$work/e2.err"; then
    fail "the password was printed"
else
    ok "the password was not printed"
fi
# decode URL: user, password, host, port, path and query of a libpq URL.
decode() {
    python3 -c '
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(p.scheme, u.unquote(p.username or ""), u.unquote(p.password or ""), p.hostname, p.port, p.path, p.query, sep="|")' "$1"
}
(
    set -a
    # shellcheck disable=SC1091
    . "$work/etc/urls.env"
    printf '%s\n' "$PROD_CONNECTION_URL" >"$work/prod-url"
    printf '%s\n' "$REPLICA_CONNECTION_URL" >"$work/replica-urls"
    printf '%s\n' "$PROD_REPLICA_CONNECTION_URL" >"$work/prod-replica-urls"
)
expect_eq "PROD_CONNECTION_URL names the primary, the password intact" "$(decode "$(cat "$work/prod-url")")" \
    "postgresql|cruddurroot|$password|$(host_of cruddur-db-instance)|5432|/cruddur|sslmode=require"
IFS=, read -r -a rurls <"$work/replica-urls"
expect_eq "REPLICA_CONNECTION_URL: two URLs" "${#rurls[@]}" 2
expect_eq "the first replica's URL" "$(decode "${rurls[0]}")" \
    "postgresql|cruddurroot|$password|$(host_of cruddur-r1)|5432|/cruddur|sslmode=require"
expect_eq "the second replica's URL" "$(decode "${rurls[1]:-}")" \
    "postgresql|cruddurroot|$password|$(host_of cruddur-r2)|5440|/cruddur|sslmode=require"
expect_eq "PROD_REPLICA_CONNECTION_URL is the same list" "$(cat "$work/prod-replica-urls")" "$(cat "$work/replica-urls")"
unset RECORDER_SECRET

# config format, the password from the environment, a CA bundle.
run_capture e3 env CRUDDUR_RDS_MASTER_PASSWORD="$password" "$endpoint_sh" --endpoint-url "$endpoint" \
    --write "$work/etc/prod.conf" --format config --sslrootcert /etc/cruddur/rds.pem --id cruddur-db-instance
show_on_fail 0
expect_eq "endpoint --format config exits 0" "$rc" 0
expect_eq "the config file is mode 0600" "$(stat -c %a "$work/etc/prod.conf")" 600
expect_eq "config: a db line and a db-replica line a replica" \
    "$(grep -v '^#' "$work/etc/prod.conf" | sed 's/ = .*//' | tr '\n' ' ')" "db db-replica db-replica "
expect_eq "config: the db URL, verify-full with the bundle" \
    "$(decode "$(sed -n 's/^db = //p' "$work/etc/prod.conf")")" \
    "postgresql|cruddurroot|$password|$(host_of cruddur-db-instance)|5432|/cruddur|sslmode=verify-full&sslrootcert=%2Fetc%2Fcruddur%2Frds.pem"
if [[ -x "$bin/cruddurd" ]]; then
    # cruddurd reads the file (it stops at --version after reading --config).
    if "$bin/cruddurd" --config "$work/etc/prod.conf" --version >/dev/null 2>"$work/cfg.err"; then
        ok "cruddurd --config takes the file"
    else
        fail "cruddurd --config refuses the file: $(cat "$work/cfg.err")"
    fi
fi

# no password: none in the URL (libpq's PGPASSFILE gives it)
run_capture e4 "$endpoint_sh" --endpoint-url "$endpoint" --write "$work/etc/nopw.env"
expect_eq "without a password exits 0" "$rc" 0
expect_match "without a password: none in the URL" "$(grep '^PROD_CONNECTION_URL' "$work/etc/nopw.env")" \
    "PROD_CONNECTION_URL='postgresql://cruddurroot@$(host_of cruddur-db-instance):5432/cruddur?sslmode=require'"
run_capture e5 "$endpoint_sh" --endpoint-url "$endpoint" --password "$password"
expect_eq "--password is refused (exit 2)" "$rc" 2
run_capture e6 "$endpoint_sh" --endpoint-url "$endpoint" --id no-such-db
expect_eq "an unknown instance: exit 1" "$rc" 1
expect_match "an unknown instance: clear error" "$err" "*no RDS instance 'no-such-db'*"
start_recorder endpoint-creating '{"instances": {"cruddur-db-instance": {"status": "creating"}}}'
run_capture e7 "$endpoint_sh" --endpoint-url "$endpoint" --write "$work/etc/none.env"
expect_eq "a primary with no endpoint yet: exit 1" "$rc" 1
if [[ -e "$work/etc/none.env" ]]; then
    fail "a file was written for a primary with no endpoint"
else
    ok "a primary with no endpoint yet: no file"
fi
run_capture e8 "$endpoint_sh" --help
expect_match "--help has examples" "$out" "*Examples:*deploy/rds/endpoint --id cruddur-prod*"

stop_recorder
finish
