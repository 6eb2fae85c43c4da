"""Security findings: rules from AWS's ECS security guidance (least privilege, isolation, secrets, trusted images)
checked over the desired resources. Pure and offline: ``validate`` and every plan format show the same findings.

Each rule has an id, a default severity (overridden per rule by settings), and a one-line fix. A resource
suppresses a rule with the annotation ``ecs-reconciler/suppress.<rule-id>: <reason>``; the reason is mandatory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Resource
from reconciler.core.redact import credential_shape, is_sensitive
from reconciler.core.settings import SecuritySettings
from reconciler.kinds import cluster, service, task_definition

Severity = Literal["error", "warning", "notice", "off"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice", "off")
"""error fails ``validate``; warning fails ``validate --strict``; notice is shown only; off disables the rule."""
SUPPRESS_PREFIX = "ecs-reconciler/suppress."

CALLS_AWS_NAME = re.compile(r"^AWS_|(^|_)(S3|SQS|SNS|DYNAMO(DB)?|KINESIS|BUCKET|QUEUE|TABLE|TOPIC|STREAM)(_|$)", re.I)
"""Environment names that say a container talks to AWS APIs (an SDK reads them)."""
CALLS_AWS_VALUE = re.compile(r"arn:aws[a-z-]*:|\.amazonaws\.com")
"""Environment values that name an AWS resource or endpoint."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    """Default severity."""
    fix: str
    """One line: what to change."""


RULES = {
    rule.id: rule
    for rule in (
        Rule(
            "plaintext-secret",
            "warning",
            "move the value to secrets (valueFrom: a Secrets Manager or SSM SecureString ARN)",
        ),
        Rule("public-ip", "warning", "set assignPublicIp: DISABLED and reach the internet through a NAT gateway"),
        Rule("network-mode", "warning", "set networkMode: awsvpc so each task has its own ENI and security groups"),
        Rule("privileged", "warning", "remove privileged: true; grant only the linuxParameters.capabilities needed"),
        Rule("root-user", "warning", 'set user to a non-root UID, e.g. user: "1000"'),
        Rule("writable-root-filesystem", "warning", "set readonlyRootFilesystem: true; mount volumes where it writes"),
        Rule("image-tag", "warning", "pin the image to a version tag or a digest (@sha256:...), never latest"),
        Rule("task-role", "warning", "set taskRoleArn to a role with only the permissions the containers need"),
        Rule(
            "exec-logging",
            "warning",
            "log ECS Exec sessions: cluster configuration.executeCommandConfiguration.logging OVERRIDE "
            "(with a log group or bucket), or DEFAULT with awslogs in every container",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One rule broken by one resource, where, and what to do."""

    rule: str
    severity: Severity
    address: Address
    file: str
    line: int
    field: str
    message: str
    fix: str
    suppressed: str | None = None
    """The annotation's reason when the resource suppresses this rule."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: {self.field}"
        return f"{where}: {self.severity} [{self.rule}] {self.message}; fix: {self.fix}"


def _containers(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for i, container in enumerate(resource.spec.get("containerDefinitions") or []):
        yield f"spec.containerDefinitions[{i}]", container


def _image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag: it runs whatever 'latest' is at launch"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} is tagged latest: each task may run different code"
    return None


def _is_root(user: Any) -> bool:
    return str(user).split(":", 1)[0].strip() in ("", "root", "0")


def _task_definition_findings(td: Resource) -> Iterator[tuple[str, str, str]]:
    """(rule, field, message) for one task definition."""
    mode = td.spec.get("networkMode")
    if mode != "awsvpc":
        shown = mode or "bridge (the default)"
        yield "network-mode", "spec.networkMode", f"networkMode {shown} gives tasks no network isolation of their own"
    for path, container in _containers(td):
        name = container.get("name")
        for j, env in enumerate(container.get("environment") or []):
            env_name, value = str(env.get("name", "")), env.get("value")
            if not value:
                continue
            shape = credential_shape(value, name=env_name) if isinstance(value, str) else None
            if shape is not None:
                held = f"a credential ({shape})"
            elif is_sensitive(env_name):
                held = "a literal value"
            else:
                continue
            yield (
                "plaintext-secret",
                f"{path}.environment[{j}]",
                f"container {name}: {env_name} holds {held} in plaintext environment",
            )
        if container.get("privileged") is True:
            yield "privileged", f"{path}.privileged", f"container {name} runs privileged (root on the host)"
        if "user" not in container:
            yield "root-user", path, f"container {name} sets no user, so it runs as the image's user (often root)"
        elif _is_root(container["user"]):
            yield "root-user", f"{path}.user", f"container {name} runs as root"
        if container.get("readonlyRootFilesystem") is not True:
            yield (
                "writable-root-filesystem",
                f"{path}.readonlyRootFilesystem",
                f"container {name} can write to its root filesystem",
            )
        if (problem := _image_problem(str(container.get("image", "")))) is not None:
            yield "image-tag", f"{path}.image", f"container {name}: {problem}"


def _calls_aws(td: Resource) -> bool:
    for _, container in _containers(td):
        for env in container.get("environment") or []:
            if CALLS_AWS_NAME.search(str(env.get("name", ""))) or CALLS_AWS_VALUE.search(str(env.get("value", ""))):
                return True
    return False


def _exec_logged(cluster_spec: Mapping[str, Any], td: Resource | None) -> bool:
    settings = (cluster_spec.get("configuration") or {}).get("executeCommandConfiguration") or {}
    logging = settings.get("logging", "DEFAULT")
    if logging == "OVERRIDE":
        destination = settings.get("logConfiguration") or {}
        return bool(destination.get("cloudWatchLogGroupName") or destination.get("s3BucketName"))
    if logging == "DEFAULT" and td is not None:
        drivers = [(c.get("logConfiguration") or {}).get("logDriver") for _, c in _containers(td)]
        return bool(drivers) and all(d == "awslogs" for d in drivers)
    return False


def _service_findings(svc: Resource, by_address: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
    vpc = (svc.spec.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    if vpc.get("assignPublicIp") == "ENABLED":
        yield (
            "public-ip",
            "spec.networkConfiguration.awsvpcConfiguration.assignPublicIp",
            "tasks get a public IP address, reachable from the internet if a security group allows it",
        )
    family = service.family_of(str(svc.spec.get("taskDefinition", "")))
    td = by_address.get(Address(task_definition.KIND, family))
    if td is not None and not td.spec.get("taskRoleArn") and _calls_aws(td):
        yield (
            "task-role",
            "spec.taskDefinition",
            f"task definition {family} has no taskRoleArn but its containers are configured to call AWS",
        )
    home = by_address.get(Address(cluster.KIND, str(svc.address.cluster)))
    if svc.spec.get("enableExecuteCommand") is True and home is not None and not _exec_logged(home.spec, td):
        yield (
            "exec-logging",
            "spec.enableExecuteCommand",
            f"ECS Exec is on but cluster {svc.address.cluster} does not log exec sessions",
        )


def _severity(level: str) -> Severity:
    for known in SEVERITIES:
        if level == known:
            return known
    raise ValueError(f"unknown severity {level!r}; use one of {', '.join(SEVERITIES)}")


def _suppressions(resource: Resource, errors: list[ManifestError]) -> dict[str, str]:
    found = {}
    for key, reason in resource.annotations.items():
        if not key.startswith(SUPPRESS_PREFIX):
            continue
        rule = key[len(SUPPRESS_PREFIX) :]
        path = f"metadata.annotations.{key}"
        if rule not in RULES:
            errors.append(resource.error(path, f"no security rule {rule!r}; rules are {', '.join(RULES)}"))
        elif not str(reason).strip():
            errors.append(resource.error(path, "a suppression must say why: give the reason as the annotation's value"))
        else:
            found[rule] = str(reason).strip()
    return found


def find_issues(resources: list[Resource], settings: SecuritySettings) -> tuple[list[Finding], list[ManifestError]]:
    """Every finding (suppressed ones marked, rules set to off left out) and every malformed suppression."""
    by_address = {r.address: r for r in resources}
    findings: list[Finding] = []
    errors: list[ManifestError] = []
    for resource in sorted(resources, key=lambda r: (r.file, r.line)):
        suppressed = _suppressions(resource, errors)
        kind = resource.address.kind
        if kind == task_definition.KIND:
            raw = list(_task_definition_findings(resource))
        elif kind == service.KIND:
            raw = list(_service_findings(resource, by_address))
        else:
            raw = []
        for rule_id, path, message in raw:
            rule = RULES[rule_id]
            severity = _severity(settings.severities.get(rule_id, rule.severity))
            if severity == "off":
                continue
            finding = Finding(
                rule_id, severity, resource.address, resource.file, resource.line_of(path), path, message, rule.fix
            )
            findings.append(replace(finding, suppressed=suppressed.get(rule_id)))
    return findings, errors


def blocking(findings: list[Finding], *, strict: bool) -> list[Finding]:
    """The unsuppressed findings that make ``validate`` fail: errors, and warnings too when ``strict``."""
    failing = {"error", "warning"} if strict else {"error"}
    return [f for f in findings if f.suppressed is None and f.severity in failing]


def parse_severities(pairs: list[str]) -> dict[str, Severity]:
    """``RULE=LEVEL`` pairs (``--severity``) as a mapping; raises ValueError naming the bad pair."""
    out: dict[str, Severity] = {}
    for pair in pairs:
        rule, _, level = pair.partition("=")
        if rule not in RULES:
            raise ValueError(f"--severity {pair}: no rule {rule!r}; rules are {', '.join(RULES)}")
        if level not in SEVERITIES:
            raise ValueError(f"--severity {pair}: level must be one of {', '.join(SEVERITIES)}")
        out[rule] = _severity(level)
    return out
