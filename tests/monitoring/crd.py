"""Strict validation of prometheus-operator objects against cloudcoil's CRD models.

cloudcoil's models ignore unknown fields (pydantic's default), which would let a misspelt field
pass. Strict here means: the object parses, and dumping the parsed model gives back every field
the object had — a field the model dropped is one the CRD does not know.
"""

from __future__ import annotations

from typing import Any

import pydantic
from cloudcoil.models.prometheus_operator import v1

MODELS: dict[str, type[pydantic.BaseModel]] = {
    "ServiceMonitor": v1.ServiceMonitor,
    "PodMonitor": v1.PodMonitor,
    "PrometheusRule": v1.PrometheusRule,
}


def problems(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("kind", "")
    if obj.get("apiVersion") != "monitoring.coreos.com/v1" or kind not in MODELS:
        return [f"not a monitoring.coreos.com/v1 ServiceMonitor/PodMonitor/PrometheusRule: {obj.get('apiVersion')}/{kind}"]
    try:
        parsed = MODELS[kind].model_validate(obj)
    except pydantic.ValidationError as error:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    return _dropped(obj, parsed.model_dump(by_alias=True, exclude_unset=True, mode="json"), kind)


def _dropped(given: Any, kept: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(given, dict):
        for key, value in given.items():
            if not isinstance(kept, dict) or key not in kept:
                found.append(f"{path}.{key}: unknown field")
            else:
                found.extend(_dropped(value, kept[key], f"{path}.{key}"))
    elif isinstance(given, list) and isinstance(kept, list):
        for index, (item, kept_item) in enumerate(zip(given, kept, strict=False)):
            found.extend(_dropped(item, kept_item, f"{path}[{index}]"))
    return found
