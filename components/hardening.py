"""The restricted security contexts every workload of this project runs with (Pod Security
`restricted`, plus a high UID and a read-only root filesystem), written once."""

from __future__ import annotations

import pulumi_kubernetes as k8s

MIN_UID = 10000
"""UIDs below this can collide with users of the node."""


def pod_security(uid: int) -> k8s.core.v1.PodSecurityContextArgs:
    if uid < MIN_UID:
        raise ValueError(f"uid {uid} is below {MIN_UID}")
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        fs_group=uid,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container_security(uid: int) -> k8s.core.v1.SecurityContextArgs:
    if uid < MIN_UID:
        raise ValueError(f"uid {uid} is below {MIN_UID}")
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        privileged=False,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )
