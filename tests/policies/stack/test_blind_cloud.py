"""A stack rule outside Kubernetes with one value it cannot judge: S3 public access. A bucket policy whose
document is unknown at preview (it is built from the bucket's ARN) withholds nothing about another
bucket, and a public access block whose bucket reference is blind is never read as "no block"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import resource
from tests.policies.stack.test_unverifiable import BLIND, judged

RULE = "aws-s3-not-public"
FLAGS = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}
OPEN = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})


def _bucket(name: str, policy: Any = None, block_bucket: Any = None) -> list[dict[str, Any]]:
    out = [resource("aws:s3/bucket:Bucket", name, {"bucket": name}),
           resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-block",
                    {"bucket": name if block_bucket is None else block_bucket, **FLAGS})]
    if policy is not None:
        out.append(resource("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy", {"bucket": name, "policy": policy}))
    return out


@pytest.mark.parametrize("reason", BLIND)
def test_a_blind_bucket_policy_withholds_nothing_about_the_next(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, [*_bucket("alpha", policy=BLIND[reason]), *_bucket("beta", policy=OPEN)], RULE)
    assert found == {"beta-policy": 'policy Statement[0] (Open) allows "s3:GetObject" to Principal "*" without a '
                                    "restricting condition"}
    assert ("alpha-policy", "policy", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_a_block_with_a_blind_bucket_is_not_read_as_no_block(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, [*_bucket("alpha", block_bucket=BLIND[reason]), *_bucket("beta", policy=OPEN)], RULE)
    # alpha's block may well be alpha's: alpha is not called unblocked; beta's open policy still counts.
    assert set(found) == {"beta-policy"}
    assert ("alpha-block", "bucket", reason) in blind


def test_a_bucket_without_any_block_is_still_reported(pack: PolicyPackProcess) -> None:
    resources = [*_bucket("alpha"), resource("aws:s3/bucket:Bucket", "gamma", {"bucket": "gamma"})]
    found, blind = judged(pack, resources, RULE)
    assert found == {"gamma": "the bucket has no public access block with all four settings true"}
    assert blind == set()
