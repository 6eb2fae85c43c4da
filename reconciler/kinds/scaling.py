"""The ScalingPolicy kind: ECS Service Auto Scaling for one service, i.e. its scalable target, its scaling policies
(each step-scaling policy with its CloudWatch alarm) and its scheduled actions, reconciled part by part.

Identity is the service the policy scales (``Address("ScalingPolicy", service, cluster)``): one per service, and the
live scalable target carries no name of its own. ``metadata.name`` is a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import ABSENT, FieldChange, compare, drop_empty, project
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec, from_api_case, to_api_case, utc_timestamp
from reconciler.tags import is_managed, own_tags

KIND = "ScalingPolicy"
NAME_FIELD = None
AAS = "application-autoscaling"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
TARGET_FIELDS = ("minCapacity", "maxCapacity", "suspendedState")
SPEC_FIELDS = frozenset({"cluster", "service", *TARGET_FIELDS, "policies", "scheduledActions"})
IDENTITY = ("ServiceNamespace", "ResourceId", "ScalableDimension")
"""The members that name the scalable target in every Application Auto Scaling call: the tool fills them in."""
_POLICY_KEYS = ("policyType", "stepScalingPolicyConfiguration", "targetTrackingScalingPolicyConfiguration")
_ACTION_KEYS = ("schedule", "timezone", "startTime", "endTime", "scalableTargetAction")
_ACTION_TIMES = ("startTime", "endTime")

check_name = check_ecs_name


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def address(name: str, spec: Mapping[str, Any]) -> Address:
    return Address(KIND, str(spec["service"]), str(spec["cluster"]))


def service_address(addr: Address) -> Address:
    """The Service a ScalingPolicy scales."""
    return Address("Service", addr.name, addr.cluster)


# --- checking ----------------------------------------------------------------------------------------------------


def _prefixed(prefix: str, problems: list[ShapeProblem]) -> list[ShapeProblem]:
    return [ShapeProblem(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in problems]


def check_shape(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
    """The target fields as RegisterScalableTarget input, each policy as PutScalingPolicy input (its ``alarm`` as
    PutMetricAlarm input), each scheduled action as PutScheduledAction input; all camelCase, without resource ids."""
    problems = [
        ShapeProblem(key, f"unknown field {key!r}; a ScalingPolicy has {', '.join(sorted(SPEC_FIELDS))}")
        for key in sorted(set(spec) - SPEC_FIELDS)
    ]
    for key in ("cluster", "service", "minCapacity", "maxCapacity"):
        if key not in spec:
            problems.append(ShapeProblem(key, f"missing required field {key!r}"))
    target = {k: spec[k] for k in TARGET_FIELDS if k in spec}
    out, found = check_spec(AAS, "RegisterScalableTarget", target, provided=IDENTITY, user_case=True)
    problems += [p for p in found if p.path]
    out.update({k: spec[k] for k in ("cluster", "service") if k in spec})
    for field, operation in (("policies", "PutScalingPolicy"), ("scheduledActions", "PutScheduledAction")):
        items = spec.get(field, [])
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            problems.append(ShapeProblem(field, "must be a list of mappings"))
            continue
        out[field] = []
        for i, item in enumerate(items):
            body = {k: v for k, v in item.items() if k != "alarm"}
            coerced, found = check_spec(AAS, operation, body, provided=IDENTITY, user_case=True)
            problems += _prefixed(f"{field}[{i}]", found)
            if "alarm" in item:
                alarm, found = check_spec(
                    "cloudwatch", "PutMetricAlarm", item["alarm"], provided=["AlarmName"], user_case=True
                )
                problems += _prefixed(f"{field}[{i}].alarm", found)
                coerced["alarm"] = alarm
            out[field].append(coerced)
    return out, problems


def check(resource: Resource) -> list[ManifestError]:
    """min <= max, unique policy and action names, alarms only for step scaling and without alarmActions."""
    spec, errors = resource.spec, []

    def error(path: str, message: str) -> None:
        errors.append(resource.error(path, message))

    for key in ("cluster", "service"):
        if problem := check_ecs_name(spec[key]):
            error(f"spec.{key}", problem)
    if spec["minCapacity"] > spec["maxCapacity"]:
        low, high = spec["minCapacity"], spec["maxCapacity"]
        error("spec.minCapacity", f"minCapacity {low} is greater than maxCapacity {high}")
    for field, key in (("policies", "policyName"), ("scheduledActions", "scheduledActionName")):
        seen: set[str] = set()
        for i, item in enumerate(spec.get(field, [])):
            if item[key] in seen:
                error(f"spec.{field}[{i}].{key}", f"duplicate {key} {item[key]!r}")
            seen.add(item[key])
    for i, policy in enumerate(spec.get("policies", [])):
        alarm = policy.get("alarm")
        if alarm is None:
            continue
        if policy.get("policyType", "StepScaling") != "StepScaling":
            error(f"spec.policies[{i}].alarm", "only StepScaling policies take an alarm (target tracking has its own)")
        if "alarmActions" in alarm:
            error(f"spec.policies[{i}].alarm.alarmActions", "leave out alarmActions: the policy's ARN is wired in")
    return errors


def bounds(resource: Resource) -> tuple[int, int]:
    """The service's desiredCount range this policy allows: the target's [min, max], widened by what the scheduled
    actions set (the autoscaler moves desiredCount anywhere in between)."""
    mins = [int(resource.spec["minCapacity"])]
    maxs = [int(resource.spec["maxCapacity"])]
    for action in resource.spec.get("scheduledActions", []):
        bounds_given = action.get("scalableTargetAction") or {}
        mins += [int(bounds_given["minCapacity"])] if "minCapacity" in bounds_given else []
        maxs += [int(bounds_given["maxCapacity"])] if "maxCapacity" in bounds_given else []
    return min(mins), max(maxs)


# --- normalising and diffing -------------------------------------------------------------------------------------


def whole_numbers(value: Any) -> Any:
    """Integral floats as ints (a targetValue of 50 comes back as 50.0), recursively."""
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _canonical(service: str, operation: str, shape: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A user's camelCase (or exact-case) input in one canonical camelCase spelling."""
    return dict(from_api_case(service, operation, to_api_case(service, operation, doc), shape=shape))


def _alarm(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("alarmName", "alarmActions")}
    if "dimensions" in out:
        out["dimensions"] = sorted(out["dimensions"] or [], key=lambda d: str(d.get("name")))
    return out


def action_times(action: Mapping[str, Any]) -> dict[str, Any]:
    """A scheduled action with its start and end times in one spelling (a manifest holds text, AWS answers with
    datetimes)."""
    return {k: utc_timestamp(v) if k in _ACTION_TIMES and v is not None else v for k, v in action.items()}


def normalize_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a ScalingPolicy spec."""
    out: dict[str, Any] = {k: spec[k] for k in TARGET_FIELDS if k in spec}
    policies = {}
    for policy in spec.get("policies", []):
        body = _canonical(AAS, "PutScalingPolicy", "PutScalingPolicyRequest", policy)
        body = {k: v for k, v in body.items() if k in _POLICY_KEYS}
        if "alarm" in policy:
            body["alarm"] = _alarm(_canonical("cloudwatch", "PutMetricAlarm", "PutMetricAlarmInput", policy["alarm"]))
        policies[str(policy["policyName"])] = body
    actions = {}
    for action in spec.get("scheduledActions", []):
        body = _canonical(AAS, "PutScheduledAction", "PutScheduledActionRequest", action)
        actions[str(action["scheduledActionName"])] = action_times({k: v for k, v in body.items() if k in _ACTION_KEYS})
    return whole_numbers(drop_empty({**out, "policies": policies, "scheduledActions": actions}))


def normalize_live(body: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a live scalable target with its policies (and their alarms) and scheduled actions."""
    target = body["target"]
    out: dict[str, Any] = {k: target[k] for k in TARGET_FIELDS if target.get(k) is not None}
    policies = {}
    for policy in body.get("policies", []):
        item = {k: v for k, v in policy.items() if k in _POLICY_KEYS}
        if policy.get("alarm"):
            item["alarm"] = _alarm(policy["alarm"])
        policies[str(policy["policyName"])] = item
    actions = {
        str(a["scheduledActionName"]): action_times({k: v for k, v in a.items() if k in _ACTION_KEYS})
        for a in body.get("scheduledActions", [])
    }
    return whole_numbers(drop_empty({**out, "policies": policies, "scheduledActions": actions}))


def _projected(live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """Live state cut to the fields the manifest sets, keeping policies and actions the manifest no longer lists."""
    out = {k: live[k] for k in TARGET_FIELDS if k in live and k in desired}
    if "suspendedState" in out:
        out["suspendedState"] = project(out["suspendedState"], desired["suspendedState"])
    for part in ("policies", "scheduledActions"):
        wanted = desired.get(part, {})
        items = {n: project(v, wanted[n]) if n in wanted else v for n, v in live.get(part, {}).items()}
        if items:
            out[part] = items
    return out


def _schedule_bounds(spec: Mapping[str, Any]) -> list[dict[str, int]]:
    return [dict(a.get("scalableTargetAction") or {}) for a in spec.get("scheduledActions", [])]


def diff(resource: Resource, live: Live) -> list[FieldChange]:
    """Field-level changes. Live min/max equal to what a declared scheduled action sets is that action at work,
    not drift."""
    desired = normalize_spec(resource.spec)
    current = _projected(normalize_live(live.body), desired)
    live_bounds: dict[str, Any] = {k: current[k] for k in ("minCapacity", "maxCapacity") if k in current}
    if any(b and all(live_bounds.get(k) == v for k, v in b.items()) for b in _schedule_bounds(resource.spec)):
        current.update({k: desired[k] for k in ("minCapacity", "maxCapacity")})
    return compare(current, desired)


# --- reading -----------------------------------------------------------------------------------------------------


def _address_of(rid: str) -> Address | None:
    parts = rid.split("/")
    return Address(KIND, parts[2], parts[1]) if len(parts) == 3 and parts[0] == "service" else None


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
    return Live(addr, body, managed=is_managed(tags))


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


def observe(aws: Aws, services: list[Address]) -> dict[Address, Live]:
    """The scalable targets of the given services (DescribeScalableTargets, 50 resource ids per call), each with
    its tags (one call per target), policies, step-scaling alarms (one call per step-scaling policy) and scheduled
    actions (per target or namespace-wide, see ``SHARED_LISTING_FROM``)."""
    ids = sorted({resource_id(str(a.cluster), a.name) for a in services})
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
        "ResourceId": resource_id(str(addr.cluster), addr.name),
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
        alarm.setdefault("AlarmName", f"ecs-reconciler-{addr.cluster}-{addr.name}-{policy['policyName']}")
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


def create(aws: Aws, resource: Resource, *, revision: str | None) -> None:
    """Scalable target (tagged as ours), then each policy with its alarm, then each scheduled action."""
    _register(aws, resource, tags=own_tags(revision=revision))
    for policy in resource.spec.get("policies", []):
        _put_policy(aws, resource, policy)
    for action in resource.spec.get("scheduledActions", []):
        _put_action(aws, resource, action)


def update(aws: Aws, resource: Resource, live: Live, changes: list[FieldChange], *, revision: str | None) -> None:
    """Only the parts that changed: the target, then changed or new policies (an unchanged target-tracking policy
    is never re-put: that would churn its alarms), then scheduled actions; then what the manifest dropped."""
    addr, spec = resource.address, resource.spec
    changed = {c.path.split(".", 1)[0] for c in changes}
    if changed & set(TARGET_FIELDS):
        _register(aws, resource, tags=None)
    tags = own_tags(revision=revision)
    if any(live.body.get("tags", {}).get(k) != v for k, v in tags.items()):
        arn = str(live.body["target"]["scalableTargetARN"])
        aws.call(AAS, "TagResource", str(addr), ResourceARN=arn, Tags=tags)
    desired, current = normalize_spec(spec), _projected(normalize_live(live.body), normalize_spec(spec))
    for part, put, items in (
        ("policies", _put_policy, spec.get("policies", [])),
        ("scheduledActions", _put_action, spec.get("scheduledActions", [])),
    ):
        key = "policyName" if part == "policies" else "scheduledActionName"
        for item in items:
            name = str(item[key])
            if current.get(part, {}).get(name, ABSENT) != desired.get(part, {}).get(name):
                put(aws, resource, item)  # type: ignore[operator]
    for action in live.body.get("scheduledActions", []):
        if action["scheduledActionName"] not in desired.get("scheduledActions", {}):
            _delete_action(aws, addr, action["scheduledActionName"])
    for policy in live.body.get("policies", []):
        if policy["policyName"] not in desired.get("policies", {}):
            _delete_policy(aws, addr, policy)


def delete(aws: Aws, live: Live) -> None:
    """Scheduled actions, then policies and their alarms, then the scalable target."""
    addr = live.address
    for action in live.body.get("scheduledActions", []):
        _delete_action(aws, addr, action["scheduledActionName"])
    for policy in live.body.get("policies", []):
        _delete_policy(aws, addr, policy)
    aws.call(AAS, "DeregisterScalableTarget", str(addr), **_where(addr))
