"""Properties of generated valid manifest sets (hypothesis) over Cluster, TaskDefinition and Service: apply then plan
is empty; a second apply makes no write; normalisation is canonical; the JSON plan round-trips; plan order respects
dependencies. The emulator is emptied before every example.

normalize() maps API documents to a different shape (name-keyed lists become mappings), so normalize(normalize(x))
is not defined; what must hold instead is that every way a manifest may legitimately spell the same thing (list
order of sets, "256" / 256 / "0.25 vCPU", AWS defaults written out) normalises to one form.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.aws import Aws
from reconciler.core.manifests import load_resources
from reconciler.core.model import Resource
from reconciler.core.names import family_of
from reconciler.core.plan import Plan
from reconciler.core.render import plan_as_dict, render_json
from reconciler.core.settings import AwsSettings, Settings
from reconciler.emulator import DEMO_SECURITY_GROUP, DEMO_SUBNETS, seed_demo_network
from reconciler.kinds import KINDS, cluster, service, task_definition
from reconciler.pipeline import Loaded, Pipeline

EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = st.text("abcdefghij-", min_size=1, max_size=8).filter(lambda s: s[0] != "-")
FARGATE_SIZES = [("256", "512"), ("512", "1024"), ("1024", "2048"), ("2048", "4096")]


def tags() -> st.SearchStrategy[list[dict[str, str]]]:
    return st.dictionaries(NAMES, NAMES, max_size=2).map(lambda d: [{"key": k, "value": v} for k, v in d.items()])


@st.composite
def task_definitions(draw: Any, name: str) -> dict[str, Any]:
    fargate = draw(st.booleans())
    containers = []
    for i, container in enumerate(draw(st.lists(NAMES, min_size=1, max_size=2, unique=True))):
        env = draw(st.dictionaries(st.sampled_from(["MODE", "LOG_LEVEL", "DB_PASSWORD", "REGION"]), NAMES, max_size=3))
        body: dict[str, Any] = {"name": container, "image": f"example/{container}:{i}"}
        if env:
            body["environment"] = [{"name": k, "value": v} for k, v in env.items()]
        if ports := draw(st.lists(st.integers(1024, 9000), max_size=2, unique=True)):
            body["portMappings"] = [{"containerPort": p} for p in ports]
        if not fargate:
            body["memory"] = draw(st.sampled_from([128, 256]))
        containers.append(body)
    spec: dict[str, Any] = {"containerDefinitions": containers}
    if fargate:
        cpu, memory = draw(st.sampled_from(FARGATE_SIZES))
        spec.update(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=cpu, memory=memory)
    if t := draw(tags()):
        spec["tags"] = t
    return {"apiVersion": "ecs-reconciler/v1", "kind": "TaskDefinition", "metadata": {"name": name}, "spec": spec}


@st.composite
def manifest_sets(draw: Any) -> list[dict[str, Any]]:
    clusters = draw(st.lists(NAMES, min_size=1, max_size=2, unique=True))
    families = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    docs: list[dict[str, Any]] = []
    for name in clusters:
        spec: dict[str, Any] = {}
        if draw(st.booleans()):
            spec["settings"] = [{"name": "containerInsights", "value": draw(st.sampled_from(["enabled", "disabled"]))}]
        if t := draw(tags()):
            spec["tags"] = t
        docs.append({"apiVersion": "ecs-reconciler/v1", "kind": "Cluster", "metadata": {"name": name}, "spec": spec})
    tds = {name: draw(task_definitions(name)) for name in families}
    docs += tds.values()
    for name in draw(st.lists(NAMES, max_size=3, unique=True)):
        family = draw(st.sampled_from(families))
        spec = {"cluster": draw(st.sampled_from(clusters)), "taskDefinition": family}
        spec["desiredCount"] = draw(st.integers(0, 3))
        if "FARGATE" in tds[family]["spec"].get("requiresCompatibilities", []):
            subnets = draw(st.lists(st.sampled_from(DEMO_SUBNETS), min_size=1, max_size=2, unique=True))
            spec["launchType"] = "FARGATE"
            spec["networkConfiguration"] = {
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [DEMO_SECURITY_GROUP]}
            }
        else:
            spec["launchType"] = "EC2"
        if draw(st.booleans()):
            spec["deploymentConfiguration"] = {
                "maximumPercent": 200,
                "minimumHealthyPercent": draw(st.sampled_from([50, 100])),
            }
        if draw(st.booleans()):
            spec["propagateTags"] = draw(st.sampled_from(["SERVICE", "TASK_DEFINITION", "NONE"]))
        if t := draw(tags()):
            spec["tags"] = t
        docs.append({"apiVersion": "ecs-reconciler/v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
    return docs


def load(docs: list[dict[str, Any]]) -> list[Resource]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "set.yaml").write_text(yaml.safe_dump_all(docs))
        return load_resources(tmp, KINDS)


def fresh(aws: Any) -> Pipeline:
    aws.reset()
    seed_demo_network()
    settings = Settings(aws=AwsSettings(endpoint_url=aws.endpoint_url))
    return Pipeline(Aws(settings.aws), settings)


def plan(client: Pipeline, resources: list[Resource]) -> Plan:
    return client.plan(Loaded(resources)).plan


def apply(client: Pipeline, resources: list[Resource]) -> Plan:
    planned = client.plan(Loaded(resources))
    outcomes = client.apply(planned)
    assert [o.error for o in outcomes if o.status != "done"] == []
    return planned.plan


@EXAMPLES
@given(docs=manifest_sets())
def test_apply_then_plan_is_empty_and_a_second_apply_writes_nothing(aws, docs):
    client, resources = fresh(aws), load(docs)

    apply(client, resources)
    after = plan(client, resources)
    assert not after.pending, plan_as_dict(after)

    aws.reset_calls()
    assert apply(client, resources).actions == ()
    assert aws.writes() == []


@EXAMPLES
@given(docs=manifest_sets())
def test_the_json_plan_round_trips_and_orders_by_dependency(aws, docs):
    client, resources = fresh(aws), load(docs)
    the_plan = plan(client, resources)

    assert json.loads(render_json(the_plan)) == plan_as_dict(the_plan)
    assert len(the_plan.actions) == len(resources)
    position = {a.address: i for i, a in enumerate(the_plan.actions)}
    for r in resources:
        if r.address.kind == service.KIND.name:
            assert position[cluster.KIND.address(str(r.address.scope), {})] < position[r.address]
            family = family_of(str(r.spec["taskDefinition"]))
            assert position[task_definition.KIND.address(family, {})] < position[r.address]


def reordered(spec: dict[str, Any]) -> dict[str, Any]:
    """The same task definition spelled differently: sets reversed, sizes as numbers, AWS defaults written out."""
    out: dict[str, Any] = json.loads(json.dumps(spec))
    out["containerDefinitions"].reverse()
    for container in out["containerDefinitions"]:
        container["essential"] = True
        container["cpu"] = 0
        for key in ("environment", "portMappings"):
            container.get(key, []).reverse()
        for mapping in container.get("portMappings", []):
            mapping["protocol"] = "tcp"
            if out.get("networkMode") == "awsvpc":
                mapping["hostPort"] = mapping["containerPort"]
    if "cpu" in out:
        out["cpu"] = f"{int(out['cpu']) / 1024:g} vCPU"
        out["memory"] = int(out["memory"])
    out.get("tags", []).reverse()
    out.setdefault("networkMode", "bridge")
    return out


@settings(max_examples=50, deadline=None)
@given(doc=NAMES.flatmap(task_definitions))
def test_task_definition_normalisation_is_canonical(doc):
    spec = doc["spec"]
    assert task_definition.normalize(reordered(spec)) == task_definition.normalize(spec)


@settings(max_examples=50, deadline=None)
@given(docs=manifest_sets())
def test_service_and_cluster_normalisation_is_canonical(docs):
    for doc in docs:
        spec = doc["spec"]
        variant = json.loads(json.dumps(spec))
        variant.get("tags", []).reverse()
        if doc["kind"] == "Service":
            vpc = variant.get("networkConfiguration", {}).get("awsvpcConfiguration")
            if vpc:
                vpc["subnets"].reverse()
                vpc["assignPublicIp"] = "DISABLED"
            variant.setdefault("propagateTags", "NONE")
            variant.setdefault("schedulingStrategy", "REPLICA")
            assert service.normalize(variant, task_definition="x:1") == service.normalize(spec, task_definition="x:1")
        elif doc["kind"] == "Cluster":
            assert cluster.normalize(variant) == cluster.normalize(spec)
