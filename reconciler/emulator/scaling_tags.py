"""Application Auto Scaling tags on scalable targets, which moto lacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

# Application Auto Scaling API reference: scalable targets take Tags on RegisterScalableTarget (applied when the
# target is created) and through TagResource / UntagResource / ListTagsForResource. moto had none of these.


def _target_tags(backend: Any) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "target_tags"):
        backend.target_tags = {}
    tags: dict[str, dict[str, str]] = backend.target_tags
    return tags


def _register_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any
) -> Any:
    target = original(self, *args, **kwargs)
    _target_tags(self).setdefault(target.arn, {})
    return target


def _deregister_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
) -> Any:
    target = self.targets.get(dimension, {}).get(r_id)
    result = original(self, namespace, r_id, dimension)
    if target is not None:
        _target_tags(self).pop(target.arn, None)
    return result


def _register_scalable_target_response(self: ApplicationAutoScalingResponse) -> str:
    backend = self.applicationautoscaling_backend
    dimension, r_id = self._get_param("ScalableDimension"), self._get_param("ResourceId")
    existed = r_id in backend.targets.get(dimension, {})
    self._validate_params()
    target = backend.register_scalable_target(
        self._get_param("ServiceNamespace"),
        r_id,
        dimension,
        min_capacity=self._get_int_param("MinCapacity"),
        max_capacity=self._get_int_param("MaxCapacity"),
        role_arn=self._get_param("RoleARN"),
        suspended_state=self._get_param("SuspendedState"),
    )
    if not existed:
        _target_tags(backend)[target.arn] = dict(self._get_param("Tags") or {})
    return json.dumps({"ScalableTargetARN": target.arn})


def _tagged_target(self: ApplicationAutoScalingResponse) -> dict[str, str]:
    arn = self._get_param("ResourceARN")
    tags = _target_tags(self.applicationautoscaling_backend)
    if arn not in tags:
        raise AWSValidationException(f"No scalable target found for resource ARN {arn}")
    return tags[arn]


def _scaling_tag_resource(self: ApplicationAutoScalingResponse) -> str:
    _tagged_target(self).update(self._get_param("Tags") or {})
    return "{}"


def _scaling_untag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _tagged_target(self)
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def _scaling_list_tags(self: ApplicationAutoScalingResponse) -> str:
    return json.dumps({"Tags": _tagged_target(self)})
