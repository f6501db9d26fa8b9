"""Mutation operators for the advisory (medium) cloud and edge rules: aws-rds-resilience, aws-redis-ha,
aws-secrets-cmk, azure-pg-resilience and edge-error-pages.

A medium finding does not fail the gate by itself; the harness asserts the intended finding, with the
defect named (field and value), and a score below 100. Each defect comes in several spellings: a number
too small, a boolean as a string, a field removed, the setting on one replica only, another resource
type of the same service (Aurora, MemoryDB), and for the error pages every place a body can come from
(a file, an inline string, a redirect URL, an ALB fixed response, an Application Gateway page URL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, of_type, on, set_input

AWS_STACKS = ("production", "staging")
PRODUCTION = ("production",)
AZURE = ("production-azure",)
HAPROXY_STACKS = ("production", "staging", "production-azure", "local")
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SECRET = "aws:secretsmanager/secret:Secret"
PG = "azure-native:dbforpostgresql:Server"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
LISTENER = "aws:lb/listener:Listener"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
AWS_KEY = "alias/aws/rds"
KMS_ARN = "arn:aws:kms:eu-west-3:123456789012:key/4a364c71-66ca-4261-8bd6-be4a5137a312"


def removed(resource: dict[str, Any], path: tuple[str | int, ...], _: Any = None) -> str:
    """Deletes the value at `path` (inputs and outputs alike)."""
    for side in ("inputs", "outputs"):
        node: Any = resource.get(side) or {}
        for key in path[:-1]:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return str(resource["urn"])


def _aurora(cluster: dict[str, Any], member: dict[str, Any] | None = None) -> Callable[[Export], str]:
    """Adds an Aurora PostgreSQL cluster (and one member) that is sound but for the given changes; the cluster's
    URN, or the member's when `member` changes are given, must be flagged."""

    def apply(export: Export) -> str:
        sound = {"engine": "aurora-postgresql", "storageEncrypted": True, "kmsKeyId": KMS_ARN,
                 "backupRetentionPeriod": 14, "deletionProtection": True,
                 "enabledCloudwatchLogsExports": ["postgresql"], "manageMasterUserPassword": True,
                 "iamDatabaseAuthenticationEnabled": True, "masterUsername": "orchestrator_app"}
        urn = add_resource(export, "aws:rds/cluster:Cluster", "reporting-aurora", {**sound, **cluster})
        instance = {"clusterIdentifier": "reporting-aurora", "engine": "aurora-postgresql", "instanceClass": "db.r6g.large",
                    "publiclyAccessible": False, "performanceInsightsEnabled": True,
                    "performanceInsightsKmsKeyId": KMS_ARN, "autoMinorVersionUpgrade": True}
        member_urn = add_resource(export, "aws:rds/clusterInstance:ClusterInstance", "reporting-aurora-1",
                                  {**instance, **(member or {})})
        return member_urn if member else urn

    return apply


def _memorydb(inputs: dict[str, Any]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        sound = {"nodeType": "db.r7g.large", "tlsEnabled": True, "aclName": "orchestrator-acl", "kmsKeyArn": KMS_ARN,
                 "numShards": 3, "numReplicasPerShard": 1, "snapshotRetentionLimit": 7}
        return add_resource(export, "aws:memorydb/cluster:Cluster", "sessions-memorydb", {**sound, **inputs})
    return apply


def _redis(changes: dict[str, Any], drop: tuple[str, ...] = ()) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        group = first(export, REDIS)
        for key, value in changes.items():
            set_input(group, (key,), value)
        for key in drop:
            removed(group, (key,))
        return str(group["urn"])
    return apply


def _secret_replica(replica: dict[str, Any]) -> Callable[[Export], str]:
    return on(SECRET, "database-master", ("replicas",), [replica])


# --- edge ---------------------------------------------------------------------------------------

HTTPS_FRONTEND = "frontend public_https\n"
DEFAULT_BACKEND = "    default_backend app\n"


def _edge_configmap(export: Export) -> dict[str, Any]:
    for configmap in of_type(export, CONFIGMAP):
        text = (configmap.get("inputs", {}).get("data") or {}).get("haproxy.cfg")
        if isinstance(text, str) and HTTPS_FRONTEND in text:
            return configmap
    raise KeyError("no HAProxy ConfigMap")


def _config(change: Callable[[str], str]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        configmap = _edge_configmap(export)
        text = configmap["inputs"]["data"]["haproxy.cfg"]
        changed = change(text)
        assert changed != text, "the operator changed nothing"
        return set_input(configmap, ("data", "haproxy.cfg"), changed)
    return apply


def _page(name: str, body: str) -> Callable[[Export], str]:
    """Replaces the error page file `name` the ConfigMap carries."""
    def apply(export: Export) -> str:
        configmap = _edge_configmap(export)
        assert name in configmap["inputs"]["data"], name
        return set_input(configmap, ("data", name), body)
    return apply


def _drop_lines(fragment: str) -> Callable[[str], str]:
    return lambda text: "\n".join(line for line in text.split("\n") if fragment not in line)


def _before_backend(line: str) -> Callable[[str], str]:
    """Adds `line` to the public HTTPS frontend, just before its default backend."""
    return lambda text: text.replace(DEFAULT_BACKEND, f"    {line}\n{DEFAULT_BACKEND}", 1)


def _sub(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)
    return change


def _listener_rule(actions: list[dict[str, Any]]) -> Callable[[Export], str]:
    """Adds an ALB listener rule on the HTTPS listener."""
    def apply(export: Export) -> str:
        https = first(export, LISTENER, "front-door-https")
        arn = "arn:aws:elasticloadbalancing:eu-west-3:123456789012:listener/app/front-door-alb/3f45f7543a2ced95/1a2b3c"
        return add_resource(export, "aws:lb/listenerRule:ListenerRule", "front-door-maintenance", {
            "listenerArn": arn, "priority": 10, "actions": actions,
            "conditions": [{"pathPattern": {"values": ["/maintenance*"]}}]}, parent=https.get("parent"))
    return apply


def _fixed(body: str, status: str = "503") -> list[dict[str, Any]]:
    return [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "messageBody": body,
                                                          "statusCode": status}}]


def _gateway_pages(configs: list[dict[str, Any]], listener: int | None = None) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        gateway = first(export, APP_GATEWAY)
        if listener is None:
            return set_input(gateway, ("customErrorConfigurations",), configs)
        return set_input(gateway, ("httpListeners", listener, "customErrorConfigurations"), configs)
    return apply


def _pg_zone_same(export: Export) -> str:
    primary = first(export, PG, "database-primary")
    return set_input(primary, ("highAvailability", "standbyAvailabilityZone"), primary["inputs"]["availabilityZone"])


def _pg_replica_elsewhere(export: Export) -> str:
    replica = first(export, PG, "database-replica-2")
    set_input(replica, ("sourceServerResourceId",), "/subscriptions/0/resourceGroups/other/providers/"
              "Microsoft.DBforPostgreSQL/flexibleServers/other-primary")
    replica["propertyDependencies"] = {}
    return str(first(export, PG, "database-primary")["urn"])


R = "aws-rds-resilience"
H = "aws-redis-ha"
S = "aws-secrets-cmk"
P = "azure-pg-resilience"
E = "edge-error-pages"

OPERATORS: list[Mutation] = [
    # aws-rds-resilience: every requirement, on the primary, on one replica, and on Aurora.
    Mutation("medium-rds-backup-retention-1", R, on(RDS, "primary", ("backupRetentionPeriod",), 1), AWS_STACKS,
             "backupRetentionPeriod is 1 (<"),
    Mutation("medium-rds-backup-retention-string", R, on(RDS, "primary", ("backupRetentionPeriod",), "3"), AWS_STACKS,
             'backupRetentionPeriod is "3"'),
    Mutation("medium-rds-backup-retention-unset", R, on(RDS, "primary", ("backupRetentionPeriod",), None, removed),
             AWS_STACKS, "backupRetentionPeriod is unset"),
    Mutation("medium-rds-multiaz-off", R, on(RDS, "primary", ("multiAz",), False), AWS_STACKS, "multiAz is false"),
    Mutation("medium-rds-multiaz-string", R, on(RDS, "primary", ("multiAz",), "false"), AWS_STACKS,
             'multiAz is "false"'),
    Mutation("medium-rds-deletion-protection-off", R, on(RDS, "primary", ("deletionProtection",), False), PRODUCTION,
             "deletionProtection is false (production)"),
    Mutation("medium-rds-deletion-protection-off-one-replica", R, on(RDS, "replica-2", ("deletionProtection",), None,
                                                                    removed), PRODUCTION,
             "deletionProtection is unset (production)"),
    Mutation("medium-rds-insights-aws-key", R, on(RDS, "primary", ("performanceInsightsKmsKeyId",), AWS_KEY), AWS_STACKS,
             "performanceInsightsKmsKeyId alias/aws/rds is an AWS-managed key"),
    Mutation("medium-rds-insights-aws-key-arn-replica", R,
             on(RDS, "replica-1", ("performanceInsightsKmsKeyId",), "arn:aws:kms:eu-west-3:123456789012:alias/aws/rds"),
             AWS_STACKS, "alias/aws/rds is an AWS-managed key"),
    Mutation("medium-rds-insights-key-unset", R, on(RDS, "primary", ("performanceInsightsKmsKeyId",), None, removed),
             AWS_STACKS, "performanceInsightsKmsKeyId is unset"),
    Mutation("medium-rds-insights-off", R, on(RDS, "replica-1", ("performanceInsightsEnabled",), False), AWS_STACKS,
             "performanceInsightsEnabled is false"),
    Mutation("medium-rds-minor-upgrades-off", R, on(RDS, "primary", ("autoMinorVersionUpgrade",), False), AWS_STACKS,
             "autoMinorVersionUpgrade is false"),
    Mutation("medium-rds-logs-upgrade-only", R, on(RDS, "primary", ("enabledCloudwatchLogsExports",), ["upgrade"]),
             AWS_STACKS, "postgresql log is not exported"),
    Mutation("medium-rds-aurora-backup-retention-1", R, _aurora({"backupRetentionPeriod": 1}), AWS_STACKS,
             "backupRetentionPeriod is 1"),
    Mutation("medium-rds-aurora-deletion-protection-off", R, _aurora({"deletionProtection": False}), PRODUCTION,
             "deletionProtection is false (production)"),
    Mutation("medium-rds-aurora-member-insights-aws-key", R, _aurora({}, {"performanceInsightsKmsKeyId": "alias/aws/rds"}),
             AWS_STACKS, "performanceInsightsKmsKeyId alias/aws/rds is an AWS-managed key"),
    # aws-redis-ha: shards, replicas, failover, Multi-AZ, snapshots, cluster mode; MemoryDB alike.
    Mutation("medium-redis-two-node-groups", H, _redis({"numNodeGroups": 2}), AWS_STACKS, "numNodeGroups is 2"),
    Mutation("medium-redis-zero-replicas", H, _redis({"replicasPerNodeGroup": 0}), AWS_STACKS,
             "replicasPerNodeGroup is 0 (no replica per shard)"),
    Mutation("medium-redis-failover-off", H, _redis({"automaticFailoverEnabled": False}), AWS_STACKS,
             "automaticFailoverEnabled is false"),
    Mutation("medium-redis-failover-string", H, _redis({"automaticFailoverEnabled": "false"}), AWS_STACKS,
             'automaticFailoverEnabled is "false"'),
    Mutation("medium-redis-multiaz-off", H, _redis({"multiAzEnabled": False}), AWS_STACKS, "multiAzEnabled is false"),
    Mutation("medium-redis-no-snapshots", H, _redis({"snapshotRetentionLimit": 0}), AWS_STACKS,
             "snapshotRetentionLimit is 0"),
    Mutation("medium-redis-cluster-mode-compatible", H, _redis({"clusterMode": "compatible"}), AWS_STACKS,
             'clusterMode is "compatible"'),
    Mutation("medium-redis-single-shard-primary-replica", H,
             _redis({"clusterMode": "disabled", "parameterGroupName": "default.valkey8", "numCacheClusters": 2},
                    drop=("numNodeGroups", "replicasPerNodeGroup")), AWS_STACKS, 'clusterMode is "disabled"'),
    Mutation("medium-redis-memorydb-one-shard", H, _memorydb({"numShards": 1}), AWS_STACKS, "numShards is 1"),
    Mutation("medium-redis-memorydb-no-replicas", H, _memorydb({"numReplicasPerShard": 0}), AWS_STACKS,
             "numReplicasPerShard is 0"),
    # aws-secrets-cmk: the AWS-managed key in every spelling, a replica region without a key, no recovery window.
    Mutation("medium-secret-aws-managed-alias", S, on(SECRET, "database-master", ("kmsKeyId",), "alias/aws/secretsmanager"),
             AWS_STACKS, "kmsKeyId alias/aws/secretsmanager is an AWS-managed key"),
    Mutation("medium-secret-aws-managed-alias-arn", S,
             on(SECRET, "cache-auth", ("kmsKeyId",), "arn:aws:kms:eu-west-3:123456789012:alias/aws/secretsmanager"),
             AWS_STACKS, "alias/aws/secretsmanager is an AWS-managed key"),
    Mutation("medium-secret-key-unset", S, on(SECRET, "database-master", ("kmsKeyId",), None, removed), AWS_STACKS,
             "no customer-managed kmsKeyId (kmsKeyId unset)"),
    Mutation("medium-secret-key-empty", S, on(SECRET, "monitoring-opensearch-master", ("kmsKeyId",), ""), AWS_STACKS,
             "no customer-managed kmsKeyId"),
    Mutation("medium-secret-no-recovery-window", S, on(SECRET, "database-master", ("recoveryWindowInDays",), 0),
             AWS_STACKS, "recoveryWindowInDays is 0"),
    Mutation("medium-secret-replica-without-key", S, _secret_replica({"region": "eu-west-1"}), AWS_STACKS,
             "replicas[0] (eu-west-1) has no customer-managed kmsKeyId"),
    Mutation("medium-secret-replica-aws-key", S,
             _secret_replica({"region": "eu-west-1", "kmsKeyId": "alias/aws/secretsmanager"}), AWS_STACKS,
             "replicas[0] (eu-west-1) kmsKeyId alias/aws/secretsmanager is an AWS-managed key"),
    # azure-pg-resilience: geo backup, zone-redundant HA (also a standby in the primary's zone), retention, replicas.
    Mutation("medium-pg-geo-backup-disabled", P, on(PG, "primary", ("backup", "geoRedundantBackup"), "Disabled"), AZURE,
             "backup.geoRedundantBackup is Disabled"),
    Mutation("medium-pg-geo-backup-unset", P, on(PG, "primary", ("backup", "geoRedundantBackup"), None, removed), AZURE,
             "backup.geoRedundantBackup is unset"),
    Mutation("medium-pg-ha-same-zone", P, on(PG, "primary", ("highAvailability", "mode"), "SameZone"), AZURE,
             "highAvailability.mode is SameZone"),
    Mutation("medium-pg-ha-removed", P, on(PG, "primary", ("highAvailability",), None, removed), AZURE,
             "highAvailability.mode is unset"),
    Mutation("medium-pg-ha-standby-in-primary-zone", P, _pg_zone_same, AZURE,
             "standbyAvailabilityZone 1 is the primary's availabilityZone"),
    Mutation("medium-pg-backup-retention-3", P, on(PG, "primary", ("backup", "backupRetentionDays"), 3), AZURE,
             "backup.backupRetentionDays is 3"),
    Mutation("medium-pg-one-replica", P, _pg_replica_elsewhere, AZURE, "the primary has 1 replica(s); need 2"),
    # edge-error-pages: pages missing, and every place a page can reveal the inside.
    Mutation("medium-error-page-503-missing", E, _config(_drop_lines("errorfile 503 ")), HAPROXY_STACKS,
             "has no custom page for 503"),
    Mutation("medium-error-pages-all-missing", E, _config(_drop_lines("errorfile ")), HAPROXY_STACKS,
             "has no custom page for 400, 403, 408, 429, 500, 502, 503, 504"),
    Mutation("medium-error-pages-lost-to-later-defaults", E,
             _config(_sub("frontend public_http\n", "defaults plain\n    mode http\n\nfrontend public_http\n")),
             HAPROXY_STACKS, "has no custom page for 400"),
    Mutation("medium-error-page-names-software", E,
             _page("503.http", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n"
                   "<h1>503</h1><p>nginx/1.25.3</p>"), HAPROXY_STACKS, "reveals backend details: software 'nginx'"),
    Mutation("medium-error-page-server-header", E,
             _page("502.http", "HTTP/1.1 502 Bad Gateway\r\nX-Powered-By: Express\r\n\r\nBad gateway"), HAPROXY_STACKS,
             "reveals backend details: a header naming the software 'X-Powered-By:'"),
    Mutation("medium-error-page-internal-host", E,
             _page("504.http", "HTTP/1.1 504 Gateway Timeout\r\n\r\norchestrator-blue.orchestrator.svc.cluster.local "
                   "did not answer"), HAPROXY_STACKS, "reveals backend details: an internal host name"),
    Mutation("medium-error-page-stack-trace", E,
             _page("500.http", "HTTP/1.1 500 Internal Server Error\r\n\r\nTraceback (most recent call last):\n"
                   '  File "app.py", line 3'), HAPROXY_STACKS, "reveals backend details: a stack trace"),
    Mutation("medium-error-inline-log-format-backend", E,
             _config(_before_backend('http-error status 503 content-type text/plain lf-string "backend %b server %s down"')),
             HAPROXY_STACKS, "reveals backend details"),
    Mutation("medium-error-inline-server-address", E,
             _config(_before_backend('http-error status 502 content-type text/plain lf-string "no answer from %si:%sp"')),
             HAPROXY_STACKS, "reveals backend details: a log-format field naming the backend '%si'"),
    Mutation("medium-error-errorloc-private-address", E,
             _config(_before_backend("errorloc302 503 http://10.50.3.17:8080/maintenance.html")), HAPROXY_STACKS,
             "reveals backend details: a private address '10.50.3.17'"),
    Mutation("medium-error-return-hostname", E,
             _config(_before_backend('http-request return status 200 content-type text/plain lf-string "%[hostname]" '
                                     "if { path /whoami }")), HAPROXY_STACKS,
             "reveals backend details: a log-format field naming the backend '%[hostname'"),
    Mutation("medium-error-alb-fixed-response-leaks", E,
             _listener_rule(_fixed("maintenance: upstream 10.50.3.17 (gunicorn) is down")), AWS_STACKS,
             "fixedResponse.messageBody"),
    Mutation("medium-error-alb-default-fixed-response", E,
             on(LISTENER, "front-door-https", ("defaultActions",), _fixed("Traceback: worker crashed", "500")),
             AWS_STACKS, "defaultActions[0] fixedResponse.messageBody (Traceback: worker crashed) reveals backend details"),
    Mutation("medium-error-appgw-page-on-backend-address", E,
             _gateway_pages([{"statusCode": "HttpStatus502", "customErrorPageUrl": "http://10.60.63.245/errors/502.html"}]),
             AZURE, "customErrorConfigurations HttpStatus502 customErrorPageUrl http://10.60.63.245/errors/502.html "
                    "reveals backend details: a private address"),
    Mutation("medium-error-appgw-listener-page-internal-host", E,
             _gateway_pages([{"statusCode": "HttpStatus403",
                              "customErrorPageUrl": "https://edge.orchestrator.svc.cluster.local/403.html"}], listener=0),
             AZURE, "httpListeners 'https'.customErrorConfigurations HttpStatus403 customErrorPageUrl"),
]
