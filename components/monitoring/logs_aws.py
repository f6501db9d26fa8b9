"""AWS: an Amazon OpenSearch Service domain for logs (and Jaeger's spans).

VPC-only in the data subnets, reachable on 443 from the EKS cluster security group alone; encrypted
at rest with the platform CMK and node to node; HTTPS enforced with a TLS 1.2+ PFS policy;
fine-grained access control with a generated master user kept in Secrets Manager. Retention is an
ISM policy rendered from `monitoring.logs.retentionDays` (docs/logs.md applies it once).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.cluster.aws import EksFoundation
from components.config import StackConfig
from components.conventions import PROJECT
from components.monitoring.logs import LOGS_DATASOURCE_UID, SLOT_ATTRIBUTE, LogStore
from components.monitoring.tracing import OpenSearchAccess
from components.network.aws import cluster_only_security_group
from components.secrets.aws import stored_secret

ENGINE_VERSION = "OpenSearch_2.19"
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
MASTER_USER = "orchestrator-admin"
CREDENTIALS_SECRET = "opensearch-credentials"
"""Kubernetes Secret (monitoring namespace) the shipper and Jaeger read the domain's credentials from."""
LOG_INDEX_PREFIX = "logs-orchestrator"
PORT = 443


def domain_name(stack: str) -> str:
    """3-28 characters, lower case, starting with a letter (the service's rule)."""
    return f"orchestrator-{stack}"[:28].rstrip("-")


def zone_count(instances: int, subnets: int) -> int:
    """Zone awareness needs the node count to be a multiple of the zone count."""
    for zones in (3, 2):
        if zones <= subnets and instances % zones == 0:
            return zones
    return 1


def ism_policy(retention_days: int) -> dict[str, Any]:
    """Delete log and span indices older than the retention (OpenSearch Index State Management)."""
    return {"policy": {
        "description": f"orchestrator: delete log and span indices after {retention_days} days",
        "default_state": "hot",
        "states": [
            {"name": "hot", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}]},
            {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
        ],
        "ism_template": [{"index_patterns": [f"{LOG_INDEX_PREFIX}-*", "jaeger-*"], "priority": 100}],
    }}


def access_policy(partition: str, region: str, account: str, name: str) -> str:
    """The domain is VPC-only and FGAC decides per user; the resource policy admits HTTP calls to this
    domain only (FGAC with an internal user database needs the anonymous IAM principal here)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttp*",
        "Resource": f"arn:{partition}:es:{region}:{account}:domain/{name}/*",
    }]})


def opensearch_store(
    name: str, config: StackConfig, foundation: EksFoundation, namespace: pulumi.Input[str], parent: pulumi.Resource
) -> LogStore:
    logs = config.monitoring.logs
    production = config.is_production
    child = pulumi.ResourceOptions(parent=parent)
    stateful = pulumi.ResourceOptions(parent=parent, protect=production, retain_on_delete=production)
    domain = domain_name(pulumi.get_stack())

    group = cluster_only_security_group(
        f"{name}-opensearch", vpc_id=foundation.vpc_id, cluster_security_group_id=foundation.cluster_security_group_id,
        port=PORT, service="OpenSearch", opts=child)
    password = random.RandomPassword(
        f"{name}-opensearch-master-password", length=32, special=True, override_special="!#%^*-_=+",
        min_upper=1, min_lower=1, min_numeric=1, min_special=1, opts=child)
    secret_value: pulumi.Output[str] = pulumi.Output.secret(password.result)
    stored_secret(
        f"{name}-opensearch-master", description="orchestrator OpenSearch master user (fine-grained access control)",
        value=pulumi.Output.json_dumps({"username": MASTER_USER, "password": secret_value}),
        kms_key_arn=foundation.kms_key_arn, production=production, parent=parent)

    zones = zone_count(logs.aws.opensearch_instance_count, len(foundation.data_subnet_ids))
    context = foundation.context
    cluster: dict[str, Any] = {
        "instance_type": logs.aws.opensearch_instance_type,
        "instance_count": logs.aws.opensearch_instance_count,
        "zone_awareness_enabled": zones > 1,
    }
    if zones > 1:
        cluster["zone_awareness_config"] = aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
            availability_zone_count=zones)
    if production:
        cluster.update(dedicated_master_enabled=True, dedicated_master_type="m7g.large.search", dedicated_master_count=3)
    search = aws.opensearch.Domain(
        f"{name}-opensearch",
        domain_name=domain,
        engine_version=ENGINE_VERSION,
        cluster_config=aws.opensearch.DomainClusterConfigArgs(**cluster),
        ebs_options=aws.opensearch.DomainEbsOptionsArgs(
            ebs_enabled=True, volume_type="gp3", volume_size=logs.aws.opensearch_volume_gb),
        encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True, kms_key_id=foundation.kms_key_arn),
        node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
        domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
            enforce_https=True, tls_security_policy=TLS_POLICY),
        vpc_options=aws.opensearch.DomainVpcOptionsArgs(
            subnet_ids=foundation.data_subnet_ids[:zones], security_group_ids=[group.id]),
        advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
            enabled=True, anonymous_auth_enabled=False, internal_user_database_enabled=True,
            master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                master_user_name=MASTER_USER, master_user_password=secret_value)),
        access_policies=pulumi.Output.all(context.partition, context.region, context.account_id).apply(
            lambda v: access_policy(str(v[0]), str(v[1]), str(v[2]), domain)),
        software_update_options=aws.opensearch.DomainSoftwareUpdateOptionsArgs(auto_software_update_enabled=True),
        tags={"app": PROJECT, "stack": pulumi.get_stack(), "purpose": "logs-and-traces"},
        opts=stateful,
    )
    url = search.endpoint.apply(lambda host: f"https://{host}")
    credentials = k8s.core.v1.Secret(
        f"{name}-opensearch-credentials",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=CREDENTIALS_SECRET, namespace=namespace),
        type="Opaque",
        string_data={"username": MASTER_USER, "password": secret_value},
        opts=child,
    )
    k8s.core.v1.ConfigMap(
        f"{name}-opensearch-ism",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="opensearch-retention", namespace=namespace),
        data={"ism-policy.json": json.dumps(ism_policy(logs.retention_days), indent=2)},
        opts=child,
    )
    env = [
        {"name": "OPENSEARCH_USERNAME", "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "username"}}},
        {"name": "OPENSEARCH_PASSWORD", "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "password"}}},
    ]
    return LogStore(
        kind="opensearch",
        exporters={"opensearch": {
            "http": {"endpoint": url, "auth": {"authenticator": "basicauth/opensearch"}, "tls": {"min_version": "1.2"}},
            # One index per UTC day (`logs-orchestrator-2026.12.01`): what the ISM policy deletes by age.
            "logs_index": LOG_INDEX_PREFIX,
            "logs_index_time_format": "yyyy.MM.dd",
        }},
        extensions={"basicauth/opensearch": {"client_auth": {
            "username": "${OPENSEARCH_USERNAME}", "password": "${OPENSEARCH_PASSWORD}"}}},
        env=env,
        datasource={
            "name": "Logs (OpenSearch)", "uid": LOGS_DATASOURCE_UID, "type": "grafana-opensearch-datasource",
            "access": "proxy", "url": url, "basicAuth": True, "basicAuthUser": MASTER_USER,
            "jsonData": {"database": f"{LOG_INDEX_PREFIX}-*", "timeField": "@timestamp", "flavor": "opensearch",
                         "version": "2.19.0", "logMessageField": "body", "logLevelField": "severity.text"},
            "secureJsonData": {"basicAuthPassword": "${OPENSEARCH_PASSWORD}"},
        },
        grafana_env={"OPENSEARCH_PASSWORD": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": "password"}}},
        opensearch=OpenSearchAccess(url=url, env=env),
        ready=[search, credentials],
        endpoint=search.endpoint,
        # The exporter's schema keeps resource attributes as a flat `resource` map.
        slot_logs_query={"queryType": "lucene", "luceneQueryType": "Logs", "timeField": "@timestamp",
                         "query": f'resource.{SLOT_ATTRIBUTE}:"$slot"', "metrics": [{"id": "1", "type": "logs"}],
                         "bucketAggs": []},
    )
