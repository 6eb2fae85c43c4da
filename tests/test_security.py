"""Security findings: each rule fires on a bad example (with file, line, field and fix), is silent on the bundled
example, can be suppressed only with a reason, and its severity is configurable."""

from __future__ import annotations

import json

import pytest
import yaml
from builders import container, task_definition
from credentials import SHAPES

from reconciler.core import security
from reconciler.core.kind import Findings
from reconciler.core.loader import load_text
from reconciler.core.manifests import resources_from
from reconciler.core.settings import SecuritySettings
from reconciler.kinds import KINDS

BAD_TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: risky}
spec:
  networkMode: bridge
  containerDefinitions:
    - name: app
      image: example/app
      memory: 512
      privileged: true
      user: root
      environment:
        - {name: DB_PASSWORD, value: hunter2}
        - {name: LOG_LEVEL, value: debug}
    - name: tail
      image: example/tail:latest
      memory: 128
      user: "1000"
      readonlyRootFilesystem: true
"""
BAD_CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {name: prod}
spec:
  configuration: {executeCommandConfiguration: {logging: NONE}}
"""
BAD_SERVICE = """\
apiVersion: ecs-reconciler/v1
kind: Service
metadata: {name: risky}
spec:
  cluster: prod
  taskDefinition: calls-aws
  desiredCount: 1
  enableExecuteCommand: true
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0a1b2c3d4e5f60001]
      assignPublicIp: ENABLED
  launchType: FARGATE
"""
CALLS_AWS_TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: calls-aws}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: example/app:1.0
      user: "1000"
      readonlyRootFilesystem: true
      environment:
        - {name: ORDERS_QUEUE_URL, value: "https://sqs.us-east-1.amazonaws.com/123456789012/orders"}
"""

EXPECTED = [
    ("risky.yaml", 5, "spec.networkMode", "network-mode"),
    ("risky.yaml", 10, "spec.containerDefinitions[0].privileged", "privileged"),
    ("risky.yaml", 11, "spec.containerDefinitions[0].user", "root-user"),
    ("risky.yaml", 13, "spec.containerDefinitions[0].environment[0]", "plaintext-secret"),
    ("risky.yaml", 7, "spec.containerDefinitions[0].readonlyRootFilesystem", "writable-root-filesystem"),
    ("risky.yaml", 8, "spec.containerDefinitions[0].image", "image-tag"),
    ("risky.yaml", 16, "spec.containerDefinitions[1].image", "image-tag"),
    ("service.yaml", 12, "spec.networkConfiguration.awsvpcConfiguration.assignPublicIp", "public-ip"),
    ("service.yaml", 6, "spec.taskDefinition", "task-role"),
    ("service.yaml", 8, "spec.enableExecuteCommand", "exec-logging"),
]


@pytest.fixture
def bad(manifests):
    return manifests(
        {
            "risky.yaml": BAD_TASK,
            "calls-aws.yaml": CALLS_AWS_TASK,
            "cluster.yaml": BAD_CLUSTER,
            "service.yaml": BAD_SERVICE,
        }
    )


def test_each_rule_fires_with_file_line_field_and_fix(aws, cli, bad):
    result = cli("validate", bad)
    assert result.code == 0  # warnings do not fail a plain validate
    for file, line, field, rule in EXPECTED:
        assert f"{file}:{line}: {field}: warning [{rule}]" in result.out, rule
    assert "fix: move the value to secrets" in result.out
    assert "hunter2" not in result.out + result.err
    assert "Security findings: 10 open, 0 suppressed" in result.out

    strict = cli("validate", bad, "--strict")
    assert strict.code == 1
    assert "10 security findings fail validation" in strict.err
    assert aws.calls == []


def test_findings_appear_in_every_plan_format(aws, cli, bad):
    as_json = json.loads(cli("plan", bad, "--format", "json").out)
    assert sorted((f["file"], f["line"], f["field"], f["rule"]) for f in as_json["security"]) == sorted(EXPECTED)
    assert {f["severity"] for f in as_json["security"]} == {"warning"}
    text = cli("plan", bad).out
    assert "risky.yaml:10: spec.containerDefinitions[0].privileged: warning [privileged]" in text
    markdown = cli("plan", bad, "--format", "markdown").out
    assert "| warning | `privileged` | TaskDefinition risky | `risky.yaml:10`" in markdown
    for output in (text, markdown, json.dumps(as_json)):
        assert "hunter2" not in output


def test_bundled_example_is_silent(aws, cli, example):
    documents = [d for f in sorted(example.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    # The example holds every kind with security rules, so every rule saw one; deploy/examples/ shows the other kinds.
    with_rules = {kind.name for kind in KINDS if isinstance(kind, Findings)}
    assert with_rules and with_rules <= {d["kind"] for d in documents}
    result = cli("validate", example, "--strict")
    assert result.code == 0, result.out + result.err
    assert f"{len(documents)} resources valid" in result.out
    assert "Security findings" not in result.out
    assert json.loads(cli("plan", example, "--format", "json").out)["security"] == []


def test_apply_prints_the_findings_before_applying_and_keeps_its_exit_code(aws, cli, example):
    web = (example / "web.yaml").read_text()
    (example / "web.yaml").write_text(web.replace("nginx-unprivileged:1.27", "nginx-unprivileged:latest"))
    planned = cli("plan", example).out
    heading = "Security findings: 1 open, 0 suppressed:"
    line = next(n for n, text in enumerate(web.splitlines(), 1) if "image:" in text)
    finding = f"web.yaml:{line}: spec.containerDefinitions[0].image: warning [image-tag]"
    assert f"{heading}\n  {finding}" in planned

    applied = cli("apply", example)
    assert applied.code == 0, applied.out + applied.err
    block = planned[planned.index(heading) :].split("\n\n")[0]
    assert block in applied.out
    assert applied.out.index(block) < applied.out.index("Applied:")
    assert applied.out.count(heading) == 1  # not repeated with the plan after apply


def test_an_error_severity_finding_refuses_the_apply_with_no_writes(aws, cli, example):
    web = (example / "web.yaml").read_text()
    (example / "web.yaml").write_text(web.replace("nginx-unprivileged:1.27", "nginx-unprivileged:latest"))
    aws.reset_calls()
    refused = cli("apply", example, "--severity", "image-tag=error")
    assert refused.code == 1
    assert "1 security finding at severity error: apply refused, nothing was changed" in refused.err
    assert aws.writes() == []
    assert cli("apply", example).code == 0, "at its default severity the same finding only informs"


def test_a_suppression_needs_a_reason(aws, cli, manifests, bad):
    reasoned = BAD_SERVICE.replace(
        "metadata: {name: risky}",
        "metadata:\n  name: risky\n  annotations:\n"
        '    ecs-reconciler/suppress.public-ip: "demo behind an allow-list, see SEC-12"',
    )
    root = manifests({"service.yaml": reasoned})
    result = cli("validate", root)
    assert result.code == 0
    assert (
        "service.yaml:15: spec.networkConfiguration.awsvpcConfiguration.assignPublicIp: suppressed [public-ip] "
        "(demo behind an allow-list, see SEC-12)"
    ) in result.out
    assert "1 suppressed" in result.out

    root = manifests({"service.yaml": reasoned.replace('"demo behind an allow-list, see SEC-12"', '""')})
    empty = cli("validate", root)
    assert empty.code == 1
    assert (
        "service.yaml:6: metadata.annotations.ecs-reconciler/suppress.public-ip: a suppression must say why"
        in empty.err
    )
    root = manifests({"service.yaml": reasoned.replace("suppress.public-ip", "suppress.public-ipp")})
    typo = cli("validate", root)
    assert typo.code == 1
    assert "no security rule 'public-ipp'" in typo.err


def test_suppressed_findings_do_not_fail_strict(aws, cli, manifests, example):
    web = (example / "web.yaml").read_text()
    (example / "web.yaml").write_text(
        web.replace("readonlyRootFilesystem: true", "readonlyRootFilesystem: false").replace(
            "metadata:\n  name: web\nspec:\n  requiresCompatibilities",
            "metadata:\n  name: web\n  annotations:\n    ecs-reconciler/suppress.writable-root-filesystem: legacy app "
            "writes its cache in place\nspec:\n  requiresCompatibilities",
        )
    )
    result = cli("validate", example, "--strict")
    assert result.code == 0, result.out + result.err
    assert "suppressed [writable-root-filesystem] (legacy app writes its cache in place)" in result.out


def test_severities_are_configurable(aws, cli, bad):
    as_error = cli("validate", bad, "--severity", "privileged=error")
    assert as_error.code == 1
    assert "error [privileged]" in as_error.out
    assert "1 security finding fail validation" in as_error.err

    off = cli("validate", bad, "--severity", "image-tag=off", "--severity", "network-mode=notice")
    assert "[image-tag]" not in off.out
    assert "notice [network-mode]" in off.out

    unknown = cli("validate", bad, "--severity", "nope=error")
    assert unknown.code == 1
    assert "no rule 'nope'" in unknown.err
    level = cli("validate", bad, "--severity", "privileged=fatal")
    assert level.code == 1
    assert "level must be one of error, warning, notice, off" in level.err


def shaped_task(upstream: str) -> str:
    """A task definition that passes the security rules but for its UPSTREAM variable, which holds ``upstream``."""
    environment = {"STAGE": "production", "UPSTREAM": upstream}
    app = container(port=None, environment=environment, user="1000", readonlyRootFilesystem=True)
    return task_definition(containers=[app])


UPSTREAM_LINE = next(n for n, line in enumerate(shaped_task("x").splitlines(), 1) if "name: UPSTREAM" in line)
"""The line of the UPSTREAM variable in api.yaml: where a plaintext-secret finding points."""


def plaintext_secrets(value: str) -> list[str]:
    """The plaintext-secret findings of a task definition whose UPSTREAM variable holds ``value``."""
    docs, errors = load_text(shaped_task(value).encode(), file="api.yaml")
    assert errors == []
    findings, problems = security.find_issues(resources_from(docs, [], KINDS), SecuritySettings(), KINDS)
    assert problems == []
    return [str(f) for f in findings if f.rule == "plaintext-secret"]


@pytest.mark.parametrize("shape", SHAPES)
def test_plaintext_secret_fires_on_a_credential_shaped_value_whatever_its_name(shape):
    found = plaintext_secrets(SHAPES[shape])
    assert len(found) == 1
    assert found[0].startswith(
        f"api.yaml:{UPSTREAM_LINE}: spec.containerDefinitions[0].environment[1]: warning [plaintext-secret]"
    )
    assert "container app: UPSTREAM holds a credential (" in found[0]
    assert SHAPES[shape] not in found[0]


def test_plaintext_secret_is_silent_on_an_ordinary_value():
    assert plaintext_secrets("https://api.internal:8443/v1") == []


def test_a_github_token_in_an_environment_value_is_in_no_output(aws, cli, manifests):
    token = SHAPES["GitHub token"]
    root = manifests({"api.yaml": shaped_task(token)})
    validated = cli("validate", root)
    assert validated.code == 0, validated.err
    assert (
        f"api.yaml:{UPSTREAM_LINE}: spec.containerDefinitions[0].environment[1]: warning [plaintext-secret] "
        "container app: UPSTREAM holds a credential (GitHub token) in plaintext environment"
    ) in validated.out
    outputs = [validated.out + validated.err]
    for fmt in ("text", "markdown", "json"):
        planned = cli("plan", root, "--format", fmt)
        assert planned.code == 2, planned.err
        assert "UPSTREAM" in planned.out and "(sensitive value)" in planned.out  # the change is shown, masked
        outputs.append(planned.out + planned.err)
    assert not [output for output in outputs if token in output]


def test_each_rule_fires_on_its_field_without_aws():
    """The same findings as `validate`, from the pure core alone: every rule, its file, line and field."""
    from reconciler.core.loader import load_text

    docs = []
    for name, text in (("risky.yaml", BAD_TASK), ("calls-aws.yaml", CALLS_AWS_TASK), ("cluster.yaml", BAD_CLUSTER),
                       ("service.yaml", BAD_SERVICE)):  # fmt: skip
        docs += load_text(text.encode(), file=name)[0]
    findings, problems = security.find_issues(resources_from(docs, [], KINDS), SecuritySettings(), KINDS)
    assert problems == []
    assert sorted((f.file, f.line, f.field, f.rule) for f in findings) == sorted(EXPECTED)
    assert all(f.fix == security.RULES[f.rule].fix and f.severity == "warning" for f in findings)
    severe, _ = security.find_issues(resources_from(docs, [], KINDS), SecuritySettings({"privileged": "off"}), KINDS)
    assert "privileged" not in {f.rule for f in severe}
