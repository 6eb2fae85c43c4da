"""The emulator's CloudWatch Logs: KMS keys on log groups and DescribeLogGroups by identifier, which moto lacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

from reconciler.emulator.hooks import patch


def patch_logs() -> None:
    """Install these patches."""
    LogsResponse.associate_kms_key = _associate_kms_key  # type: ignore[attr-defined]
    LogsResponse.disassociate_kms_key = _disassociate_kms_key  # type: ignore[attr-defined]
    patch(LogsResponse, "describe_log_groups", _describe_log_groups)


def _associate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, AssociateKmsKey: encrypts the log group with the key; DescribeLogGroups then
    # shows it as kmsKeyId. moto has no such call.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = self._get_param("kmsKeyId")
    return ""


def _disassociate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, DisassociateKmsKey: the group is no longer encrypted with the key.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = None
    return ""


def _describe_log_groups(original: Callable[..., Any], self: LogsResponse) -> str:
    # CloudWatch Logs API reference, DescribeLogGroups: logGroupIdentifiers (1 to 50; names in an account that is not
    # a monitoring account) answers just those groups, skipping names that do not exist, and excludes the name
    # prefix and pattern filters. moto ignored it and listed every group.
    identifiers = self._get_param("logGroupIdentifiers")
    if identifiers is None:
        return str(original(self))
    if (
        not 1 <= len(identifiers) <= 50
        or self._get_param("logGroupNamePrefix")
        or self._get_param("logGroupNamePattern")
    ):
        raise InvalidParameterException("logGroupIdentifiers takes 1 to 50 names and no name prefix or pattern")
    groups = [group for name, group in sorted(self.logs_backend.groups.items()) if name in set(identifiers)]
    return json.dumps({"logGroups": [group.to_describe_dict() for group in groups]})
