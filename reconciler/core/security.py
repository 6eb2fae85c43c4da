"""Security findings: rules from AWS's ECS security guidance (least privilege, isolation, secrets, trusted images)
checked over the desired resources. Pure and offline: ``validate`` and every plan format show the same findings.

Each rule has an id, a default severity (overridden per rule by settings), and a one-line fix. A resource
suppresses a rule with the annotation ``ecs-reconciler/suppress.<rule-id>: <reason>``; the reason is mandatory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from reconciler.core.errors import ManifestError
from reconciler.core.kind import Findings, Registry
from reconciler.core.model import Address, Resource
from reconciler.core.settings import SecuritySettings

Severity = Literal["error", "warning", "notice", "off"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice", "off")
"""error fails ``validate``; warning fails ``validate --strict``; notice is shown only; off disables the rule."""
SUPPRESS_PREFIX = "ecs-reconciler/suppress."


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


def find_issues(
    resources: list[Resource], settings: SecuritySettings, kinds: Registry
) -> tuple[list[Finding], list[ManifestError]]:
    """Every finding (suppressed ones marked, rules set to off left out) and every malformed suppression; the rules
    themselves are each kind's (``Findings.findings``)."""
    by_address = {r.address: r for r in resources}
    findings: list[Finding] = []
    errors: list[ManifestError] = []
    for resource in sorted(resources, key=lambda r: (r.file, r.line)):
        suppressed = _suppressions(resource, errors)
        finder = kinds.facet(resource.address, Findings)
        for rule_id, path, message in finder.findings(resource, by_address) if finder else ():
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
