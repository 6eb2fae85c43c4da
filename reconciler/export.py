"""Export: manifests written from what already runs, the on-ramp for existing services.

Reads a live cluster, its services, their task definitions, the log groups those log to and the services' auto
scaling (reads only), and turns each describe output into a manifest: only the members botocore's model lists as
the create (or put) operation's input are kept, server-filled defaults and empty values are dropped, ARNs become
the names a manifest uses. ``plan`` on the result right after is empty (the resources stay unmanaged until
``apply --adopt``). The pure ``*_manifest`` functions do the conversion.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from reconciler.aws import Aws
from reconciler.core.diff import drop_empty, user_tags
from reconciler.core.errors import PlanError
from reconciler.core.loader import MANIFEST_SUFFIXES
from reconciler.core.manifests import API_VERSION
from reconciler.core.model import Address
from reconciler.core.schema import input_members, pascal_to_camel
from reconciler.kinds import cluster, log_group, scaling, service, task_definition

HEADER = (
    "# Exported by `ecs-reconciler export` from live ECS. Review it, check it in, then `apply --adopt` takes\n"
    "# ownership; until then `plan` shows these resources as existing and unmanaged.\n"
)


def _inputs(body: Mapping[str, Any], module: Any) -> dict[str, Any]:
    """The describe output cut down to the create operation's input members (per botocore's model)."""
    members = input_members("ecs", module.OPERATION) - {module.NAME_FIELD, "tags"}
    return {k: v for k, v in body.items() if k in members}


def _tags(body: Mapping[str, Any]) -> dict[str, Any]:
    tags = user_tags(body.get("tags"))
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}


def _document(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": dict(spec)}


def cluster_manifest(body: Mapping[str, Any]) -> dict[str, Any]:
    spec = _inputs(body, cluster)
    # containerInsights "disabled" is what a cluster has when nothing was asked for.
    settings = [s for s in spec.get("settings") or [] if s != {"name": "containerInsights", "value": "disabled"}]
    spec["settings"] = settings
    return _document(cluster.KIND, str(body["clusterName"]), drop_empty({**spec, **_tags(body)}))


def _container(container: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    out = dict(container)
    if out.get("cpu") == 0:
        del out["cpu"]
    if out.get("essential") is True:
        del out["essential"]
    ports = []
    for mapping in out.get("portMappings") or []:
        port = dict(mapping)
        if port.get("protocol") == "tcp":
            del port["protocol"]
        if network_mode in ("awsvpc", "host") and port.get("hostPort") == port.get("containerPort"):
            port.pop("hostPort", None)
        ports.append(port)
    out["portMappings"] = ports
    return out


def task_definition_manifest(body: Mapping[str, Any]) -> dict[str, Any]:
    spec = _inputs(body, task_definition)
    mode = str(spec.get("networkMode", "bridge"))
    spec["containerDefinitions"] = [_container(c, mode) for c in spec.get("containerDefinitions") or []]
    return _document(task_definition.KIND, str(body["family"]), drop_empty({**spec, **_tags(body)}))


def service_manifest(body: Mapping[str, Any], *, cluster_name: str, task_definition_ref: str) -> dict[str, Any]:
    """``task_definition_ref``: the family when the service runs its latest ACTIVE revision, else family:revision."""
    spec = _inputs(body, service)
    primary: Mapping[str, Any] = next((d for d in body.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
    for field in ("serviceConnectConfiguration", "volumeConfigurations"):
        if field in primary:
            spec[field] = primary[field]
    role = str(body.get("roleArn") or "")
    if role and "/aws-service-role/" not in role:  # the service-linked role is AWS's choice, not an input
        spec["role"] = role
    deployment = dict(spec.get("deploymentConfiguration") or {})
    alarms = deployment.get("alarms") or {}
    if not alarms.get("alarmNames") and not alarms.get("enable"):
        deployment.pop("alarms", None)
    spec["deploymentConfiguration"] = deployment
    for field, default in service.DEFAULTS.items():
        if spec.get(field) == default:
            del spec[field]
    if spec.get("platformVersion") == "LATEST":
        del spec["platformVersion"]
    if spec.get("availabilityZoneRebalancing") == "ENABLED":  # AWS's default for a new REPLICA service
        del spec["availabilityZoneRebalancing"]
    vpc = dict((spec.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {})
    if vpc.get("assignPublicIp") == "DISABLED":
        del vpc["assignPublicIp"]
    if vpc:
        spec["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    spec = {"cluster": cluster_name, **spec, "taskDefinition": task_definition_ref, **_tags(body)}
    return _document(service.KIND, str(body["serviceName"]), drop_empty(spec))


def _members(service_name: str, operation: str, *, leave_out: Iterable[str] = ()) -> frozenset[str]:
    """The operation's input members as a manifest writes them (camelCase), less those the tool fills in."""
    return input_members(service_name, operation, user_case=True) - {pascal_to_camel(n) for n in leave_out}


def _cut(body: Mapping[str, Any], members: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in members}


def log_group_manifest(body: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeLogGroups entry (with its tags) as a LogGroup: CreateLogGroup and PutRetentionPolicy input."""
    members = _members("logs", log_group.OPERATION) | _members("logs", "PutRetentionPolicy")
    spec = _cut(body, members - {log_group.NAME_FIELD, "tags"})
    if spec.get("logGroupClass") == "STANDARD":  # what a group gets when no class is asked for
        del spec["logGroupClass"]
    if spec.get("deletionProtectionEnabled") is False:
        del spec["deletionProtectionEnabled"]
    spec["tags"] = log_group.normalize(body)["tags"]
    return _document(log_group.KIND, str(body["logGroupName"]), drop_empty(spec))


def _policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    out = _cut(policy, _members(scaling.AAS, "PutScalingPolicy", leave_out=scaling.IDENTITY))
    tracking = dict(out.get("targetTrackingScalingPolicyConfiguration") or {})
    if tracking.get("disableScaleIn") is False:  # the documented default
        del tracking["disableScaleIn"]
        out["targetTrackingScalingPolicyConfiguration"] = tracking
    if policy.get("alarm"):
        # alarmActions is the policy's ARN, which the tool wires in itself.
        alarm = _cut(policy["alarm"], _members("cloudwatch", "PutMetricAlarm", leave_out=["AlarmActions"]))
        if alarm.get("actionsEnabled") is True:  # the documented default
            del alarm["actionsEnabled"]
        out["alarm"] = alarm
    return out


def scaling_policy_manifest(body: Mapping[str, Any], *, cluster_name: str, service_name: str) -> dict[str, Any]:
    """A live scalable target with its policies (step-scaling alarms included) and scheduled actions as a
    ScalingPolicy; its label is the service's name."""
    target = body["target"]
    spec: dict[str, Any] = {"cluster": cluster_name, "service": service_name}
    spec.update({k: target[k] for k in scaling.TARGET_FIELDS if k in target})
    if not any((spec.get("suspendedState") or {}).values()):  # nothing suspended is what a new target has
        spec.pop("suspendedState", None)
    # Sorted by name, so that exporting the same live state twice writes the same file.
    policies = sorted(body.get("policies") or [], key=lambda p: str(p["policyName"]))
    spec["policies"] = [_policy(p) for p in policies]
    action_members = _members(scaling.AAS, "PutScheduledAction", leave_out=scaling.IDENTITY)
    actions = sorted(body.get("scheduledActions") or [], key=lambda a: str(a["scheduledActionName"]))
    spec["scheduledActions"] = [scaling.action_times(_cut(a, action_members)) for a in actions]
    return _document(scaling.KIND, service_name, scaling.whole_numbers(drop_empty(spec)))


def export_manifests(aws: Aws, cluster_name: str, service_names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """File name -> manifests for a live cluster and its services (all of them when ``service_names`` is empty)."""
    clusters = cluster.observe(aws, [cluster_name])
    if not clusters:
        raise PlanError(f"cluster {cluster_name!r} does not exist (or is INACTIVE)")
    if not service_names:
        arns = aws.pages("ecs", "ListServices", "serviceArns", cluster_name, cluster=cluster_name)
        service_names = [arn.rsplit("/", 1)[-1] for arn in arns]
    services = service.observe(aws, {cluster_name: service_names}) if service_names else {}
    missing = sorted(set(service_names) - {a.name for a in services})
    if missing:
        raise PlanError(f"no ACTIVE service {', '.join(missing)} in cluster {cluster_name!r}")
    families = sorted({service.family_of(str(s.body["taskDefinition"])) for s in services.values()})
    latest = {a.name: live.body for a, live in task_definition.observe(aws, families).items()}
    groups = log_group.observe(
        aws, [g for td in latest.values() for g in task_definition.log_groups(td, region=aws.region)]
    )
    scaled = scaling.observe(aws, [Address(scaling.KIND, a.name, a.cluster) for a in services])
    files: dict[str, list[dict[str, Any]]] = {
        f"cluster-{cluster_name}.yaml": [cluster_manifest(next(iter(clusters.values())).body)]
    }
    written: set[Address] = set()
    for addr, live in sorted(services.items()):
        runs = task_definition.revision_of(str(live.body["taskDefinition"]))
        family = service.family_of(runs)
        current = task_definition.revision_of(str(latest[family]["taskDefinitionArn"])) if family in latest else None
        docs = []
        if family in latest and Address(task_definition.KIND, family) not in written:
            # A service's file holds what it needs that no earlier file holds: log groups, then its task definition.
            for name in sorted(task_definition.log_groups(latest[family], region=aws.region)):
                group = Address(log_group.KIND, name)
                if group in groups and group not in written:
                    docs.append(log_group_manifest(groups[group].body))
                    written.add(group)
            docs.append(task_definition_manifest(latest[family]))
            written.add(Address(task_definition.KIND, family))
        ref = family if runs == current else runs
        docs.append(service_manifest(live.body, cluster_name=cluster_name, task_definition_ref=ref))
        scaling_addr = Address(scaling.KIND, addr.name, addr.cluster)
        if scaling_addr in scaled:
            docs.append(
                scaling_policy_manifest(scaled[scaling_addr].body, cluster_name=cluster_name, service_name=addr.name)
            )
        files[f"service-{addr.name}.yaml"] = docs
    return files


def write_files(directory: str, files: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """Write the manifests into ``directory``, refusing one that already holds manifests; returns the paths."""
    if os.path.isdir(directory) and any(name.endswith(MANIFEST_SUFFIXES) for name in os.listdir(directory)):
        raise PlanError(f"{directory} already holds manifests; export into a new or empty directory")
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, docs in files.items():
        path = os.path.join(directory, name)
        text = HEADER + "---\n".join(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True) for doc in docs)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths
