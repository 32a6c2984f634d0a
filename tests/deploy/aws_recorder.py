#!/usr/bin/env python3
"""tests/deploy/aws_recorder.py - a loopback stand-in for the AWS RDS and EC2 APIs.

The deploy/rds scripts are tested with the real `aws` CLI, pointed at this server with
--endpoint-url. The CLI validates every parameter against its service models, signs the
request and sends it; this server records what arrives and answers with canned XML that
the CLI can parse. It never talks to anything but the client on 127.0.0.1.

    aws_recorder.py --port-file FILE --log FILE [--state FILE] [--checkip ADDRESS]

  --port-file FILE  written (atomically) with the port once listening on 127.0.0.1:<free port>
  --log FILE        one JSON object a line per request:
                      {"service": "rds"|"ec2"|..., "action": "CreateDBInstance",
                       "params": {"DBInstanceIdentifier": "...", ...},
                       "status": 200, "secret_in_body": false,
                       "secret_in_proc": []}
  --state FILE      JSON: the world the API describes (default: empty)
                      {"instances": {"<db id>": {"groups": ["sg-..."], "port": 5432,
                                                 "status": "available", "class": "...",
                                                 "public": false, "tags": {"env": "dev"},
                                                 "replicas": ["<db id>"], "source": "<db id>"}},
                       "settle_describes": 0,
                       "rules": [{"SecurityGroupRuleId": "sgr-...", "GroupId": "sg-...",
                                  "IsEgress": false, "IpProtocol": "tcp",
                                  "FromPort": 5432, "ToPort": 5432,
                                  "CidrIpv4": "198.51.100.7/32", "Description": "..."}]}

Both the AWS query protocol (RDS: form-encoded `Action=...&Version=...`, list members
`X.member.N`) and the EC2 protocol (the same, list members `X.N`) are form-encoded POSTs,
so one handler serves both; the service name comes from the SigV4 credential scope.
Requests change the state as AWS would: ModifySecurityGroupRules rewrites the rule,
AuthorizeSecurityGroupIngress adds one (InvalidPermission.Duplicate when the same CIDR is
already allowed), CreateDBInstance adds the instance (DBInstanceAlreadyExists when it is
there), CreateDBInstanceReadReplica adds a replica of an available source,
StopDBInstance (of an available instance) and StartDBInstance (of a stopped one) change
its status (InvalidDBInstanceState otherwise). A change that takes time on AWS (creating,
stopping, starting) shows its passing status in the first "settle_describes" (default 0)
DescribeDBInstances of that instance after the change, its final one (available, stopped)
from then on: `aws rds wait` polls every 30 s, so with 0 its first poll succeeds, and a
test of a script's own polling loop sets more. An instance still "creating" has no
Endpoint, as on AWS. An action it does not know gets HTTP 400 InvalidAction, so a test sees it. With
--checkip ADDRESS, `GET /checkip` answers ADDRESS, as https://checkip.amazonaws.com would.

When the environment has RECORDER_SECRET, every request is checked for it: in the body
(`secret_in_body`: in a decoded parameter) and in the command line and environment of every process it can read
under /proc, except itself (`secret_in_proc`: a list of "pid:cmdline" or "pid:environ").
That is how a test proves that a password travelled only inside a request body: at the
moment the request arrives the `aws` process that sent it is still alive, waiting.
"""

import argparse
import json
import os
import re
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
ACCOUNT = "123456789012"

RDS_ACTIONS = {"CreateDBInstance", "DescribeDBInstances", "CreateDBInstanceReadReplica",
               "StopDBInstance", "StartDBInstance"}
EC2_ACTIONS = {"DescribeSecurityGroupRules", "ModifySecurityGroupRules",
               "AuthorizeSecurityGroupIngress"}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def x(value):
    """XML text of a value: booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def scan_proc(secret):
    """Processes (other than this one) whose cmdline or environ hold the secret."""
    hits = []
    needle = secret.encode()
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{name}/{what}", "rb") as f:
                    data = f.read()
            except OSError:
                continue  # gone, or not ours to read
            if needle in data:
                hits.append(f"{name}:{what}")
    return hits


def list_values(params, prefix):
    """Values of an EC2-protocol list `prefix.N` or query-protocol `prefix.member.N`."""
    pat = re.compile(re.escape(prefix) + r"\.(?:member\.)?(\d+)$")
    found = sorted((int(m.group(1)), v) for k, v in params.items() if (m := pat.match(k)))
    return [v for _, v in found]


class World:
    """The state the API describes; one lock, held for a whole request."""

    def __init__(self, state):
        self.lock = threading.Lock()
        self.instances = dict(state.get("instances", {}))
        self.rules = [dict(r) for r in state.get("rules", [])]
        self.next_rule = 1
        self.settle = int(state.get("settle_describes", 0))

    # --- RDS ---------------------------------------------------------------------------
    def db_instance_xml(self, ident, inst):
        groups = "".join(
            "<VpcSecurityGroupMembership><VpcSecurityGroupId>%s</VpcSecurityGroupId>"
            "<Status>active</Status></VpcSecurityGroupMembership>" % x(g)
            for g in inst.get("groups", []))
        secret = ""
        if inst.get("managed_secret"):
            secret = ("<MasterUserSecret><SecretArn>arn:aws:secretsmanager:ca-central-1:%s:"
                      "secret:rds!db-%s</SecretArn><SecretStatus>creating</SecretStatus>"
                      "</MasterUserSecret>" % (ACCOUNT, x(ident)))
        status = inst.get("status", "available")
        endpoint = ""
        if status != "creating":
            endpoint = ("<Endpoint><Address>%s.abcdefghijkl.ca-central-1.rds.amazonaws.com"
                        "</Address><Port>%s</Port></Endpoint>") % (x(ident),
                                                                  x(inst.get("port", 5432)))
        replicas = "".join(
            "<ReadReplicaDBInstanceIdentifier>%s</ReadReplicaDBInstanceIdentifier>" % x(r)
            for r in inst.get("replicas", []))
        source = ""
        if inst.get("source"):
            source = ("<ReadReplicaSourceDBInstanceIdentifier>%s"
                      "</ReadReplicaSourceDBInstanceIdentifier>") % x(inst["source"])
        tags = "".join("<Tag><Key>%s</Key><Value>%s</Value></Tag>" % (x(k), x(v))
                       for k, v in inst.get("tags", {}).items())
        return ("<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier>"
                "<DBInstanceClass>%s</DBInstanceClass><Engine>%s</Engine>"
                "<EngineVersion>%s</EngineVersion>"
                "<DBInstanceStatus>%s</DBInstanceStatus><MasterUsername>%s</MasterUsername>"
                "<DBName>%s</DBName>%s"
                "<PubliclyAccessible>%s</PubliclyAccessible>"
                "<VpcSecurityGroups>%s</VpcSecurityGroups>%s"
                "<ReadReplicaDBInstanceIdentifiers>%s</ReadReplicaDBInstanceIdentifiers>%s"
                "<TagList>%s</TagList></DBInstance>") % (
                    x(ident), x(inst.get("class", "db.t3.micro")),
                    x(inst.get("engine", "postgres")), x(inst.get("version", "15.4")),
                    x(status), x(inst.get("user", "cruddurroot")),
                    x(inst.get("dbname", "cruddur")), endpoint,
                    x(inst.get("public", False)), groups, secret, replicas, source, tags)

    def begin(self, inst, passing, final):
        """A change that takes time: `passing` now, `final` after the settle describes."""
        inst["status"] = passing
        inst["target"] = final
        inst["settle"] = self.settle

    @staticmethod
    def advance(inst):
        """One DescribeDBInstances of inst: a change in progress moves on."""
        if "target" not in inst:
            return
        if inst["settle"] > 0:
            inst["settle"] -= 1
        else:
            inst["status"] = inst.pop("target")
            inst.pop("settle", None)

    def instance(self, ident):
        if ident not in self.instances:
            raise ApiError(404, "DBInstanceNotFound", f"DBInstance {ident} not found.")
        return self.instances[ident]

    @staticmethod
    def tags(p):
        tags, n = {}, 1
        while f"Tags.Tag.{n}.Key" in p:
            tags[p[f"Tags.Tag.{n}.Key"]] = p.get(f"Tags.Tag.{n}.Value", "")
            n += 1
        return tags

    def describe_db_instances(self, p):
        ident = p.get("DBInstanceIdentifier")
        if ident is not None:
            if ident not in self.instances:
                raise ApiError(404, "DBInstanceNotFound", f"DBInstance {ident} not found.")
            items = [(ident, self.instances[ident])]
        else:
            items = sorted(self.instances.items())
        for _, inst in items:
            self.advance(inst)
        body = "".join(self.db_instance_xml(i, v) for i, v in items)
        return f"<DBInstances>{body}</DBInstances>"

    def create_db_instance(self, p):
        ident = p["DBInstanceIdentifier"]
        if ident in self.instances:
            raise ApiError(400, "DBInstanceAlreadyExists",
                           f"DB instance already exists: {ident}")
        inst = {
            "groups": list_values(p, "VpcSecurityGroupIds") or ["sg-0defa017defa017de"],
            "port": int(p.get("Port", 5432)),
            "class": p.get("DBInstanceClass"), "engine": p.get("Engine"),
            "status": "creating", "user": p.get("MasterUsername", ""),
            "dbname": p.get("DBName", ""), "public": p.get("PubliclyAccessible") == "true",
            "managed_secret": p.get("ManageMasterUserPassword") == "true",
            "version": p.get("EngineVersion", "15.4"), "tags": self.tags(p),
        }
        self.instances[ident] = inst
        out = self.db_instance_xml(ident, inst)
        self.begin(inst, "creating", "available")
        return out

    def create_db_instance_read_replica(self, p):
        ident = p["DBInstanceIdentifier"]
        src_id = p["SourceDBInstanceIdentifier"]
        src = self.instance(src_id)
        if ident in self.instances:
            raise ApiError(400, "DBInstanceAlreadyExists",
                           f"DB instance already exists: {ident}")
        if src.get("status", "available") != "available":
            raise ApiError(400, "InvalidDBInstanceState",
                           f"DB instance {src_id} is not in available state.")
        inst = {
            # Without VpcSecurityGroupIds, RDS gives the replica the VPC's default group.
            "groups": list_values(p, "VpcSecurityGroupIds") or ["sg-0defa017defa017de"],
            "port": int(p.get("Port", src.get("port", 5432))),
            "class": p.get("DBInstanceClass", src.get("class", "db.t3.micro")),
            "engine": src.get("engine", "postgres"), "status": "creating",
            "user": src.get("user", "cruddurroot"), "dbname": src.get("dbname", "cruddur"),
            "public": p.get("PubliclyAccessible") == "true", "source": src_id,
            "tags": self.tags(p),
        }
        self.instances[ident] = inst
        src.setdefault("replicas", []).append(ident)
        out = self.db_instance_xml(ident, inst)
        self.begin(inst, "creating", "available")
        return out

    def change_state(self, p, need, passing, final):
        """StopDBInstance / StartDBInstance: from `need` through `passing` to `final`."""
        ident = p["DBInstanceIdentifier"]
        inst = self.instance(ident)
        status = inst.get("status", "available")
        if status != need:
            raise ApiError(400, "InvalidDBInstanceState",
                           f"Instance {ident} is {status}, not {need}.")
        self.begin(inst, passing, final)
        return self.db_instance_xml(ident, inst)

    def stop_db_instance(self, p):
        return self.change_state(p, "available", "stopping", "stopped")

    def start_db_instance(self, p):
        return self.change_state(p, "stopped", "starting", "available")

    # --- EC2 ---------------------------------------------------------------------------
    @staticmethod
    def rule_xml(r):
        parts = ["<item>"]
        for key, tag in (("SecurityGroupRuleId", "securityGroupRuleId"),
                         ("GroupId", "groupId"), ("IsEgress", "isEgress"),
                         ("IpProtocol", "ipProtocol"), ("FromPort", "fromPort"),
                         ("ToPort", "toPort"), ("CidrIpv4", "cidrIpv4"),
                         ("CidrIpv6", "cidrIpv6"), ("Description", "description")):
            if r.get(key) is not None:
                parts.append(f"<{tag}>{x(r[key])}</{tag}>")
        parts.append(f"<groupOwnerId>{ACCOUNT}</groupOwnerId></item>")
        return "".join(parts)

    def describe_security_group_rules(self, p):
        rules = self.rules
        n = 1
        while f"Filter.{n}.Name" in p:
            name = p[f"Filter.{n}.Name"]
            values = set(list_values(p, f"Filter.{n}.Value"))
            key = {"group-id": "GroupId", "security-group-rule-id": "SecurityGroupRuleId"}.get(name)
            if key is None:
                raise ApiError(400, "InvalidParameterValue", f"unknown filter {name}")
            rules = [r for r in rules if r.get(key) in values]
            n += 1
        ids = set(list_values(p, "SecurityGroupRuleId"))
        if ids:
            rules = [r for r in rules if r["SecurityGroupRuleId"] in ids]
        items = "".join(self.rule_xml(r) for r in rules)
        return f"<securityGroupRuleSet>{items}</securityGroupRuleSet>"

    def duplicate(self, group, proto, lo, hi, cidr, skip=None):
        return any(r is not skip and r["GroupId"] == group and not r.get("IsEgress")
                   and r.get("IpProtocol") == proto and r.get("FromPort") == lo
                   and r.get("ToPort") == hi and r.get("CidrIpv4") == cidr
                   for r in self.rules)

    def modify_security_group_rules(self, p):
        group = p["GroupId"]
        n = 1
        while f"SecurityGroupRule.{n}.SecurityGroupRuleId" in p:
            rid = p[f"SecurityGroupRule.{n}.SecurityGroupRuleId"]
            rule = next((r for r in self.rules
                         if r["SecurityGroupRuleId"] == rid and r["GroupId"] == group), None)
            if rule is None:
                raise ApiError(400, "InvalidSecurityGroupRuleId.NotFound",
                               f"The security group rule ID '{rid}' does not exist")
            pre = f"SecurityGroupRule.{n}.SecurityGroupRule."
            new = dict(rule)
            for key, conv in (("IpProtocol", str), ("FromPort", int), ("ToPort", int),
                              ("CidrIpv4", str), ("Description", str)):
                if pre + key in p:
                    new[key] = conv(p[pre + key])
            if self.duplicate(group, new["IpProtocol"], new["FromPort"], new["ToPort"],
                              new.get("CidrIpv4"), skip=rule):
                raise ApiError(400, "InvalidPermission.Duplicate",
                               "the specified rule already exists")
            rule.update(new)
            n += 1
        return "<return>true</return>"

    def authorize_security_group_ingress(self, p):
        group = p["GroupId"]
        added = []
        n = 1
        while f"IpPermissions.{n}.IpProtocol" in p:
            pre = f"IpPermissions.{n}."
            proto = p[pre + "IpProtocol"]
            lo, hi = int(p.get(pre + "FromPort", -1)), int(p.get(pre + "ToPort", -1))
            m = 1
            while f"{pre}IpRanges.{m}.CidrIp" in p:
                cidr = p[f"{pre}IpRanges.{m}.CidrIp"]
                if self.duplicate(group, proto, lo, hi, cidr):
                    raise ApiError(400, "InvalidPermission.Duplicate",
                                   f"the specified rule \"peer: {cidr}, TCP, from port: "
                                   f"{lo}, to port: {hi}, ALLOW\" already exists")
                rule = {"SecurityGroupRuleId": "sgr-0add%013d" % self.next_rule,
                        "GroupId": group, "IsEgress": False, "IpProtocol": proto,
                        "FromPort": lo, "ToPort": hi, "CidrIpv4": cidr,
                        "Description": p.get(f"{pre}IpRanges.{m}.Description")}
                self.next_rule += 1
                self.rules.append(rule)
                added.append(rule)
                m += 1
            n += 1
        items = "".join(self.rule_xml(r) for r in added)
        return f"<return>true</return><securityGroupRuleSet>{items}</securityGroupRuleSet>"


def make_handler(world, log_path, secret, checkip):
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep ctest output clean
            pass

        def reply(self, status, body):
            data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            # A stand-in for https://checkip.amazonaws.com: the public IP, one line.
            if self.path == "/checkip" and checkip:
                data = (checkip + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with log_lock, open(log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"service": "checkip", "action": "GET",
                                        "params": {}, "status": 200}) + "\n")
                return
            self.reply(400, "<Response><Errors><Error><Code>InvalidAction</Code>"
                            "<Message>only POST</Message></Error></Errors></Response>")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            action = params.pop("Action", "")
            params.pop("Version", None)
            m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request",
                          self.headers.get("Authorization", ""))
            service = m.group(1) if m else ("rds" if action in RDS_ACTIONS else
                                            "ec2" if action in EC2_ACTIONS else "")
            rid = str(uuid.uuid4())
            record = {"service": service, "action": action, "params": params}
            if secret:
                record["secret_in_body"] = any(secret in v for v in params.values())
                record["secret_in_proc"] = scan_proc(secret)
            try:
                with world.lock:
                    body = self.dispatch(service, action, params)
                status = 200
                if service == "rds":
                    text = (f'<{action}Response xmlns="{RDS_NS}"><{action}Result>{body}'
                            f"</{action}Result><ResponseMetadata><RequestId>{rid}"
                            f"</RequestId></ResponseMetadata></{action}Response>")
                else:
                    text = (f'<{action}Response xmlns="{EC2_NS}"><requestId>{rid}</requestId>'
                            f"{body}</{action}Response>")
            except ApiError as e:
                status = e.status
                record["error"] = e.code
                if service == "rds":
                    text = (f'<ErrorResponse xmlns="{RDS_NS}"><Error><Type>Sender</Type>'
                            f"<Code>{x(e.code)}</Code><Message>{x(e.message)}</Message>"
                            f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
                else:
                    text = (f"<Response><Errors><Error><Code>{x(e.code)}</Code>"
                            f"<Message>{x(e.message)}</Message></Error></Errors>"
                            f"<RequestID>{rid}</RequestID></Response>")
            except (KeyError, ValueError) as e:
                status = 400
                record["error"] = f"MissingParameter {e}"
                text = (f"<Response><Errors><Error><Code>MissingParameter</Code>"
                        f"<Message>{x(e)}</Message></Error></Errors></Response>")
            record["status"] = status
            with log_lock, open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, sort_keys=True) + "\n")
            self.reply(status, text)

        @staticmethod
        def dispatch(service, action, p):
            table = {
                ("rds", "CreateDBInstance"): world.create_db_instance,
                ("rds", "DescribeDBInstances"): world.describe_db_instances,
                ("rds", "CreateDBInstanceReadReplica"): world.create_db_instance_read_replica,
                ("rds", "StopDBInstance"): world.stop_db_instance,
                ("rds", "StartDBInstance"): world.start_db_instance,
                ("ec2", "DescribeSecurityGroupRules"): world.describe_security_group_rules,
                ("ec2", "ModifySecurityGroupRules"): world.modify_security_group_rules,
                ("ec2", "AuthorizeSecurityGroupIngress"):
                    world.authorize_security_group_ingress,
            }
            fn = table.get((service, action))
            if fn is None:
                raise ApiError(400, "InvalidAction",
                               f"the recorder does not implement {service} {action}")
            return fn(p)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--state")
    ap.add_argument("--checkip", help="answer GET /checkip with this address")
    args = ap.parse_args()

    state = {}
    if args.state:
        with open(args.state, encoding="utf-8") as f:
            state = json.load(f)
    world = World(state)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 make_handler(world, args.log, os.environ.get("RECORDER_SECRET"),
                                              args.checkip))
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
