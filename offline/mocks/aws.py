"""What pulumi-aws computes for the resources and invokes this program uses."""

from __future__ import annotations

from pulumi.runtime import config as runtime_config

from offline.mocks.core import CallHandler, Props, ResourceCall, ResourceHandler, autoname, merge

ACCOUNT_ID = "123456789012"


def region() -> str:
    return str(runtime_config.get_config("aws:region") or "eu-west-3")


def arn(service: str, resource: str, *, with_region: bool = True) -> str:
    return f"arn:aws:{service}:{region() if with_region else ''}:{ACCOUNT_ID}:{resource}"


def _service(type_: str) -> str:
    # aws:rds/instance:Instance -> rds
    return type_.split(":")[1].split("/", maxsplit=1)[0]


def _generic(call: ResourceCall) -> Props:
    computed: Props = {"id": call.id, "arn": arn(_service(call.type), f"{call.name}/{call.id}")}
    if "name" not in call.inputs and "namePrefix" not in call.inputs:
        computed["name"] = autoname(call.type, call.name)
    computed["tagsAll"] = dict(call.inputs.get("tags") or {})
    return merge(call.inputs, computed)


RESOURCES: dict[str, ResourceHandler] = {}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"aws": _generic}


def _availability_zones(_args: Props) -> Props:
    names = [f"{region()}{suffix}" for suffix in "abc"]
    return {
        "names": names,
        "zoneIds": [f"euw3-az{i}" for i in range(1, 4)],
        "state": "available",
        "id": region(),
        "groupNames": [region()],
    }


def _caller_identity(_args: Props) -> Props:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
        "userId": "AIDAOFFLINEOFFLINE",
        "id": ACCOUNT_ID,
    }


def _region(_args: Props) -> Props:
    return {"name": region(), "region": region(), "id": region(), "endpoint": f"ec2.{region()}.amazonaws.com",
            "description": region()}


def _partition(_args: Props) -> Props:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


CALLS: dict[str, CallHandler] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
}
