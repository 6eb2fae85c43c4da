"""The LogGroup kind: a CloudWatch Logs group (CreateLogGroup input plus ``retentionInDays``), reconciled in place."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, non_finite, prefixed, tag_rules
from reconciler.core.diff import FieldChange, compare, drop_empty, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Exports, PlanContext
from reconciler.core.model import Address, Live, Resource
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.core.shapes import input_members
from reconciler.kinds.defaults import strip

OPERATION = "CreateLogGroup"
_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
"""CloudWatch Logs API reference, PutRetentionPolicy, retentionInDays: the only values it takes."""


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or a DescribeLogGroups entry (with its tags). No retention means never expire."""
    return {
        "retentionInDays": doc.get("retentionInDays"),
        "kmsKeyId": doc.get("kmsKeyId"),
        "tags": user_tags(doc.get("tags")),
    }


def log_group_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateLogGroup and PutRetentionPolicy's rules beyond botocore's model."""
    problems: list[Problem] = list(non_finite(spec, ""))
    # CloudWatch Logs API reference, PutRetentionPolicy retentionInDays: one of a fixed list of values.
    days = spec.get("retentionInDays")
    if days is not None and as_int(days) not in LOG_RETENTION_DAYS:
        closest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - (as_int(days) or 0)))
        problems.append(
            (
                "retentionInDays",
                f"{days} is not a retention CloudWatch Logs offers (closest: {closest}); use one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        )
    # CloudWatch Logs API reference, CreateLogGroup kmsKeyId: the ARN of a KMS key.
    key = spec.get("kmsKeyId")
    if isinstance(key, str) and not (key.startswith("arn:") and ":kms:" in key):
        problems.append(("kmsKeyId", "must be a KMS key ARN (arn:aws:kms:region:account:key/id), not an id or alias"))
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


class LogGroupKind(BaseKind, Exports):
    name = "LogGroup"
    name_field = "logGroupName"

    def check_name(self, name: object) -> str | None:
        """CloudWatch Logs API reference: up to 512 characters of letters, digits and ``. - _ / #``."""
        if not isinstance(name, str) or not name:
            return "must be a non-empty string"
        if not _NAME.match(name):
            return f"{name!r} is not a valid log group name: up to 512 letters, digits and . - _ / #"
        return None

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        """CreateLogGroup input, with ``retentionInDays`` checked against PutRetentionPolicy."""
        create = {k: v for k, v in spec.items() if k != "retentionInDays"}
        coerced, problems = check_spec("logs", OPERATION, create, provided=["logGroupName"])
        if "retentionInDays" in spec:
            retention, more = check_spec(
                "logs", "PutRetentionPolicy", {"retentionInDays": spec["retentionInDays"]}, provided=["logGroupName"]
            )
            coerced.update(retention)
            problems += more
        return coerced, problems

    def spec_schema(self) -> dict[str, Any]:
        """CreateLogGroup input with PutRetentionPolicy's ``retentionInDays``."""
        schema = input_schema("logs", OPERATION, provided=["logGroupName"])
        retention = input_schema("logs", "PutRetentionPolicy")["properties"]["retentionInDays"]
        return {**schema, "properties": {**schema["properties"], "retentionInDays": retention}}

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name)

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        return resource.spec_errors(log_group_rules(resource.spec))

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        """Retention and key are always compared (a manifest without them means never expire, no key: the group is
        the manifest's whole); tags only when the manifest lists them, as for every kind."""
        desired = {k: v for k, v in normalize(resource.spec).items() if k != "tags" or "tags" in resource.spec}
        return compare(project(normalize(live.body), desired), desired)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        """CreateLogGroup and PutRetentionPolicy input, less what a group gets when nothing is asked for."""
        members = input_members("logs", OPERATION, user_case=True) | input_members(
            "logs", "PutRetentionPolicy", user_case=True
        )
        spec = strip("logGroup", {k: v for k, v in live.body.items() if k in members - {"logGroupName", "tags"}})
        spec["tags"] = normalize(live.body)["tags"]
        return drop_empty(spec)


KIND = LogGroupKind()
