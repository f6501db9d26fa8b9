"""`python -m ops bootstrap aws`: the S3 bucket and KMS key a self-managed Pulumi backend needs.

Idempotent: every setting is read first and written only when it is missing. On a bucket or key
that already exists, a setting that differs is drift: reported, and corrected only with `--fix`
(someone may have changed it on purpose). Nothing is ever deleted.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops import OpsError, UsageError

DEFAULT_NONCURRENT_DAYS = 90
"""Old state checkpoints are recovery points; keep them long enough to notice a bad update."""
LIFECYCLE_RULE_ID = "pulumi-state-noncurrent-versions"
TLS_STATEMENT_SID = "DenyInsecureTransport"


class BootstrapError(OpsError):
    """AWS refused or something exists in a state this tool must not change."""


# --- input validation -------------------------------------------------------------------------

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")


def validate_bucket(name: str) -> str:
    if not _BUCKET.match(name):
        raise UsageError(
            f"bucket name '{name}' is invalid: use 3-63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    if "." in name:
        # Legal for S3, but a dotted name breaks the TLS certificate of virtual-hosted requests,
        # and this bucket only accepts TLS.
        raise UsageError(f"bucket name '{name}' contains dots, which break TLS to the bucket; use hyphens")
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        raise UsageError(f"bucket name '{name}' uses a prefix or suffix S3 reserves; choose another name")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    raise UsageError(f"bucket name '{name}' looks like an IP address; choose another name")


def known_regions() -> set[str]:
    """Every region S3 is offered in, from botocore's bundled endpoint data (no network)."""
    import boto3  # type: ignore[import-untyped]

    session = boto3.session.Session()
    return {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("s3", partition_name=partition)
    }


def validate_region(region: str) -> str:
    if not _REGION.match(region) or region not in known_regions():
        raise UsageError(f"region '{region}' is not an AWS region that offers S3 (e.g. eu-west-3, us-east-1)")
    return region


def normalize_alias(alias: str | None, bucket: str) -> str:
    name = alias or f"pulumi-{bucket}"
    full = name if name.startswith("alias/") else f"alias/{name}"
    if not _ALIAS.match(full) or full.startswith("alias/aws/"):
        raise UsageError(
            f"KMS alias '{name}' is invalid: use letters, digits, '/', '_' and '-' (not the reserved alias/aws/ prefix)"
        )
    return full


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    bucket: str
    region: str
    kms_alias: str
    fix: bool = False
    noncurrent_days: int = DEFAULT_NONCURRENT_DAYS


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    ok: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    key_arn: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.drift else 0


def login_commands(request: Request, stacks: list[str]) -> list[str]:
    backend = f"s3://{request.bucket}?region={request.region}&awssdk=v2"
    provider = f"awskms://{request.kms_alias}?region={request.region}"
    lines = [f"pulumi login '{backend}'"]
    lines += [f"pulumi stack init {stack} --secrets-provider '{provider}'" for stack in stacks or ["<stack>"]]
    return lines


# --- the bootstrap ----------------------------------------------------------------------------


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _client_error() -> type[Exception]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    return ClientError


@dataclass(frozen=True)
class _Setting:
    name: str
    expected: str
    read: Callable[[], str | None]
    """The current value in the same words as `expected`; None when unset."""
    write: Callable[[], None]
    matches: Callable[[str | None], bool]


class AwsBootstrap:
    def __init__(self, request: Request, *, s3: Any, kms: Any, out: TextIO | None = None) -> None:
        self.request, self.s3, self.kms = request, s3, kms
        self.out = out or sys.stdout
        self.report = Report()

    def _line(self, status: str, text: str) -> None:
        self.out.write(f"  {status:<8} {text}\n")

    def run(self) -> Report:
        error_type = _client_error()
        try:
            key_arn = self._key()
            self.report.key_arn = key_arn
            self._bucket(key_arn)
        except error_type as error:
            message = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
            raise BootstrapError(f"AWS refused: {_code(error)}: {message}") from None
        return self.report

    # KMS ------------------------------------------------------------------------------------

    def _key(self) -> str:
        alias = self.request.kms_alias
        try:
            metadata = self.kms.describe_key(KeyId=alias)["KeyMetadata"]
        except _client_error() as error:
            if _code(error) != "NotFoundException":
                raise
            return self._create_key(alias)
        key_id, arn = metadata["KeyId"], metadata["Arn"]
        if metadata.get("KeyState") != "Enabled":
            raise BootstrapError(
                f"KMS key {key_id} behind {alias} is {metadata.get('KeyState')}; enable it (or cancel its deletion) first"
            )
        spec, usage = metadata.get("KeySpec", "SYMMETRIC_DEFAULT"), metadata.get("KeyUsage", "ENCRYPT_DECRYPT")
        if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            raise BootstrapError(f"KMS key {key_id} behind {alias} is not a symmetric encryption key; use another alias")
        self._line("ok", f"KMS key {alias} -> {key_id}")
        self._check(
            _Setting(
                name=f"KMS key rotation of {alias}",
                expected="enabled",
                read=lambda: "enabled" if self.kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] else "disabled",
                write=lambda: self.kms.enable_key_rotation(KeyId=key_id),
                matches=lambda value: value == "enabled",
            ),
            created=False,
        )
        return str(arn)

    def _create_key(self, alias: str) -> str:
        key = self.kms.create_key(
            Description=f"Pulumi state and stack secrets in s3://{self.request.bucket}",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "purpose", "TagValue": "pulumi-backend"}],
        )["KeyMetadata"]
        self.kms.enable_key_rotation(KeyId=key["KeyId"])
        self.kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        self._created(f"KMS key {key['KeyId']} with yearly rotation, alias {alias}")
        return str(key["Arn"])

    # S3 -------------------------------------------------------------------------------------

    def _bucket(self, key_arn: str) -> None:
        bucket, region = self.request.bucket, self.request.region
        created = False
        try:
            self.s3.head_bucket(Bucket=bucket)
        except _client_error() as error:
            code = _code(error)
            if code in {"403", "AccessDenied", "Forbidden"}:
                raise BootstrapError(f"bucket {bucket} exists but belongs to another account (or you may not read it)") from None
            if code not in {"404", "NoSuchBucket", "NotFound"}:
                raise
            args: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
            if region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self.s3.create_bucket(**args)
            self._created(f"S3 bucket {bucket} in {region}")
            created = True
        if not created:
            location = self.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
            if location != region:
                raise BootstrapError(f"bucket {bucket} exists in {location}, not {region}; pass --region {location}")
            self._line("ok", f"S3 bucket {bucket} in {region}")
        for setting in self._bucket_settings(key_arn):
            self._check(setting, created=created)

    def _bucket_settings(self, key_arn: str) -> list[_Setting]:
        bucket = self.request.bucket
        key_names = {key_arn, key_arn.rsplit("/", 1)[-1], self.request.kms_alias,
                     key_arn.split(":key/", maxsplit=1)[0] + ":" + self.request.kms_alias}
        days = self.request.noncurrent_days
        return [
            _Setting(
                name="versioning",
                expected="Enabled",
                read=lambda: self.s3.get_bucket_versioning(Bucket=bucket).get("Status"),
                write=lambda: self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}),
                matches=lambda value: value == "Enabled",
            ),
            _Setting(
                name="default encryption",
                expected=f"aws:kms with {self.request.kms_alias} ({key_arn}), bucket key on",
                read=self._read_encryption,
                write=lambda: self.s3.put_bucket_encryption(
                    Bucket=bucket,
                    ServerSideEncryptionConfiguration={"Rules": [{
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                        "BucketKeyEnabled": True,
                    }]},
                ),
                matches=lambda value: value is not None and value.startswith("aws:kms with ")
                and value.split(" ")[2] in key_names and value.endswith("bucket key on"),
            ),
            _Setting(
                name="public access block",
                expected="all four settings on",
                read=self._read_public_access_block,
                write=lambda: self.s3.put_public_access_block(
                    Bucket=bucket,
                    PublicAccessBlockConfiguration={
                        "BlockPublicAcls": True, "IgnorePublicAcls": True,
                        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
                    },
                ),
                matches=lambda value: value == "all four settings on",
            ),
            _Setting(
                name="bucket policy",
                expected="denies requests without TLS (aws:SecureTransport false)",
                read=self._read_policy,
                write=self._write_policy,
                matches=lambda value: value == "denies requests without TLS (aws:SecureTransport false)",
            ),
            _Setting(
                name="lifecycle",
                expected=f"noncurrent versions expire after {days} days",
                read=self._read_lifecycle,
                write=self._write_lifecycle,
                # Any whole-bucket expiry of old versions is a deliberate choice; only its absence is drift.
                matches=lambda value: value is not None and value.startswith("noncurrent versions expire after"),
            ),
        ]

    def _check(self, setting: _Setting, *, created: bool) -> None:
        if created:
            # A resource this run created: write without reading (nothing else can have set it).
            setting.write()
            self._created(f"{setting.name}: {setting.expected}")
            return
        actual = setting.read()
        if setting.matches(actual):
            self._line("ok", f"{setting.name}: {actual}")
            return
        finding = f"{setting.name}: expected {setting.expected}, found {actual or 'nothing set'}"
        if self.request.fix:
            setting.write()
            self.report.fixed.append(finding)
            self._line("FIXED", finding)
        else:
            self.report.drift.append(finding)
            self._line("DRIFT", finding + " (rerun with --fix to correct it)")

    def _created(self, text: str) -> None:
        self.report.created.append(text)
        self._line("created", text)

    # readers and writers -------------------------------------------------------------------

    def _read_encryption(self) -> str | None:
        try:
            config = self.s3.get_bucket_encryption(Bucket=self.request.bucket)["ServerSideEncryptionConfiguration"]
        except _client_error() as error:
            if _code(error) == "ServerSideEncryptionConfigurationNotFoundError":
                return None
            raise
        rule = (config.get("Rules") or [{}])[0]
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        algorithm = default.get("SSEAlgorithm", "none")
        if algorithm != "aws:kms":
            return str(algorithm)
        bucket_key = "on" if rule.get("BucketKeyEnabled") else "off"
        return f"aws:kms with {default.get('KMSMasterKeyID', 'the AWS managed key')} bucket key {bucket_key}"

    def _read_public_access_block(self) -> str | None:
        try:
            config = self.s3.get_public_access_block(Bucket=self.request.bucket)["PublicAccessBlockConfiguration"]
        except _client_error() as error:
            if _code(error) == "NoSuchPublicAccessBlockConfiguration":
                return None
            raise
        off = [name for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
               if not config.get(name)]
        return "all four settings on" if not off else f"{', '.join(off)} off"

    def _policy(self) -> dict[str, Any] | None:
        try:
            text = self.s3.get_bucket_policy(Bucket=self.request.bucket)["Policy"]
        except _client_error() as error:
            if _code(error) == "NoSuchBucketPolicy":
                return None
            raise
        policy: dict[str, Any] = json.loads(text)
        return policy

    def _tls_statement(self) -> dict[str, Any]:
        arn = f"arn:aws:s3:::{self.request.bucket}"
        return {
            "Sid": TLS_STATEMENT_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def _read_policy(self) -> str | None:
        policy = self._policy()
        if policy is None:
            return None
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        if any(_denies_plain_http(s, self.request.bucket) for s in statements):
            return "denies requests without TLS (aws:SecureTransport false)"
        return "a policy without a TLS-only deny"

    def _write_policy(self) -> None:
        # Keep whatever else the policy says; replace only our own statement.
        policy = self._policy() or {"Version": "2012-10-17", "Statement": []}
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        policy["Statement"] = [s for s in statements if s.get("Sid") != TLS_STATEMENT_SID] + [self._tls_statement()]
        self.s3.put_bucket_policy(Bucket=self.request.bucket, Policy=json.dumps(policy))

    def _rules(self) -> list[dict[str, Any]]:
        try:
            rules: list[dict[str, Any]] = self.s3.get_bucket_lifecycle_configuration(Bucket=self.request.bucket)["Rules"]
        except _client_error() as error:
            if _code(error) == "NoSuchLifecycleConfiguration":
                return []
            raise
        return rules

    def _read_lifecycle(self) -> str | None:
        rules = self._rules()
        if not rules:
            return None
        for rule in rules:
            days = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
            if rule.get("Status") == "Enabled" and days is not None and _whole_bucket(rule):
                return f"noncurrent versions expire after {days} days"
        return "no enabled rule expiring noncurrent versions"

    def _write_lifecycle(self) -> None:
        ours = {
            "ID": LIFECYCLE_RULE_ID,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": self.request.noncurrent_days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
        others = [r for r in self._rules() if r.get("ID") != LIFECYCLE_RULE_ID]
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.request.bucket, LifecycleConfiguration={"Rules": [*others, ours]})


def _whole_bucket(rule: dict[str, Any]) -> bool:
    filter_ = rule.get("Filter")
    if filter_ is None:
        return not rule.get("Prefix")
    return filter_ in ({}, {"Prefix": ""})


def _denies_plain_http(statement: dict[str, Any], bucket: str) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    if "s3:*" not in actions and "*" not in actions:
        return False
    resources = statement.get("Resource", [])
    resources = resources if isinstance(resources, list) else [resources]
    arn = f"arn:aws:s3:::{bucket}"
    if not {arn, f"{arn}/*"} <= set(resources):
        return False
    condition = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
    values = condition if isinstance(condition, list) else [condition]
    return any(str(v).lower() == "false" for v in values)


def bootstrap(request: Request, *, session: Any | None = None, out: TextIO | None = None) -> Report:
    """Run the bootstrap with clients for `request.region` from `session` (boto3's default session if None)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    session = session or boto3.session.Session()
    try:
        s3 = session.client("s3", region_name=request.region)
        kms = session.client("kms", region_name=request.region)
        return AwsBootstrap(request, s3=s3, kms=kms, out=out).run()
    except BotoCoreError as error:
        # No credentials, no network, bad profile: one line.
        raise BootstrapError(f"cannot reach AWS: {error}") from None
