"""The ScalingPolicy kind: ECS Service Auto Scaling for one service, i.e. its scalable target, its scaling policies
(each step-scaling policy with its CloudWatch alarm) and its scheduled actions, reconciled part by part.

Identity is the service the policy scales (``Address("ScalingPolicy", service, cluster)``): one per service, and the
live scalable target carries no name of its own. ``metadata.name`` is a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.diff import FieldChange, compare, drop_empty, project
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema, without
from reconciler.core.kind import BaseKind, Claims, Exports, PlanContext, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec, utc_timestamp
from reconciler.core.shapes import from_api_case, input_members, pascal_to_camel, to_api_case
from reconciler.kinds.scaling_rules import scaling_rules
from reconciler.kinds.service import KIND as SERVICE

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


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def service_address(addr: Address) -> Address:
    """The Service a ScalingPolicy scales."""
    return Address(SERVICE.name, addr.name, addr.scope)


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


def spec_schema() -> dict[str, Any]:
    """What ``check_shape`` checks, as a JSON Schema: the target fields, policies (each with its alarm) and scheduled
    actions, all camelCase, less what the tool fills in."""
    identity = [pascal_to_camel(name) for name in IDENTITY]
    target = input_schema(AAS, "RegisterScalableTarget", provided=IDENTITY, user_case=True)["properties"]
    policy = without(input_schema(AAS, "PutScalingPolicy", provided=IDENTITY, user_case=True), identity)
    alarm = input_schema("cloudwatch", "PutMetricAlarm", provided=["AlarmName"], user_case=True)
    policy["properties"]["alarm"] = {
        "description": "Step scaling: the CloudWatch alarm that triggers the policy (its actions are wired in).",
        **without(alarm, ["alarmName", "alarmActions"]),
    }
    action = without(input_schema(AAS, "PutScheduledAction", provided=IDENTITY, user_case=True), identity)
    name = {"type": "string"}
    properties = {
        "cluster": {**name, "description": "The cluster of the service to scale."},
        "service": {**name, "description": "The service to scale."},
        **{field: target[field] for field in TARGET_FIELDS},
        "policies": {"type": "array", "items": policy},
        "scheduledActions": {"type": "array", "items": action},
    }
    required = ["cluster", "service", "minCapacity", "maxCapacity"]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


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
    return dict(whole_numbers(drop_empty({**out, "policies": policies, "scheduledActions": actions})))


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
    return dict(whole_numbers(drop_empty({**out, "policies": policies, "scheduledActions": actions})))


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


def _members(service_name: str, operation: str, *, leave_out: tuple[str, ...] = ()) -> frozenset[str]:
    """The operation's input members as a manifest writes them (camelCase), less those the tool fills in."""
    return input_members(service_name, operation, user_case=True) - {pascal_to_camel(n) for n in leave_out}


def _cut(body: Mapping[str, Any], members: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in members}


def _export_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    out = _cut(policy, _members(AAS, "PutScalingPolicy", leave_out=IDENTITY))
    tracking = dict(out.get("targetTrackingScalingPolicyConfiguration") or {})
    if tracking.get("disableScaleIn") is False:  # the documented default
        del tracking["disableScaleIn"]
        out["targetTrackingScalingPolicyConfiguration"] = tracking
    if policy.get("alarm"):
        # alarmActions is the policy's ARN, which the tool wires in itself.
        alarm = _cut(policy["alarm"], _members("cloudwatch", "PutMetricAlarm", leave_out=("AlarmActions",)))
        if alarm.get("actionsEnabled") is True:  # the documented default
            del alarm["actionsEnabled"]
        out["alarm"] = alarm
    return out


class ScalingPolicyKind(BaseKind, Refers, Claims, Exports):
    name = "ScalingPolicy"
    name_field = None

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_shape(spec)

    def spec_schema(self) -> dict[str, Any]:
        return spec_schema()

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, str(spec["service"]), str(spec["cluster"]))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        rules = resource.spec_errors(scaling_rules(resource.spec))
        return check(resource) + rules

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        target = service_address(resource.address)
        missing = f"service {target.scope}/{target.name} is neither declared in the manifests nor live"
        return [Reference(target, "spec.service", missing=missing)]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return [service_address(live.address)]

    def claimed(self, address: Address) -> Address:
        return service_address(address)

    def referrers_of(self, address: Address) -> list[Address]:
        return [Address(self.name, address.name, address.scope)] if address.kind == SERVICE.name else []

    def claims(self, resource: Resource) -> Mapping[Address, Mapping[str, Any]]:
        return {service_address(resource.address): {"desiredCount": bounds(resource)}}

    def live_claims(self, live: Live) -> Mapping[Address, Mapping[str, Any]]:
        target = live.body["target"]
        return {service_address(live.address): {"desiredCount": (target["minCapacity"], target["maxCapacity"])}}

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        return diff(resource, live)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        """The live scalable target with its policies (step-scaling alarms included) and scheduled actions."""
        target = live.body["target"]
        spec: dict[str, Any] = {"cluster": live.address.scope, "service": live.address.name}
        spec.update({k: target[k] for k in TARGET_FIELDS if k in target})
        if not any((spec.get("suspendedState") or {}).values()):  # nothing suspended is what a new target has
            spec.pop("suspendedState", None)
        # Sorted by name, so that exporting the same live state twice writes the same file.
        policies = sorted(live.body.get("policies") or [], key=lambda p: str(p["policyName"]))
        spec["policies"] = [_export_policy(p) for p in policies]
        action_members = _members(AAS, "PutScheduledAction", leave_out=IDENTITY)
        actions = sorted(live.body.get("scheduledActions") or [], key=lambda a: str(a["scheduledActionName"]))
        spec["scheduledActions"] = [action_times(_cut(a, action_members)) for a in actions]
        return dict(whole_numbers(drop_empty(spec)))


KIND = ScalingPolicyKind()
