"""Alertmanager receivers from stack secrets (`pulumi config set --secret <key> ...`).

The program writes each credential into a Secret in the monitoring namespace before Helm installs
Alertmanager, which mounts it and reads it as a file (`*_file`): the value is never in the chart's
values or in a ConfigMap. A receiver whose stack secret is unset is left out (its alerts go to
`null` and a warning says so), so a first `pulumi up` never leaves Alertmanager waiting for a
Secret nobody creates.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config import NAMESPACE, AlertReceiverConfig, MonitoringConfig
from components.monitoring.values import Receiver

PAGER_SECRET = "alertReceiverSecret"
WARNING_SECRET = "warningReceiverSecret"
HEARTBEAT_SECRET = "heartbeatUrl"
HEARTBEAT_SECRET_NAME = "alertmanager-heartbeat"


def wanted(monitoring: MonitoringConfig) -> list[tuple[str, str, AlertReceiverConfig | None]]:
    """(role, stack secret key, receiver config) of every receiver the config asks for."""
    roles: list[tuple[str, str, AlertReceiverConfig | None]] = []
    if monitoring.alert_receiver.kind != "none":
        roles.append(("pager", PAGER_SECRET, monitoring.alert_receiver))
    if monitoring.warning_receiver.kind != "none":
        roles.append(("warning", WARNING_SECRET, monitoring.warning_receiver))
    roles.append(("heartbeat", HEARTBEAT_SECRET, None))
    return roles


def receivers(
    name: str, monitoring: MonitoringConfig, namespace: pulumi.Input[str], labels: dict[str, str], parent: pulumi.Resource,
) -> tuple[list[Receiver], list[k8s.core.v1.Secret]]:
    stack_config = pulumi.Config(NAMESPACE)
    found: list[Receiver] = []
    secrets: list[k8s.core.v1.Secret] = []
    for role, key, receiver in wanted(monitoring):
        value = stack_config.get_secret(key)
        if value is None:
            if receiver is not None:
                pulumi.log.warn(
                    f"monitoring.{'alertReceiver' if role == 'pager' else 'warningReceiver'} is {receiver.kind} but the "
                    f"stack secret {NAMESPACE}:{key} is not set: its alerts go nowhere until "
                    f"`pulumi config set --secret {key} <value>` and `pulumi up`", resource=parent)
            continue
        kind = receiver.kind if receiver is not None else "webhook"
        secret_name = (receiver.secret_name if receiver is not None else None) or HEARTBEAT_SECRET_NAME
        secret_key = receiver.key if receiver is not None else "url"
        secrets.append(k8s.core.v1.Secret(
            f"{name}-receiver-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace, labels=dict(labels)),
            type="Opaque",
            string_data={secret_key: value},  # get_secret: already a secret Output
            opts=pulumi.ResourceOptions(parent=parent),
        ))
        found.append(Receiver(role=role, kind=kind, secret_name=secret_name, key=secret_key))
    return found, secrets
