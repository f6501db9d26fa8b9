"""AWS key material: the platform's customer-managed KMS key and Secrets Manager secrets on it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """Account, region and partition of the running provider (invokes, resolved once)."""

    account_id: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]
    caller_arn: pulumi.Output[str]

    @staticmethod
    def lookup(opts: pulumi.InvokeOptions | None = None) -> AwsContext:
        identity = aws.get_caller_identity_output(opts=opts)
        return AwsContext(
            account_id=identity.account_id,
            region=aws.get_region_output(opts=opts).region,
            partition=aws.get_partition_output(opts=opts).partition,
            caller_arn=identity.arn,
        )


def key_policy(account_id: str, region: str, partition: str) -> str:
    """Account-root administration (IAM decides who may use the key, never a `*` principal) plus the
    CloudWatch Logs service, limited to this account's log groups, so log groups can use the CMK."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"}},
            },
        ],
    }, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class PlatformKeyArgs:
    production: bool
    description: str


class PlatformKey(pulumi.ComponentResource):
    """One customer-managed key for the platform's encryption at rest: EKS secrets, RDS storage and
    Performance Insights, ElastiCache, Secrets Manager and the log groups. Rotation on, lockout check kept."""

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformKeyArgs, context: AwsContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:secrets:PlatformKey", name, None, opts)
        policy = pulumi.Output.all(context.account_id, context.region, context.partition).apply(
            lambda values: key_policy(str(values[0]), str(values[1]), str(values[2])))
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if args.production else 7,
            bypass_policy_lockout_safety_check=False,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, protect=args.production, retain_on_delete=args.production),
        )
        aws.kms.Alias(f"{name}-alias", name=f"alias/orchestrator-{pulumi.get_stack()}", target_key_id=key.key_id,
                      opts=pulumi.ResourceOptions(parent=self))
        self.arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id})


def stored_secret(name: str, *, description: str, value: pulumi.Input[str], kms_key_arn: pulumi.Input[str],
                  production: bool, parent: pulumi.Resource) -> aws.secretsmanager.Secret:
    """A Secrets Manager secret on the CMK holding `value` (kept a secret Output)."""
    secret = aws.secretsmanager.Secret(
        name,
        description=description,
        kms_key_id=kms_key_arn,
        recovery_window_in_days=30 if production else 7,
        opts=pulumi.ResourceOptions(parent=parent, protect=production, retain_on_delete=production),
    )
    aws.secretsmanager.SecretVersion(
        f"{name}-value",
        secret_id=secret.id,
        secret_string=pulumi.Output.secret(value),
        opts=pulumi.ResourceOptions(parent=parent, protect=production, retain_on_delete=production),
    )
    return secret
