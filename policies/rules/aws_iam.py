"""AWS policy documents (IAM, S3 bucket, KMS key policies): who is granted what, under which condition.

A grant to `*` is only as narrow as its Condition; a condition that every caller satisfies
(`StringLike aws:PrincipalArn "*"`, `Bool aws:SecureTransport true`, a negated or IfExists operator)
restricts nothing, so it counts as no condition at all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .cloud_tokens import accepts, as_text, canonical, cut, kind_of, of
from .common import INDEPENDENT, Meta, Resource, Stack, get, items, mapping, resource_rule, stack_rule, truthy
from .k8s_objects import NOT_BLIND, derive, settle
from .netaddr import covers_internet

IAM_POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
                    "aws:iam/groupPolicy:GroupPolicy")
IAM_ROLE = "aws:iam/role:Role"
IAM_ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                   "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                   "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment")
# Attach a list of managed policies (`policyArns`) and detach every other.
IAM_EXCLUSIVE_ATTACHMENTS = ("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                             "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
                             "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive")
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
S3_BUCKETS = (S3_BUCKET, S3_BUCKET_V2)
S3_ACL_V2 = "aws:s3/bucketAclV2:BucketAclV2"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_ACL = "aws:s3/bucketAcl:BucketAcl"
S3_ACLS = (S3_ACL, S3_ACL_V2)
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
ADMIN_MANAGED_POLICIES = ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess")
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
MAX_DOCUMENT = 200_000  # IAM documents are at most ~20 KB; anything bigger is not a policy worth parsing

# Condition keys that can pin a `*` principal to this account, organisation or network.
IDENTITY_KEYS = {"aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn",
                 "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourcevpce",
                 "aws:sourcevpc", "aws:sourceip", "aws:userid", "aws:username", "kms:calleraccount",
                 "aws:principalservicename", "aws:calledvia", "kms:viaservice", "aws:resourceaccount"}
POSITIVE_OPERATORS = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}


def plain(value: Any, depth: int = 0) -> Any:
    """SDK proxies as plain JSON values (bounded depth), for messages."""
    if depth > 8:
        return "..."
    if isinstance(value, Mapping):
        return {as_text(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v, depth + 1) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else as_text(value)


def shown(value: Any, limit: int = 120) -> str:
    """A value as JSON for a message, cut at `limit` characters."""
    text = json.dumps(plain(value), sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def _load(value: Any) -> tuple[Mapping[str, Any], str | None]:
    """A policy document given as a JSON string or an object, and why it could not be read (None: it could)."""
    verify.needs_value(value)
    if value is None:
        return {}, None
    if isinstance(value, Mapping):
        return value, None
    if not isinstance(value, str):
        return {}, f"is a {type(value).__name__}, not a policy document"
    if len(value) > MAX_DOCUMENT:
        # Parsing is linear, but no valid policy is this large: whatever it grants is unverified.
        return {}, f"is {len(value)} characters, larger than any valid policy document: its grants are not verified"
    if not value.strip():
        return {}, None
    try:
        loaded = json.loads(value)
    except (ValueError, RecursionError) as error:
        return {}, f"is not valid JSON ({type(error).__name__}): its grants are not verified"
    if not isinstance(loaded, Mapping):
        return {}, f"is a JSON {type(loaded).__name__}, not a policy document object"
    return loaded, None


def document(value: Any) -> Mapping[str, Any]:
    """A policy document given as a JSON string or an object; {} when it is neither."""
    return _load(value)[0]


def unreadable(value: Any) -> str | None:
    """Why a policy document cannot be judged (too large, malformed, not an object), or None."""
    return _load(value)[1]


# Policy element names as AWS documents them; a document spelt in another case is read the same way.
ELEMENTS = {name.lower(): name for name in ("Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal",
                                            "Action", "NotAction", "Resource", "NotResource", "Condition")}


def _elements(value: Any) -> dict[str, Any]:
    return {ELEMENTS.get(as_text(k).lower(), as_text(k)): v for k, v in mapping(value).items()}


def statements(value: Any) -> list[Mapping[str, Any]]:
    """The document's statements (one object or a list), element names in AWS's spelling."""
    return [_elements(s) for s in items(_elements(document(value)).get("Statement"))]


def allows(statement: Mapping[str, Any]) -> bool:
    effect = get(statement, "Effect", default="")
    return isinstance(effect, str) and effect.strip().lower() == "allow"


def grantee(statement: Mapping[str, Any]) -> str:
    """The statement's Principal or NotPrincipal, as a message shows it."""
    if get(statement, "NotPrincipal") is not None:
        return f"NotPrincipal {shown(get(statement, 'NotPrincipal'), 80)}"
    return f"Principal {shown(get(statement, 'Principal'), 80)}"


def _principal_values(principal: Any) -> list[str]:
    if isinstance(principal, Mapping):
        return [as_text(v) for value in principal.values() for v in items(value)]
    return [as_text(v) for v in items(principal)]


def star_principal(statement: Mapping[str, Any]) -> bool:
    """`*`, `{"AWS": "*"}`, `arn:aws:iam::*:root`, or any NotPrincipal on an Allow (everyone but a few)."""
    if get(statement, "NotPrincipal") is not None:
        return True
    return any(v.strip() == "*" or "::*:" in v for v in _principal_values(get(statement, "Principal"))[:1000])


# What pins a wildcard condition value to someone: an organisation, VPC endpoint or VPC id, or an account.
# Bounded character classes on a cut string: linear, no backtracking.
CONCRETE_IDENTITY = verify.pattern(r"o-[a-z0-9]{10,32}|vpce-[0-9a-f]{8,17}|vpc-[0-9a-f]{8,17}|(?<![0-9])[0-9]{12}(?![0-9])")
ADDRESS_KEYS = {"aws:sourceip", "aws:vpcsourceip"}


def _vacuous_value(key: str, value: Any) -> bool:
    """A condition value every caller matches: a wildcard with no account, organisation or VPC in what it
    fixes, or (for address keys) ranges that cover the public Internet."""
    text = as_text(value).strip()[:2048]
    if not text:
        return True
    if key in ADDRESS_KEYS:
        return covers_internet([text])
    if "*" not in text and "?" not in text:
        return False
    concrete = text.replace("*", " ").replace("?", " ")
    return CONCRETE_IDENTITY.search(concrete) is None


def restricting_condition(condition: Any) -> bool:
    """True when at least one clause pins the caller to an identity, account, organisation or network."""
    for operator, clauses in mapping(condition).items():
        op = as_text(operator).lower()
        if op.startswith(("forallvalues:", "foranyvalue:")):
            op = op.split(":", 1)[1]
        if op not in POSITIVE_OPERATORS:  # Not*, *IfExists, Bool, Null, numeric and date operators
            continue
        for key, values in mapping(clauses).items():
            name = as_text(key).lower()
            if name in IDENTITY_KEYS and items(values) and not any(_vacuous_value(name, v) for v in items(values)[:100]):
                return True
    return False


def public_statements(value: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Allow statements granting `*` without a restricting condition, with a label naming them."""
    for index, statement in enumerate(statements(value)):
        if not allows(statement) or not star_principal(statement):
            continue
        if restricting_condition(get(statement, "Condition")):
            continue
        sid = get(statement, "Sid")
        label = f"Statement[{index}]" + (f" ({cut(sid, 64)})" if sid else "")
        yield label, statement


# Actions that hand out more privilege than they name (privilege escalation) when granted on every resource.
ESCALATION_ACTIONS = ("iam:passrole", "iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:attachrolepolicy",
                      "iam:attachuserpolicy", "iam:putrolepolicy", "iam:putuserpolicy", "iam:createaccesskey",
                      "iam:updateassumerolepolicy", "sts:assumerole")


def glob_matches(pattern: str, text: str) -> bool:
    """IAM's `*`/`?` wildcards, case-insensitive, without regex (linear in practice: patterns are short)."""
    pattern, text = pattern.lower()[:256], text.lower()
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, t, p + 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    return all(c == "*" for c in pattern[p:])


# IAM resource types whose every instance in the account is as good as all of IAM: whoever may rewrite or pass
# every role (or user, policy, group) grants itself anything.
IAM_KINDS = ("role", "user", "policy", "group", "instance-profile")


def every_resource(resource: str) -> bool:
    """`*`, or an ARN whose resource part is only wildcards (`arn:aws:iam::*:*`, `arn:aws:s3:::*/*`,
    `arn:aws:kms:eu-west-3:123456789012:*`): every resource of that service (in that account); for IAM also
    every resource of a kind (`arn:aws:iam::123456789012:role/*`)."""
    if resource.replace("*", "") == "":
        return True
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0].lower() != "arn":
        return False
    rest = parts[5]
    if rest.replace("*", "").strip("/:") == "":
        return True
    kind, _, path = rest.partition("/")
    return parts[2].lower() == "iam" and kind.lower() in IAM_KINDS and path.replace("*", "").strip("/") == "" and \
        "*" in path


def wildcard_actions(statement: Mapping[str, Any]) -> list[str]:
    """`*`, `service:*` on every resource, an escalation action (`iam:PassRole`) on every resource, or
    NotAction (everything but a list)."""
    if not allows(statement):
        return []
    if get(statement, "NotAction") is not None:
        return [f"NotAction {shown(get(statement, 'NotAction'), 80)}"]
    actions = [as_text(a).strip() for a in items(get(statement, "Action"))[:1000]]
    everything = [a for a in actions if a.replace("*", "").replace(":", "") == ""]
    resources = [as_text(r).strip() for r in items(get(statement, "Resource"))[:1000]]
    on_all = get(statement, "NotResource") is not None or any(every_resource(r) for r in resources)
    if not on_all:
        return everything
    service_wide = [a for a in actions if a not in everything and a.endswith(":*") and "*" not in a[:-2]]
    escalation = [a for a in actions if a not in everything and a not in service_wide
                  and any(glob_matches(a, e) for e in ESCALATION_ACTIONS)]
    return everything + service_wide + escalation


# --- IAM ---------------------------------------------------------------------------------------

iam = Meta(
    name="aws-iam-no-wildcard",
    description="IAM policies grant named actions: no `*`, no `service:*` on every resource, no NotAction, no "
                "administrator or `*FullAccess` managed policy; no role trusted by anyone, or by every subject of an "
                "OIDC provider (no `:sub` condition).",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_AWS_1", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_286", "CKV_AWS_355", "CIS AWS 1.16"),
    remediation="List the actions the workload calls (`ec2:DescribeSubnets`, ...) and scope `Resource` to ARNs; "
                "attach no AdministratorAccess, PowerUserAccess, IAMFullAccess or other `*FullAccess` policy; pin web "
                "identity trust to one subject (`StringEquals <provider>:sub system:serviceaccount:<ns>:<name>`).",
)


def _iam_documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    if canonical(resource.type) == IAM_ROLE:
        for index, inline in enumerate(items(get(resource.props, "inlinePolicies"))[:100]):
            yield f"inlinePolicies[{index}].policy", get(inline, "policy")
        return
    yield "policy", get(resource.props, "policy")


def _admin_policy(arn: Any) -> bool:
    """AdministratorAccess, PowerUserAccess, IAMFullAccess, and every AWS-managed `*FullAccess` policy (each grants
    `service:*` on every resource) or job-function administrator policy."""
    if not isinstance(arn, str) or verify.is_withheld(arn):
        return False
    text = arn.strip().lower()
    if text.endswith(tuple(p.lower() for p in ADMIN_MANAGED_POLICIES)):
        return True
    name = text.rsplit("/", 1)[-1]
    return ":iam::aws:policy/" in text and (name.endswith("fullaccess") or
                                            ("/job-function/" in text and name.endswith("administrator")))


WEB_IDENTITY = "sts:assumerolewithwebidentity"


def _pins_subject(value: Any, eks: bool) -> bool:
    """A `:sub` condition value that names who may assume the role: no wildcard before the service account's
    namespace (`system:serviceaccount:<ns>:`) on EKS, or before the second field elsewhere (`repo:<org>/<repo>:`)."""
    text = as_text(value).strip()[:512]
    cut_at = min([i for i in (text.find("*"), text.find("?")) if i >= 0], default=len(text))
    prefix = text[:cut_at]
    fields = prefix.split(":")
    wanted = 3 if eks else 2
    if cut_at == len(text):
        return bool(text) and (not eks or (len(fields) >= 4 and all(fields[:4])))
    return len(fields) > wanted and all(fields[:wanted])


def unpinned_web_identity(statement: Mapping[str, Any]) -> str | None:
    """Why an Allow of `sts:AssumeRoleWithWebIdentity` to an OIDC provider lets any of its subjects (every
    service account of the cluster, every repository) assume the role: no `:sub` condition pinning one."""
    if not allows(statement):
        return None
    actions = [as_text(a).strip().lower() for a in items(get(statement, "Action"))[:100]]
    if not any(glob_matches(a, WEB_IDENTITY) for a in actions):
        return None
    principal = get(statement, "Principal")
    federated = [v for v in _principal_values(principal)[:100] if "oidc-provider/" in v or "oidc." in v] \
        if isinstance(principal, Mapping) else []
    if not federated:
        return None
    eks = any("oidc.eks." in v for v in federated)
    pinned = False
    weak: list[str] = []
    for operator, clauses in mapping(get(statement, "Condition")).items():
        op = as_text(operator).lower()
        if op.startswith(("forallvalues:", "foranyvalue:")):
            op = op.split(":", 1)[1]
        for key, values in mapping(clauses).items():
            if not as_text(key).lower().endswith(":sub"):
                continue
            listed = items(values)[:100]
            if op in POSITIVE_OPERATORS and listed and all(_pins_subject(v, eks) for v in listed):
                pinned = True
            else:
                weak.append(f"{as_text(operator)} {cut(key, 120)} {shown(values, 80)}")
    if pinned:
        return None
    if weak:
        return f"its :sub condition ({'; '.join(weak[:3])}) does not pin one subject"
    return "it has no :sub condition: every subject of the identity provider may assume the role"


@resource_rule(iam, accepts((*IAM_POLICY_TYPES, IAM_ROLE, *IAM_ATTACHMENTS, *IAM_EXCLUSIVE_ATTACHMENTS)))
def aws_iam_no_wildcard(resource: Resource) -> Iterator[str]:
    kind = canonical(resource.type)
    if kind in IAM_ATTACHMENTS:
        arn = get(resource.props, "policyArn", default="")
        if _admin_policy(arn):
            yield f"policyArn attaches {as_text(arn)[:200]}"
        return
    if kind in IAM_EXCLUSIVE_ATTACHMENTS:
        for arn in items(get(resource.props, "policyArns"))[:100]:
            if _admin_policy(arn):
                yield f"policyArns attaches {cut(arn, 200)}"
        return
    if kind == IAM_ROLE:
        for arn in items(get(resource.props, "managedPolicyArns"))[:100]:
            if _admin_policy(arn):
                yield f"managedPolicyArns attaches {cut(arn, 200)}"
        trust = get(resource.props, "assumeRolePolicy")
        problem = unreadable(trust)
        if problem:
            yield f"assumeRolePolicy {problem}"
        for label, statement in public_statements(trust):
            # Anyone (any AWS account) may assume the role and use every permission it holds.
            yield f"assumeRolePolicy {label} lets {grantee(statement)} assume the role without a restricting condition"
        for index, statement in enumerate(statements(trust)[:1000]):
            why = unpinned_web_identity(statement)
            if why:
                yield f"assumeRolePolicy Statement[{index}] trusts {grantee(statement)} with web identity, but {why}"
    for path, value in _iam_documents(resource):
        problem = unreadable(value)
        if problem:
            yield f"{path} {problem}"
        for index, statement in enumerate(statements(value)[:1000]):
            for action in wildcard_actions(statement):
                yield f"{path} Statement[{index}] allows {action[:120]} on {shown(get(statement, 'Resource'))}"


# --- S3 ----------------------------------------------------------------------------------------

s3 = Meta(
    name="aws-s3-not-public",
    description="No S3 bucket is public: no bucket policy granting `*` without a restricting condition, no public "
                "ACL or AllUsers/AuthenticatedUsers grant, and every bucket has all four public access blocks on.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_19", "CKV_AWS_20", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV_AWS_70",
                "CIS AWS 2.1.4"),
    remediation="Grant named principals (the log-delivery account) in the bucket policy, keep ACLs private "
                "(BucketOwnershipControls BucketOwnerEnforced), and add an `aws.s3.BucketPublicAccessBlock` with "
                "`blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and `restrictPublicBuckets` true.",
)


def _acl_problems(props: Mapping[str, Any]) -> Iterator[str]:
    acl = as_text(get(props, "acl", default="")).strip().lower()
    if acl in PUBLIC_ACLS:
        yield f"acl is '{cut(acl)}'"
    for grants_path in (("accessControlPolicy", "grants"), ("grants",)):
        for index, grant in enumerate(items(get(props, *grants_path))):
            uri = as_text(get(grant, "grantee", "uri", default=get(grant, "uri", default="")))
            if uri.rstrip("/").endswith(PUBLIC_GRANTEES):
                yield f"{'.'.join(grants_path)}[{index}] grants {cut(get(grant, 'permission', default='access'))} to {cut(uri)}"


def _auto_named(segment: str, logical: str) -> bool:
    """Pulumi's auto-name: the logical name, a dash and 7 hex digits."""
    suffix = segment[len(logical) + 1:] if segment.startswith(logical + "-") else ""
    return len(suffix) == 7 and all(c in "0123456789abcdef" for c in suffix)


def names_resource(value: Any, target: PolicyResource, *name_props: str) -> bool:
    """Whether a reference's *value* (an id, name or ARN) is the target's, judged by the value itself: its
    recorded id/ARN/name when the bag carries them, else its explicit or auto-generated physical name.
    An ARN must be the target's recorded ARN exactly: a namesake in another account or region is not it."""
    text = as_text(value or "").strip()
    if not text or len(text) > 2048:
        return False
    arn = get(target.props, "arn")
    known = {as_text(v) for v in (arn, get(target.props, "id"), *(get(target.props, p) for p in name_props)) if v}
    if text in known:
        return True
    if arn and text.startswith("arn:"):
        return False
    segments = _segments(text)
    explicit = {as_text(get(target.props, p)) for p in name_props if get(target.props, p)}
    if explicit or known:
        return bool(explicit & set(segments))
    logical = target.urn.rsplit("::", 1)[-1]
    return any(s == logical or _auto_named(s, logical) for s in segments)


def _segments(text: str) -> list[str]:
    return [s for part in text.split(":") for s in part.split("/") if s][:64]


class Names:
    """Declared resources indexed by every value that may name them (ARN, id, explicit or logical name), so a
    reference resolves in time proportional to its own length, not to the number of resources: a stack of
    thousands of groups and rules stays linear. `find` answers exactly what `names_resource` would."""

    def __init__(self, targets: Iterable[PolicyResource], *name_props: str) -> None:
        self.name_props = name_props
        self._by_key: dict[str, list[PolicyResource]] = {}
        self.urns: set[str] = set()
        for target in targets:
            self.urns.add(target.urn)
            keys = {as_text(v) for v in (get(target.props, "arn"), get(target.props, "id"),
                                         *(get(target.props, p) for p in name_props)) if v}
            if not keys:
                keys = {target.urn.rsplit("::", 1)[-1]}
            for key in keys:
                self._by_key.setdefault(key, []).append(target)

    def find(self, value: Any) -> list[PolicyResource]:
        text = as_text(value).strip() if value else ""
        if not text or len(text) > 2048:
            return []
        keys = [text]
        for segment in _segments(text):
            keys.append(segment)
            if len(segment) > 8 and segment[-8] == "-":  # an auto-name: the logical name and 7 hex digits
                keys.append(segment[:-8])
        found: dict[int, PolicyResource] = {}
        for key in keys:
            for target in self._by_key.get(key, [])[:1000]:
                found.setdefault(id(target), target)
        return [t for t in found.values() if names_resource(text, t, *self.name_props)]


def targets(holder: PolicyResource, prop: str, names: Names) -> list[PolicyResource]:
    """The declared resources `holder.prop` refers to, proved by the value (an id, name or ARN, or a list of
    them). The wiring (`propertyDependencies`) stands in only where there is no value to read: an `.apply()`
    keeps the wiring while changing the value, so a value naming something else is never the wired target."""
    value = get(holder.props, prop)
    if value:
        found: dict[str, PolicyResource] = {}
        for v in items(value)[:100]:
            for target in names.find(v):
                found.setdefault(target.urn, target)
        return list(found.values())
    return [d for d in holder.property_dependencies.get(prop, []) if d.urn in names.urns]


def referrers(holders: Iterable[PolicyResource], prop: str, names: Names) -> dict[str, list[PolicyResource]]:
    """Target URN -> the holders whose `prop` refers to it (as `targets` decides), in one pass."""
    out: dict[str, list[PolicyResource]] = {}
    for holder in holders:
        value = get(holder.props, prop)
        if value:
            urns = {t.urn for t in targets(holder, prop, names)}
        else:
            urns = {d.urn for d in holder.property_dependencies.get(prop, [])}
        for urn in urns:
            out.setdefault(urn, []).append(holder)
    return out


@stack_rule(s3)
def aws_s3_not_public(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for policy in of(stack, S3_POLICY, *S3_BUCKETS):
        yield INDEPENDENT  # each policy, ACL and block is judged on its own settings
        problem = unreadable(get(policy.props, "policy"))
        if problem:
            yield f"policy {problem}", policy.urn
        for label, statement in public_statements(get(policy.props, "policy")):
            yield (f"policy {label} allows {shown(get(statement, 'Action'))} to {grantee(statement)} "
                   "without a restricting condition"), policy.urn
    for resource in of(stack, *S3_ACLS, *S3_BUCKETS):
        yield INDEPENDENT
        for problem in _acl_problems(resource.props):
            yield problem, resource.urn
    blocks: list[PolicyResource] = []
    unsure = NOT_BLIND  # blocks whose bucket or flags are blind: each may be the one a bucket lacks
    for block in of(stack, S3_PUBLIC_ACCESS_BLOCK, S3_ACCOUNT_PUBLIC_ACCESS_BLOCK):
        yield INDEPENDENT
        off = [flag for flag in BLOCK_FLAGS if not truthy(get(block.props, flag))]
        if off:
            flags = ", ".join(f"{f}={shown(get(block.props, f))}" for f in off)
            yield f"public access block leaves {flags}", block.urn
        if kind_of(block) == S3_PUBLIC_ACCESS_BLOCK:
            _, blind = derive(functools.partial(_block_facts, block), block.props)
            if blind:
                unsure = unsure | blind
            elif not off:
                blocks.append(block)
    buckets = of(stack, *S3_BUCKETS)
    # A bucket whose own name, id or ARN is blind is judged no further (its reads mark it, see `stack_rule`).
    covered = referrers(blocks, "bucket", Names(buckets, "bucket"))
    for bucket in buckets:
        yield INDEPENDENT  # each bucket is judged on the blocks that may cover it
        if bucket.urn not in covered:
            unsure.replay()
            yield "the bucket has no public access block with all four settings true", bucket.urn


def _block_facts(block: PolicyResource) -> tuple[bool, Any]:
    """A bucket-level block's flags and bucket reference, interpreted (inside `derive`)."""
    return all(truthy(get(block.props, flag)) for flag in BLOCK_FLAGS), settle(get(block.props, "bucket"))


POLICIES = [aws_iam_no_wildcard, aws_s3_not_public]
