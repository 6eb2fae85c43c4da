"""Export: manifests written from what already runs, the on-ramp for existing services.

Reads a live cluster, its services and their task definitions (reads only), and turns each describe output into a
manifest: only the members botocore's model lists as the create operation's input are kept, server-filled defaults
and empty values are dropped, ARNs become the names a manifest uses. ``plan`` on the result right after is empty
(the resources stay unmanaged until ``apply --adopt``). The pure ``*_manifest`` functions do the conversion.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml

from reconciler.aws import Aws
from reconciler.diff import drop_empty, user_tags
from reconciler.errors import PlanError
from reconciler.kinds import cluster, service, task_definition
from reconciler.loader import MANIFEST_SUFFIXES
from reconciler.manifests import API_VERSION
from reconciler.schema import input_members

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
    files: dict[str, list[dict[str, Any]]] = {
        f"cluster-{cluster_name}.yaml": [cluster_manifest(next(iter(clusters.values())).body)]
    }
    written: set[str] = set()
    for addr, live in sorted(services.items()):
        runs = task_definition.revision_of(str(live.body["taskDefinition"]))
        family = service.family_of(runs)
        current = task_definition.revision_of(str(latest[family]["taskDefinitionArn"])) if family in latest else None
        docs = [] if family in written or family not in latest else [task_definition_manifest(latest[family])]
        written.add(family)
        ref = family if runs == current else runs
        docs.append(service_manifest(live.body, cluster_name=cluster_name, task_definition_ref=ref))
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
