"""The mocks behave like the providers: auto-names, ids, computed outputs, invokes, options."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import pytest

from offline.runner.export import REDACTED, SECRET_SIG, SECRET_SIG_KEY, to_deployment
from offline.runner.mocks import MissingMockError
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import StackSpec
from tests.helpers import one, plain

SPEC = StackSpec(name="unit", project="orchestrator", config={"aws:region": "eu-west-3"})


class Holder(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:test:Holder", name, None, opts)
        self.bucket = aws.cloudwatch.LogGroup(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self, protect=True))
        self.password = random.RandomPassword(f"{name}-password", length=24, special=False,
                                              opts=pulumi.ResourceOptions(parent=self))
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-settings", data={"mode": "x"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket], retain_on_delete=True,
                                        ignore_changes=["data"]),
        )
        self.register_outputs({"bucket": self.bucket.name})


def _program() -> None:
    holder = Holder("holder")
    zones = aws.get_availability_zones_output(state="available")
    pulumi.export("zones", zones.names)
    pulumi.export("password", holder.password.result)
    pulumi.export("bucketArn", holder.bucket.arn)


@pytest.fixture(scope="module")
def result() -> ProgramResult:
    return run_program(SPEC, entry=_program)


def test_cloud_resources_are_autonamed_with_seven_hex(result: ProgramResult) -> None:
    bucket = one(result, "aws:cloudwatch/logGroup:LogGroup")
    assert re.fullmatch(r"holder-bucket-[0-9a-f]{7}", bucket.outputs["name"])
    assert "name" not in bucket.inputs
    assert bucket.outputs["arn"].startswith("arn:aws:") and ":123456789012:" in bucket.outputs["arn"]


def test_kubernetes_objects_get_metadata_name_and_namespace(result: ProgramResult) -> None:
    config_map = one(result, "kubernetes:core/v1:ConfigMap")
    metadata = config_map.outputs["metadata"]
    assert re.fullmatch(r"holder-settings-[0-9a-f]{8}", metadata["name"])
    assert metadata["namespace"] == "default"
    assert "name" not in config_map.inputs.get("metadata", {})


def test_naming_is_stable_between_runs(result: ProgramResult) -> None:
    again = run_program(SPEC, entry=_program)
    assert one(again, "aws:cloudwatch/logGroup:LogGroup").outputs == one(result, "aws:cloudwatch/logGroup:LogGroup").outputs


def test_invokes_answer_like_the_provider(result: ProgramResult) -> None:
    assert plain(result.outputs["zones"]) == ["eu-west-3a", "eu-west-3b", "eu-west-3c"]


def test_parent_dependencies_and_options_are_recorded(result: ProgramResult) -> None:
    holder = one(result, "orchestrator:test:Holder")
    bucket = one(result, "aws:cloudwatch/logGroup:LogGroup")
    config_map = one(result, "kubernetes:core/v1:ConfigMap")
    assert holder.parent == result.stack_urn
    assert bucket.parent == holder.urn
    # The engine's URN: ancestor component types joined with $, no root stack type.
    assert bucket.urn == "urn:pulumi:unit::orchestrator::orchestrator:test:Holder$aws:cloudwatch/logGroup:LogGroup::holder-bucket"
    assert bucket.protect and not config_map.protect
    assert config_map.retain_on_delete
    assert config_map.ignore_changes == ["data"]
    assert bucket.urn in config_map.dependencies
    assert plain(holder.outputs)["bucket"] == plain(bucket.outputs["name"])


def test_generated_secrets_stay_secret_in_outputs_and_export(result: ProgramResult) -> None:
    password = result.outputs["password"]
    assert password[SECRET_SIG_KEY] == SECRET_SIG
    assert len(password["value"]) == 24
    text = json.dumps(to_deployment(result))
    assert password["value"] not in text
    assert REDACTED in text


def test_an_invoke_without_emulation_fails_loudly() -> None:
    def program() -> None:
        aws.ec2.get_vpc_output(default=True).apply(lambda vpc: vpc.id)

    with pytest.raises(MissingMockError, match="no mock emulates the invoke aws:ec2/getVpc:getVpc"):
        run_program(SPEC, entry=program)


def test_preview_mode_leaves_unset_outputs_unknown() -> None:
    seen: list[object] = []

    def program() -> None:
        bucket = aws.s3.Bucket("b")
        # Computed only by the engine (mocks return nothing for it): unknown during preview.
        bucket.hosted_zone_id.apply(seen.append)

    run_program(SPEC, preview=True, entry=program)
    assert seen == []
    run_program(SPEC, preview=False, entry=program)
    assert seen == [None]


@pytest.mark.parametrize(
    ("annotations", "spec_extra", "expected"),
    [
        ({}, {}, r"198\.51\.100\.\d+"),
        ({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}, {}, r"10\.255\.\d+\.\d+"),
        ({"service.beta.kubernetes.io/azure-load-balancer-ipv4": "10.60.63.245"}, {}, r"10\.60\.63\.245"),
        ({}, {"loadBalancerIP": "10.1.2.3"}, r"10\.1\.2\.3"),
    ],
)
def test_load_balancer_services_get_the_address_the_cloud_would_assign(
    annotations: dict[str, str], spec_extra: dict[str, str], expected: str
) -> None:
    def program() -> None:
        k8s.core.v1.Service(
            "edge",
            metadata={"name": "edge", "namespace": "edge", "annotations": annotations},
            spec={"type": "LoadBalancer", "ports": [{"port": 443}], **spec_extra},
        )

    service = one(run_program(SPEC, entry=program), "kubernetes:core/v1:Service")
    ingress = service.outputs["status"]["loadBalancer"]["ingress"]
    assert re.fullmatch(expected, ingress[0]["ip"])
    assert service.outputs["spec"]["clusterIP"].startswith("10.96.")
    assert 30000 <= service.outputs["spec"]["ports"][0]["nodePort"] < 32768
