"""`python -m ops bootstrap aws` against moto: settings applied, idempotence, drift, bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.bootstrap_aws import LIFECYCLE_RULE_ID, Report, Request, bootstrap
from ops.cli import main

BUCKET, REGION, ALIAS = "acme-pulumi-state", "eu-west-3", "alias/pulumi-acme-pulumi-state"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


class Recorder:
    """Every AWS operation the bootstrap's clients call, by name (botocore's before-call event)."""

    def __init__(self) -> None:
        self.session = boto3.session.Session()
        self.calls: list[str] = []
        self.session.events.register("before-call.*.*", self._record)

    def _record(self, model: Any, **kwargs: Any) -> None:
        self.calls.append(model.name)

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if not c.startswith(("Get", "Head", "Describe", "List"))]


def run(fix: bool = False, days: int = 90) -> tuple[Report, Recorder, str]:
    recorder = Recorder()
    out = io.StringIO()
    report = bootstrap(Request(bucket=BUCKET, region=REGION, kms_alias=ALIAS, fix=fix, noncurrent_days=days),
                       session=recorder.session, out=out)
    return report, recorder, out.getvalue()


def state() -> dict[str, Any]:
    """Everything the bootstrap manages, read back independently."""
    s3 = boto3.client("s3", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)

    def read(call: Any, key: str) -> Any:
        try:
            return call(Bucket=BUCKET)[key]
        except s3.exceptions.ClientError as error:
            return error.response["Error"]["Code"]

    key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS]
    return {
        "location": s3.get_bucket_location(Bucket=BUCKET).get("LocationConstraint"),
        "versioning": s3.get_bucket_versioning(Bucket=BUCKET).get("Status"),
        "encryption": read(s3.get_bucket_encryption, "ServerSideEncryptionConfiguration"),
        "public_access_block": read(s3.get_public_access_block, "PublicAccessBlockConfiguration"),
        "policy": json.loads(p) if (p := read(s3.get_bucket_policy, "Policy")).startswith("{") else p,
        "lifecycle": read(s3.get_bucket_lifecycle_configuration, "Rules"),
        "key": key["Arn"],
        "key_state": key["KeyState"],
        "rotation": kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"],
        "alias_target": [a["TargetKeyId"] for a in aliases],
        "keys": len(kms.list_keys()["Keys"]),
        "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
    }


def test_fresh_account_gets_every_setting() -> None:
    report, recorder, output = run()
    after = state()
    key_arn = after["key"]
    assert report.key_arn == key_arn and not report.drift
    assert after["location"] == REGION and after["buckets"] == [BUCKET]
    assert after["versioning"] == "Enabled"
    assert after["encryption"]["Rules"] == [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": True,
    }]
    assert after["public_access_block"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    }
    (statement,) = after["policy"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(statement["Resource"]) == {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"}
    (rule,) = after["lifecycle"]
    assert rule["ID"] == LIFECYCLE_RULE_ID and rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert after["rotation"] is True and after["key_state"] == "Enabled"
    assert after["alias_target"] == [key_arn.rsplit("/", 1)[-1]]
    assert recorder.writes == [
        "CreateKey", "EnableKeyRotation", "CreateAlias", "CreateBucket", "PutBucketVersioning",
        "PutBucketEncryption", "PutPublicAccessBlock", "PutBucketPolicy", "PutBucketLifecycleConfiguration",
    ]
    assert "  created  S3 bucket acme-pulumi-state in eu-west-3\n" in output


def test_second_run_changes_nothing() -> None:
    run()
    before = state()
    report, recorder, output = run()
    assert recorder.writes == []
    assert recorder.calls  # it did look
    assert report.created == [] and report.fixed == [] and report.drift == []
    assert state() == before
    assert "created" not in output and output.count("  ok  ") == 8


def test_drift_is_reported_not_changed_and_fixed_only_with_fix() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    run()
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.delete_public_access_block(Bucket=BUCKET)
    other = {"Sid": "ReadOnlyAudit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]}))
    kms = boto3.client("kms", region_name=REGION)
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"])
    drifted = state()

    report, recorder, output = run()
    assert recorder.writes == []
    assert state() == drifted
    assert [finding.split(":")[0] for finding in report.drift] == [
        f"KMS key rotation of {ALIAS}", "versioning", "default encryption", "public access block", "bucket policy",
    ]
    assert "versioning: expected Enabled, found Suspended (rerun with --fix to correct it)" in output
    assert report.exit_code == 1

    fixed, recorder, _ = run(fix=True)
    assert sorted(recorder.writes) == sorted([
        "EnableKeyRotation", "PutBucketVersioning", "PutBucketEncryption", "PutPublicAccessBlock", "PutBucketPolicy",
    ])
    assert [finding.split(":")[0] for finding in fixed.fixed] == [f.split(":")[0] for f in report.drift]
    after = state()
    assert after["versioning"] == "Enabled" and after["rotation"] is True
    # The operator's own policy statement survives the fix beside the TLS-only deny.
    assert [s.get("Sid") for s in after["policy"]["Statement"]] == ["ReadOnlyAudit", "DenyInsecureTransport"]

    clean, recorder, _ = run()
    assert recorder.writes == [] and clean.drift == []


def test_a_bucket_without_lifecycle_keeps_other_rules_when_fixed() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    run()
    logs = {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [logs]})
    report, _, _ = run()
    assert report.drift == ["lifecycle: expected noncurrent versions expire after 90 days, "
                            "found no enabled rule expiring noncurrent versions"]
    run(fix=True)
    assert [rule["ID"] for rule in state()["lifecycle"]] == ["expire-logs", LIFECYCLE_RULE_ID]


def test_cli_prints_the_login_and_stack_init_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bootstrap", "aws", "--bucket", BUCKET, "--region", REGION]) == 0
    output = capsys.readouterr().out
    assert "7 change(s) made." in output
    assert f"  pulumi login 's3://{BUCKET}?region={REGION}&awssdk=v2'\n" in output
    provider = f"awskms://{ALIAS}?region={REGION}"
    assert f"  pulumi stack init production --secrets-provider '{provider}'\n" in output
    assert f"  pulumi stack init staging --secrets-provider '{provider}'\n" in output
    assert main(["bootstrap", "aws", "--bucket", BUCKET, "--region", REGION]) == 0
    assert "Everything was already in place; nothing changed." in capsys.readouterr().out


def test_cli_exit_code_on_drift(capsys: pytest.CaptureFixture[str]) -> None:
    run()
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    assert main(["bootstrap", "aws", "--bucket", BUCKET, "--region", REGION]) == 1
    output = capsys.readouterr().out
    assert "1 setting(s) differ from what the backend needs; nothing changed. Rerun with --fix" in output
    assert "pulumi login" not in output
    assert main(["bootstrap", "aws", "--bucket", BUCKET, "--region", REGION, "--fix"]) == 0


def test_custom_alias_and_existing_key() -> None:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/state", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    recorder = Recorder()
    report = bootstrap(Request(bucket=BUCKET, region=REGION, kms_alias="alias/state"), session=recorder.session,
                       out=io.StringIO())
    assert report.key_arn == key["Arn"]
    assert "CreateKey" not in recorder.writes and "CreateAlias" not in recorder.writes


def test_bucket_in_another_region_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert main(["bootstrap", "aws", "--bucket", BUCKET, "--region", REGION]) == 1
    assert capsys.readouterr().err == f"error: bucket {BUCKET} exists in eu-west-1, not {REGION}; pass --region eu-west-1\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--bucket", "Acme-State"], "error: bucket name 'Acme-State' is invalid: use 3-63 lower-case letters"),
    (["--bucket", "ab"], "error: bucket name 'ab' is invalid"),
    (["--bucket", "-state"], "error: bucket name '-state' is invalid"),
    (["--bucket", "acme.state"], "error: bucket name 'acme.state' contains dots, which break TLS"),
    (["--bucket", "xn--state"], "error: bucket name 'xn--state' uses a prefix or suffix S3 reserves"),
    (["--bucket", "state-s3alias"], "error: bucket name 'state-s3alias' uses a prefix or suffix S3 reserves"),
    (["--region", "eu-west-9"], "error: region 'eu-west-9' is not an AWS region that offers S3"),
    (["--region", "EU-WEST-3"], "error: region 'EU-WEST-3' is not an AWS region that offers S3"),
    (["--region", "moon"], "error: region 'moon' is not an AWS region that offers S3"),
    (["--kms-alias", "alias/aws/s3"], "error: KMS alias 'alias/aws/s3' is invalid"),
    (["--kms-alias", "bad alias"], "error: KMS alias 'bad alias' is invalid"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = {"--bucket": BUCKET, "--region": REGION}
    flags = dict(zip(argv[::2], argv[1::2], strict=True))
    full = ["bootstrap", "aws", *[f"{flag}={value}" for flag, value in {**args, **flags}.items()]]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
