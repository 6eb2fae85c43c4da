"""The ScalingPolicy kind's reads and writes: scalable targets (50 ids a call), their policies and scheduled actions
(per target, or one namespace-wide listing from ``SHARED_LISTING_FROM`` targets up), step-scaling alarms, tags; and
the writes, part by part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.shapes import from_api_case, to_api_case
from reconciler.core.tags import Stamp, is_managed, own_tags, owner_of
from reconciler.kinds.express_service import KIND as EXPRESS
from reconciler.kinds.live_base import ApplyContext, BaseLive, Found
from reconciler.kinds.scaling import (
    AAS,
    DIMENSION,
    KIND,
    NAMESPACE,
    TARGET_FIELDS,
    _projected,
    normalize_live,
    normalize_spec,
    resource_id,
)
from reconciler.kinds.tagging import SCALING, sync_tags

# --- reading -----------------------------------------------------------------------------------------------------


def _address_of(rid: str) -> Address | None:
    parts = rid.split("/")
    return Address(KIND.name, parts[2], parts[1]) if len(parts) == 3 and parts[0] == "service" else None


SHARED_LISTING_FROM = 5
"""From this many scalable targets read at once, their policies and scheduled actions come from one listing of the
whole ``ecs`` namespace, split by ResourceId; below it, from reads target by target. The arithmetic, in calls:
target by target costs 2 per target (DescribeScalingPolicies and DescribeScheduledActions, one page each); the
listing costs ceil(P / 10) + ceil(A / 50) for the P ECS scaling policies (10 a page, the documented maximum) and A
scheduled actions (50 a page) in the account and region, ours or not. At 5 targets both cost 10 calls while the
account holds up to 90 ECS policies and 50 actions, i.e. 18 policies per target read, several times what a service
has (1 to 3); below 5 the per-target reads cost at most 8 calls (read concurrently) and the listing would win only
in an account with almost no other ECS scaling."""
_PARTS = (("DescribeScalingPolicies", "ScalingPolicies"), ("DescribeScheduledActions", "ScheduledActions"))


def _listing(aws: Aws, operation: str, key: str, rid: str | None) -> tuple[str, list[dict[str, Any]]]:
    """One target's items (ScalableDimension may be given only with a ResourceId), or the whole namespace's."""
    where = {"ResourceId": rid, "ScalableDimension": DIMENSION} if rid else {}
    items = aws.pages(AAS, operation, key, rid or NAMESPACE, token="NextToken", ServiceNamespace=NAMESPACE, **where)
    return key, items


def _parts(aws: Aws, rids: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each target's policies and scheduled actions (API shapes, by ResourceId then key), read as
    ``SHARED_LISTING_FROM`` decides; either way only exact ResourceId and dimension matches are kept."""
    shared = len(rids) >= SHARED_LISTING_FROM
    jobs = [(op, key, None) for op, key in _PARTS] if shared else [(op, key, r) for r in rids for op, key in _PARTS]
    out: dict[str, dict[str, list[dict[str, Any]]]] = {rid: {key: [] for _, key in _PARTS} for rid in rids}
    for key, items in aws.map(lambda job: _listing(aws, *job), jobs):
        for item in items:
            if item.get("ResourceId") in out and item.get("ScalableDimension") == DIMENSION:
                out[item["ResourceId"]][key].append(item)
    return out


def _live(aws: Aws, target: Mapping[str, Any], parts: Mapping[str, list[dict[str, Any]]]) -> Live | None:
    rid = str(target["ResourceId"])
    addr = _address_of(rid)
    if addr is None:
        return None
    tags = aws.call(AAS, "ListTagsForResource", rid, ResourceARN=target["ScalableTargetARN"]).get("Tags", {})
    camel_policies = []
    for policy in parts["ScalingPolicies"]:
        item = from_api_case(AAS, "DescribeScalingPolicies", policy, shape="ScalingPolicy")
        if policy.get("PolicyType") == "StepScaling":
            alarms = aws.pages(
                "cloudwatch", "DescribeAlarms", "MetricAlarms", rid, token="NextToken", ActionPrefix=policy["PolicyARN"]
            )
            if alarms:
                item["alarm"] = from_api_case("cloudwatch", "DescribeAlarms", alarms[0], shape="MetricAlarm")
        camel_policies.append(item)
    body = {
        "target": from_api_case(AAS, "DescribeScalableTargets", target, shape="ScalableTarget"),
        "policies": camel_policies,
        "scheduledActions": [
            from_api_case(AAS, "DescribeScheduledActions", a, shape="ScheduledAction")
            for a in parts["ScheduledActions"]
        ],
        "tags": tags,
    }
    return Live(addr, body, managed=is_managed(tags), owner=owner_of(tags))


def _targets(aws: Aws, ids: list[str] | None) -> list[dict[str, Any]]:
    def describe(chunk: list[str] | None) -> list[dict[str, Any]]:
        ids_arg = {"ResourceIds": chunk} if chunk is not None else {}
        return aws.pages(
            AAS,
            "DescribeScalableTargets",
            "ScalableTargets",
            ",".join(chunk or []),
            token="NextToken",
            ServiceNamespace=NAMESPACE,
            ScalableDimension=DIMENSION,
            **ids_arg,
        )

    chunks: list[list[str] | None] = list(batches(ids, 50)) if ids is not None else [None]
    return [t for page in aws.map(describe, chunks) for t in page if t.get("ScalableDimension") == DIMENSION]


def _lives(aws: Aws, targets: list[dict[str, Any]]) -> list[Live]:
    """The targets with their tags, policies (step-scaling ones with their alarm) and scheduled actions."""
    parts = _parts(aws, sorted({str(t["ResourceId"]) for t in targets}))
    lives = aws.map(lambda t: _live(aws, t, parts[str(t["ResourceId"])]), targets)
    return [live for live in lives if live is not None]


def observe(aws: Aws, services: Sequence[Address]) -> dict[Address, Live]:
    """The scalable targets of the given services (DescribeScalableTargets, 50 resource ids per call), each with
    its tags (one call per target), policies, step-scaling alarms (one call per step-scaling policy) and scheduled
    actions (per target or namespace-wide, see ``SHARED_LISTING_FROM``)."""
    ids = sorted({resource_id(str(a.scope), a.name) for a in services})
    if not ids:
        return {}
    return {live.address: live for live in _lives(aws, _targets(aws, ids))}


def list_managed(aws: Aws) -> dict[Address, Live]:
    """Every ECS service scalable target that carries the managed-by tag (for prune)."""
    return {live.address: live for live in _lives(aws, _targets(aws, None)) if live.managed}


# --- writing -----------------------------------------------------------------------------------------------------


def _where(addr: Address) -> dict[str, str]:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(str(addr.scope), addr.name),
        "ScalableDimension": DIMENSION,
    }


def _register(aws: Aws, resource: Resource, *, tags: dict[str, str] | None) -> None:
    fields = {k: resource.spec[k] for k in TARGET_FIELDS if k in resource.spec}
    target = to_api_case(AAS, "RegisterScalableTarget", fields)
    extra = {"Tags": tags} if tags else {}
    aws.call(AAS, "RegisterScalableTarget", str(resource.address), **_where(resource.address), **target, **extra)


def _put_policy(aws: Aws, resource: Resource, policy: Mapping[str, Any]) -> None:
    addr = resource.address
    body = to_api_case(AAS, "PutScalingPolicy", {k: v for k, v in policy.items() if k != "alarm"})
    answer = aws.call(AAS, "PutScalingPolicy", f"{addr} {policy['policyName']}", **_where(addr), **body)
    if "alarm" in policy:
        alarm = to_api_case("cloudwatch", "PutMetricAlarm", dict(policy["alarm"]))
        alarm.setdefault("AlarmName", f"ecs-reconciler-{addr.scope}-{addr.name}-{policy['policyName']}")
        aws.call("cloudwatch", "PutMetricAlarm", alarm["AlarmName"], **alarm, AlarmActions=[answer["PolicyARN"]])


def _delete_policy(aws: Aws, addr: Address, policy: Mapping[str, Any]) -> None:
    if policy.get("alarm"):
        alarm = policy["alarm"]["alarmName"]
        aws.call("cloudwatch", "DeleteAlarms", alarm, AlarmNames=[alarm])
    name = policy["policyName"]
    aws.call(AAS, "DeleteScalingPolicy", f"{addr} {name}", **_where(addr), PolicyName=name)


def _put_action(aws: Aws, resource: Resource, action: Mapping[str, Any]) -> None:
    addr = resource.address
    body = to_api_case(AAS, "PutScheduledAction", dict(action))
    aws.call(AAS, "PutScheduledAction", f"{addr} {action['scheduledActionName']}", **_where(addr), **body)


def _delete_action(aws: Aws, addr: Address, name: str) -> None:
    aws.call(AAS, "DeleteScheduledAction", f"{addr} {name}", **_where(addr), ScheduledActionName=name)


def _create(aws: Aws, resource: Resource, *, stamp: Stamp) -> None:
    """Scalable target (tagged as ours), then each policy with its alarm, then each scheduled action."""
    _register(aws, resource, tags=own_tags(stamp))
    for policy in resource.spec.get("policies", []):
        _put_policy(aws, resource, policy)
    for action in resource.spec.get("scheduledActions", []):
        _put_action(aws, resource, action)


def _update(aws: Aws, resource: Resource, live: Live, changes: Sequence[FieldChange]) -> None:
    """Only the parts that changed: the target, then changed or new policies (an unchanged target-tracking policy
    is never re-put: that would churn its alarms), then scheduled actions; then what the manifest dropped."""
    addr, spec = resource.address, resource.spec
    changed = {c.path.split(".", 1)[0] for c in changes}
    if changed & set(TARGET_FIELDS):
        _register(aws, resource, tags=None)
    desired, current = normalize_spec(spec), _projected(normalize_live(live.body), normalize_spec(spec))
    for part, put, items in (
        ("policies", _put_policy, spec.get("policies", [])),
        ("scheduledActions", _put_action, spec.get("scheduledActions", [])),
    ):
        key = "policyName" if part == "policies" else "scheduledActionName"
        for item in items:
            name = str(item[key])
            if current.get(part, {}).get(name, ABSENT) != desired.get(part, {}).get(name):
                put(aws, resource, item)
    for action in live.body.get("scheduledActions", []):
        if action["scheduledActionName"] not in desired.get("scheduledActions", {}):
            _delete_action(aws, addr, action["scheduledActionName"])
    for policy in live.body.get("policies", []):
        if policy["policyName"] not in desired.get("policies", {}):
            _delete_policy(aws, addr, policy)


def _delete(aws: Aws, live: Live) -> None:
    """Scheduled actions, then policies and their alarms, then the scalable target."""
    addr = live.address
    for action in live.body.get("scheduledActions", []):
        _delete_action(aws, addr, action["scheduledActionName"])
    for policy in live.body.get("policies", []):
        _delete_policy(aws, addr, policy)
    aws.call(AAS, "DeregisterScalableTarget", str(addr), **_where(addr))


class ScalingPolicyLive(BaseLive):
    kind = KIND

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        return observe(aws, addresses)

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        """The managed scalable targets but those ECS registered for an Express service: they carry the Express
        service's tags, the managed-by tag included (DG "Resources created by Amazon ECS Express Mode services",
        Application scaling target defaults: "Tags: Derived from the tags passed in" the create), and are ECS's.
        The Express service comes before them, found whether it is declared or pruned itself (which removes them)."""
        return {a: v for a, v in list_managed(aws).items() if Address(EXPRESS.name, a.name, a.scope) not in found}

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        _create(aws, desired, stamp=ctx.stamp)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        self.retag(aws, desired, live, ctx)  # first: a stop between the two leaves a diff, never a stale tag
        _update(aws, desired, live, changes)
        return None

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        """The scalable target carries the tool's own tags (a ScalingPolicy declares no tags of its own)."""
        arn = str(live.body["target"]["scalableTargetARN"])
        sync_tags(aws, SCALING, arn, wanted=None, live=live.body.get("tags"), stamp=ctx.stamp, declared=False)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        _delete(aws, live)


LIVE = ScalingPolicyLive()
