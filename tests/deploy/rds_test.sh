#!/usr/bin/env bash
# tests/deploy/rds_test.sh - deploy/rds/create-instance and deploy/rds/update-sg-rule
# against the real AWS CLI.
#
# The CLI (Debian's awscli, /usr/bin/aws) is pointed with --endpoint-url (or the scripts'
# CRUDDUR_AWS_ENDPOINT_URL) at tests/deploy/aws_recorder.py on 127.0.0.1:<free port>. The
# CLI checks every parameter against its service models and signs the request; the recorder
# writes down what arrives and answers as RDS and EC2 would. Credentials are fake, config
# files are /dev/null, proxies are off: nothing leaves the loopback interface.
#
# What it proves:
#   create-instance  the defaults that reach RDS (postgres, db.t3.micro, 20 GiB gp3,
#                    encrypted, Performance Insights 7 days, port 5432, cruddur,
#                    cruddurroot, backups 7 days, not public, RDS-managed password, no
#                    deletion protection for dev); --env prod turns deletion protection on;
#                    flags beat environment beat defaults; with --master-password-file the
#                    password arrives in the request body but is in no process's argv or
#                    environment while the request is in flight (the recorder scans /proc
#                    then), the aws argv holds only --cli-input-json file://..., that file
#                    is mode 0600 and gone afterwards; --dry-run sends nothing and prints
#                    no secret; refused options exit 2; an instance that exists is
#                    reported (exit 0), not an error.
#   update-sg-rule   rule found: one ModifySecurityGroupRules for the right rule id with
#                    CidrIpv4=<ip>/32, decoys untouched; again: nothing sent (idempotent);
#                    rule missing: AuthorizeSecurityGroupIngress, then idempotent; CIDR
#                    already there: nothing sent; several groups: the one holding the rule;
#                    unknown instance: exit 1 with a clear message and no EC2 call;
#                    --ip-url lookup; --dry-run changes nothing.
#
# Environment: CRUDDUR_SOURCE_DIR (default: two levels up from here), CRUDDUR_TEST_AWS
# (the aws to use; default /usr/bin/aws, else aws on PATH). Exit 0 pass, 1 fail.
set -euo pipefail
# shellcheck source=tests/support/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh" deploy

create="$src/deploy/rds/create-instance"
update="$src/deploy/rds/update-sg-rule"
# shellcheck source=tests/deploy/rds_lib.sh
source "$src/tests/deploy/rds_lib.sh"

# ==========================================================================================
echo "== create-instance: defaults (RDS-managed password)"
start_recorder create-defaults '{}'
run_capture c1 "$create" --endpoint-url "$endpoint"
show_on_fail 0
expect_eq "create-instance exits 0" "$rc" 0
expect_eq "one request, CreateDBInstance" "$(rq 'acts')" '["CreateDBInstance"]'
expect_eq "the request reached rds" "$(rq 'last("CreateDBInstance")["service"]')" rds
for kv in DBInstanceIdentifier=cruddur-db-instance Engine=postgres EngineVersion=15 \
          DBInstanceClass=db.t3.micro AllocatedStorage=20 StorageType=gp3 \
          StorageEncrypted=true EnablePerformanceInsights=true \
          PerformanceInsightsRetentionPeriod=7 Port=5432 DBName=cruddur \
          MasterUsername=cruddurroot BackupRetentionPeriod=7 MultiAZ=false \
          PubliclyAccessible=false DeletionProtection=false ManageMasterUserPassword=true \
          CopyTagsToSnapshot=true Tags.Tag.2.Key=env Tags.Tag.2.Value=dev; do
    expect_eq "default ${kv%%=*}" "$(rq "param('CreateDBInstance', '${kv%%=*}')")" "${kv#*=}"
done
expect_eq "no MasterUserPassword sent" "$(rq "param('CreateDBInstance', 'MasterUserPassword')")" '<absent>'
expect_eq "no AvailabilityZone pinned" "$(rq "param('CreateDBInstance', 'AvailabilityZone')")" '<absent>'
expect_match "prints the managed secret's ARN" "$out" "*master password: RDS-managed secret arn:aws:secretsmanager:*"

# ==========================================================================================
echo "== create-instance: --env prod with --master-password-file"
# A password with a backslash (JSON escaping) and a random part (nothing else holds it).
password="Cr\\ud-d0r#t3st!$RANDOM$RANDOM"
printf '%s\n' "$password" >"$work/master-password"
chmod 600 "$work/master-password"
# The wrapper becomes the real aws (exec: same process, same argv) after noting its argv
# and the mode of the --cli-input-json file.
cat >"$work/aws-wrapper" <<EOF
#!/usr/bin/env bash
printf '%s\\0' "\$@" >"$work/aws-argv"
for a in "\$@"; do
    case "\$a" in file://*) stat -c '%a' -- "\${a#file://}" >"$work/json-mode"; printf '%s' "\${a#file://}" >"$work/json-path" ;; esac
done
exec "$aws" "\$@"
EOF
chmod 700 "$work/aws-wrapper"
RECORDER_SECRET="$password" start_recorder create-prod '{}'
run_capture c2 env CRUDDUR_AWS="$work/aws-wrapper" CRUDDUR_AWS_ENDPOINT_URL="$endpoint" \
    "$create" --env prod --id cruddur-prod --master-password-file "$work/master-password"
show_on_fail 0
expect_eq "create-instance --env prod exits 0" "$rc" 0
expect_eq "one request, CreateDBInstance" "$(rq 'acts')" '["CreateDBInstance"]'
expect_eq "prod: DeletionProtection=true" "$(rq "param('CreateDBInstance', 'DeletionProtection')")" true
expect_eq "prod: identifier" "$(rq "param('CreateDBInstance', 'DBInstanceIdentifier')")" cruddur-prod
expect_eq "prod: env tag" "$(rq "param('CreateDBInstance', 'Tags.Tag.2.Value')")" prod
expect_eq "prod: still not public" "$(rq "param('CreateDBInstance', 'PubliclyAccessible')")" false
expect_eq "password file: no ManageMasterUserPassword" \
    "$(rq "param('CreateDBInstance', 'ManageMasterUserPassword')")" '<absent>'
if [[ "$(rq "param('CreateDBInstance', 'MasterUserPassword')")" == "$password" ]]; then
    ok "the password from the file arrived in the request body, intact"
else
    fail "MasterUserPassword in the request is not the file's password"
fi
expect_eq "the recorder saw the password in the body" "$(rq 'last("CreateDBInstance")["secret_in_body"]')" true
expect_eq "no process had the password in argv or environ while the request was in flight" \
    "$(rq 'last("CreateDBInstance")["secret_in_proc"]')" '[]'
if [[ -s "$work/aws-argv" ]]; then
    if grep -qF -- "$password" "$work/aws-argv"; then
        fail "the password is in the aws argv"
    else
        ok "the password is not in the aws argv"
    fi
    if tr '\0' '\n' <"$work/aws-argv" | grep -qx -- '--cli-input-json'; then
        ok "aws got --cli-input-json"
    else
        fail "aws did not get --cli-input-json"
    fi
else
    fail "the aws wrapper did not run"
fi
expect_eq "the --cli-input-json file was mode 0600" "$(cat "$work/json-mode" 2>/dev/null || echo none)" 600
if [[ -s "$work/json-path" && ! -e "$(cat "$work/json-path")" ]]; then
    ok "the --cli-input-json file is removed after the run"
else
    fail "the --cli-input-json file was not created or is still there"
fi
if grep -qF -- "$password" "$work/c2.out" "$work/c2.err"; then
    fail "the password was printed"
else
    ok "the password was not printed"
fi
unset RECORDER_SECRET

# ==========================================================================================
echo "== create-instance: flags beat environment beat defaults"
start_recorder create-overrides '{}'
run_capture c3 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" CRUDDUR_RDS_STORAGE_TYPE=gp2 \
    CRUDDUR_RDS_CLASS=db.t4g.micro CRUDDUR_RDS_ENV=prod CRUDDUR_RDS_INSTANCE=cruddur-env \
    "$create" --class db.t3.small --public --no-deletion-protection \
    --backup-retention 3 --no-performance-insights --storage 30
show_on_fail 0
expect_eq "create-instance with overrides exits 0" "$rc" 0
for kv in DBInstanceIdentifier=cruddur-env StorageType=gp2 DBInstanceClass=db.t3.small \
          PubliclyAccessible=true DeletionProtection=false BackupRetentionPeriod=3 \
          EnablePerformanceInsights=false AllocatedStorage=30 Tags.Tag.2.Value=prod \
          PerformanceInsightsRetentionPeriod='<absent>'; do
    expect_eq "override ${kv%%=*}" "$(rq "param('CreateDBInstance', '${kv%%=*}')")" "${kv#*=}"
done
run_capture c4 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" "$create" --id cruddur-nb --no-backups
expect_eq "--no-backups (dev) exits 0" "$rc" 0
expect_eq "--no-backups sends BackupRetentionPeriod=0" "$(rq "param('CreateDBInstance', 'BackupRetentionPeriod')")" 0
run_capture c5 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" "$create" --id cruddur-nb --no-backups
show_on_fail 0
expect_eq "create-instance of an instance that exists exits 0" "$rc" 0
expect_match "it says the instance exists" "$out" "unchanged: instance cruddur-nb exists already: available*"
expect_eq "it asked to create, then described" "$(rq 'acts[-2:]')" '["CreateDBInstance", "DescribeDBInstances"]'
expect_eq "still one instance cruddur-nb created" \
    "$(rq "sum(1 for r in recs if r['action'] == 'CreateDBInstance' and r.get('status') == 200 and r['params']['DBInstanceIdentifier'] == 'cruddur-nb')")" 1

# ==========================================================================================
echo "== create-instance: refusals and --dry-run"
start_recorder create-refusals '{}'
run_capture r1 "$create" --endpoint-url "$endpoint" --master-password "Secret123"
expect_eq "--master-password is refused (exit 2)" "$rc" 2
run_capture r2 "$create" --endpoint-url "$endpoint" --master-user-password=Secret123
expect_eq "--master-user-password= is refused (exit 2)" "$rc" 2
run_capture r3 "$create" --endpoint-url "$endpoint" --env prod --no-backups
expect_eq "--env prod --no-backups is refused (exit 2)" "$rc" 2
run_capture r4 "$create" --endpoint-url "$endpoint" --storage-type sc1
expect_eq "--storage-type sc1 is refused (exit 2)" "$rc" 2
printf 'bad"pass word\n' >"$work/bad-password"
chmod 600 "$work/bad-password"
run_capture r5 "$create" --endpoint-url "$endpoint" --master-password-file "$work/bad-password"
expect_eq "a password RDS would refuse is refused (exit 1)" "$rc" 1
run_capture r6 "$create" --endpoint-url "$endpoint" --master-password-file "$work/master-password" --dry-run
expect_eq "--dry-run exits 0" "$rc" 0
expect_match "--dry-run prints the aws command" "$out" "*rds create-db-instance *--storage-encrypted*"
expect_match "--dry-run names the password file, not the password" "$out" "*--cli-input-json file://<temporary 0600 file*"
if grep -qF -- "$password" "$work/r6.out" "$work/r6.err"; then
    fail "--dry-run printed the password"
else
    ok "--dry-run printed no password"
fi
run_capture r7 "$create" --help
expect_eq "--help exits 0" "$rc" 0
expect_match "--help has examples" "$out" "*Examples:*deploy/rds/create-instance --dry-run*"
expect_eq "refusals and --dry-run sent nothing" "$(rq 'acts')" '[]'

# ==========================================================================================
sg="sg-0a1b2c3d4e5f60718"
sg2="sg-0f0e0d0c0b0a09080"
ip=203.0.113.7
# rule JSON: rule ID GROUP CIDR DESCRIPTION [PORT] [EGRESS]
rule() {
    printf '{"SecurityGroupRuleId": "%s", "GroupId": "%s", "IsEgress": %s, "IpProtocol": "tcp", "FromPort": %s, "ToPort": %s, "CidrIpv4": "%s", "Description": "%s"}' \
        "$1" "$2" "${6:-false}" "${5:-5432}" "${5:-5432}" "$3" "$4"
}
decoys="$(rule sgr-0000000000000off1 "$sg" 198.51.100.4/32 office),
 $(rule sgr-00000000000000ssh "$sg" 198.51.100.9/32 'cruddur dev' 22),
 $(rule sgr-000000000000egres "$sg" 198.51.100.9/32 'cruddur dev' 5432 true),
 $(rule sgr-00000000000other "sg-0999999999999999a" 198.51.100.9/32 'cruddur dev')"
instance() { printf '"%s": {"groups": [%s], "port": 5432}' "$1" "$2"; }

echo "== update-sg-rule: the rule exists"
start_recorder sg-found "{\"instances\": {$(instance cruddur-db-instance "\"$sg\"")},
  \"rules\": [$decoys, $(rule sgr-0123456789abcdef0 "$sg" 198.51.100.9/32 'cruddur dev')]}"
run_capture u1 "$update" --endpoint-url "$endpoint" --ip "$ip"
show_on_fail 0
expect_eq "update-sg-rule exits 0" "$rc" 0
expect_eq "requests: describe instance, describe rules, modify" "$(rq 'acts')" \
    '["DescribeDBInstances", "DescribeSecurityGroupRules", "ModifySecurityGroupRules"]'
expect_eq "DescribeDBInstances for the default instance" \
    "$(rq "param('DescribeDBInstances', 'DBInstanceIdentifier')")" cruddur-db-instance
expect_eq "rules filtered by the instance's group" \
    "$(rq "[param('DescribeSecurityGroupRules', 'Filter.1.Name'), param('DescribeSecurityGroupRules', 'Filter.1.Value.1')]")" \
    "[\"group-id\", \"$sg\"]"
expect_eq "modify: the right group" "$(rq "param('ModifySecurityGroupRules', 'GroupId')")" "$sg"
expect_eq "modify: the right rule id" \
    "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRuleId')")" sgr-0123456789abcdef0
expect_eq "modify: CidrIpv4=<ip>/32" \
    "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRule.CidrIpv4')")" "$ip/32"
expect_eq "modify: tcp/5432" \
    "$(rq "[param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRule.' + k) for k in ('IpProtocol', 'FromPort', 'ToPort')]")" \
    '["tcp", "5432", "5432"]'
expect_eq "modify: description kept" \
    "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRule.Description')")" 'cruddur dev'
expect_eq "modify: only one rule in the request" \
    "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.2.SecurityGroupRuleId')")" '<absent>'
expect_match "says what it changed" "$out" "modified: $sg rule sgr-0123456789abcdef0: tcp/5432 from 198.51.100.9/32 -> $ip/32"
run_capture u2 "$update" --endpoint-url "$endpoint" --ip "$ip"
expect_eq "second run exits 0" "$rc" 0
expect_eq "second run sends no modify (idempotent)" \
    "$(rq 'acts.count("ModifySecurityGroupRules") + acts.count("AuthorizeSecurityGroupIngress")')" 1
expect_match "second run says nothing changed" "$out" "unchanged: *$ip/32*sgr-0123456789abcdef0*"
run_capture u3 "$update" --endpoint-url "$endpoint" --ip 203.0.113.8 --dry-run
expect_eq "--dry-run exits 0" "$rc" 0
expect_match "--dry-run says what it would do" "$out" "would modify: $sg rule sgr-0123456789abcdef0*-> 203.0.113.8/32*"
expect_eq "--dry-run sends no modify" "$(rq 'acts.count("ModifySecurityGroupRules")')" 1

echo "== update-sg-rule: the rule is missing"
start_recorder sg-missing "{\"instances\": {$(instance cruddur-db-instance "\"$sg\"")},
  \"rules\": [$decoys]}"
run_capture u4 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" "$update" --ip "$ip"
show_on_fail 0
expect_eq "update-sg-rule exits 0" "$rc" 0
expect_eq "requests: describe instance, describe rules, authorize" "$(rq 'acts')" \
    '["DescribeDBInstances", "DescribeSecurityGroupRules", "AuthorizeSecurityGroupIngress"]'
expect_eq "authorize: the instance's group" "$(rq "param('AuthorizeSecurityGroupIngress', 'GroupId')")" "$sg"
expect_eq "authorize: tcp/5432 from <ip>/32, described" \
    "$(rq "[param('AuthorizeSecurityGroupIngress', 'IpPermissions.1.' + k) for k in ('IpProtocol', 'FromPort', 'ToPort', 'IpRanges.1.CidrIp', 'IpRanges.1.Description')]")" \
    "[\"tcp\", \"5432\", \"5432\", \"$ip/32\", \"cruddur dev\"]"
expect_match "says what it added" "$out" "added: $sg rule sgr-*: tcp/5432 from $ip/32 \"cruddur dev\""
run_capture u5 env CRUDDUR_AWS_ENDPOINT_URL="$endpoint" "$update" --ip "$ip"
expect_eq "second run exits 0" "$rc" 0
expect_eq "second run sends no change (idempotent)" \
    "$(rq 'acts.count("ModifySecurityGroupRules") + acts.count("AuthorizeSecurityGroupIngress")')" 1

echo "== update-sg-rule: the CIDR is already there"
start_recorder sg-same "{\"instances\": {$(instance cruddur-db-instance "\"$sg\"")},
  \"rules\": [$decoys, $(rule sgr-0123456789abcdef0 "$sg" "$ip/32" 'cruddur dev')]}"
run_capture u6 "$update" --endpoint-url "$endpoint" --ip "$ip"
show_on_fail 0
expect_eq "update-sg-rule exits 0" "$rc" 0
expect_eq "only the two describes" "$(rq 'acts')" '["DescribeDBInstances", "DescribeSecurityGroupRules"]'
expect_match "says nothing changed" "$out" "unchanged: $sg already allows tcp/5432 from $ip/32*"

echo "== update-sg-rule: two security groups, CRUDDUR_RDS_INSTANCE"
start_recorder sg-two "{\"instances\": {$(instance cruddur-dev-2 "\"$sg\", \"$sg2\"")},
  \"rules\": [$decoys, $(rule sgr-0222222222222222b "$sg2" 198.51.100.9/32 'cruddur dev')]}"
run_capture u7 env CRUDDUR_RDS_INSTANCE=cruddur-dev-2 "$update" --endpoint-url "$endpoint" --ip "$ip"
show_on_fail 0
expect_eq "update-sg-rule exits 0" "$rc" 0
expect_eq "CRUDDUR_RDS_INSTANCE names the instance" \
    "$(rq "param('DescribeDBInstances', 'DBInstanceIdentifier')")" cruddur-dev-2
expect_eq "rules of both groups asked for" \
    "$(rq "[param('DescribeSecurityGroupRules', 'Filter.1.Value.1'), param('DescribeSecurityGroupRules', 'Filter.1.Value.2')]")" \
    "[\"$sg\", \"$sg2\"]"
expect_eq "modify in the second group" "$(rq "param('ModifySecurityGroupRules', 'GroupId')")" "$sg2"
expect_eq "modify the rule found there" \
    "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRuleId')")" sgr-0222222222222222b

echo "== update-sg-rule: the instance does not exist"
start_recorder sg-none "{\"instances\": {$(instance cruddur-db-instance "\"$sg\"")}, \"rules\": []}"
run_capture u8 "$update" --endpoint-url "$endpoint" --ip "$ip" --id no-such-db
expect_eq "unknown instance exits 1" "$rc" 1
expect_match "clear error" "$err" "*no RDS instance 'no-such-db'*"
expect_eq "no EC2 request" "$(rq 'acts')" '["DescribeDBInstances"]'

echo "== update-sg-rule: the IP looked up, and bad input"
if command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1; then
    start_recorder sg-lookup "{\"instances\": {$(instance cruddur-db-instance "\"$sg\"")},
      \"rules\": [$(rule sgr-0123456789abcdef0 "$sg" 198.51.100.9/32 'cruddur dev')]}" \
        --checkip 192.0.2.44
    run_capture u9 "$update" --endpoint-url "$endpoint" --ip-url "$endpoint/checkip"
    show_on_fail 0
    expect_eq "update-sg-rule with --ip-url exits 0" "$rc" 0
    expect_eq "the looked-up IP is used" \
        "$(rq "param('ModifySecurityGroupRules', 'SecurityGroupRule.1.SecurityGroupRule.CidrIpv4')")" 192.0.2.44/32
else
    echo "skip: --ip-url lookup (neither curl nor wget installed)"
fi
run_capture u10 "$update" --endpoint-url "$endpoint" --ip 300.1.2.3
expect_eq "--ip 300.1.2.3 is refused (exit 2)" "$rc" 2
run_capture u11 "$update" --endpoint-url "$endpoint" --ip "$ip" --description 'say "hi"'
expect_eq "a description EC2 would refuse is refused (exit 2)" "$rc" 2
run_capture u12 "$update" --help
expect_match "--help has examples" "$out" "*Examples:*deploy/rds/update-sg-rule --ip 203.0.113.7 --dry-run*"

stop_recorder
finish
