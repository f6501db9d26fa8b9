"""Operations on a deployed stack: progressive rollouts with health gates, state-backend bootstrap.

`python -m ops rollout STACK --to green|blue` walks `app.canaryWeight` toward the other slot, one
`pulumi up` per step, and gates each step on the slot's health in Prometheus; `python -m ops
bootstrap aws` creates the S3 bucket and KMS key a self-managed Pulumi backend needs.
"""


class OpsError(Exception):
    """A problem the operator can fix (bad input, unreachable tool); printed as one line."""


class UsageError(OpsError):
    """Bad input (a flag, a bucket name, a region): exit code 2."""
