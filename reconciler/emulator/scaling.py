"""The emulator's Application Auto Scaling where moto lacks it: tags on scalable targets, and DescribeScalingPolicies
and DescribeScheduledActions answering pages of the documented size."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_scheduled_action

from reconciler.emulator.hooks import page, patch


def patch_scaling() -> None:
    """Install these patches."""
    patch(ApplicationAutoscalingBackend, "register_scalable_target", _register_scalable_target)
    patch(ApplicationAutoscalingBackend, "deregister_scalable_target", _deregister_scalable_target)
    ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target_response  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.tag_resource = _scaling_tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = _scaling_untag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.list_tags_for_resource = _scaling_list_tags  # type: ignore[attr-defined]
    patch(ApplicationAutoscalingBackend, "describe_scaling_policies", _describe_scaling_policies)
    ApplicationAutoScalingResponse.describe_scheduled_actions = _describe_scheduled_actions  # type: ignore[method-assign]


# Application Auto Scaling API reference: scalable targets take Tags on RegisterScalableTarget (applied when the
# target is created) and through TagResource / UntagResource / ListTagsForResource. moto had none of these.


def target_tags(backend: Any) -> dict[str, dict[str, str]]:
    """The tags of every scalable target of one Application Auto Scaling backend, by target ARN."""
    if not hasattr(backend, "target_tags"):
        backend.target_tags = {}
    tags: dict[str, dict[str, str]] = backend.target_tags
    return tags


def _register_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any
) -> Any:
    target = original(self, *args, **kwargs)
    target_tags(self).setdefault(target.arn, {})
    return target


def _deregister_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
) -> Any:
    target = self.targets.get(dimension, {}).get(r_id)
    result = original(self, namespace, r_id, dimension)
    if target is not None:
        target_tags(self).pop(target.arn, None)
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
        target_tags(backend)[target.arn] = dict(self._get_param("Tags") or {})
    return json.dumps({"ScalableTargetARN": target.arn})


def _tagged_target(self: ApplicationAutoScalingResponse) -> dict[str, str]:
    arn = self._get_param("ResourceARN")
    tags = target_tags(self.applicationautoscaling_backend)
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


_POLICIES_PAGE = 10
_ACTIONS_PAGE = 50


def _describe_scaling_policies(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, **kwargs: Any
) -> tuple[str | None, list[Any]]:
    # Application Auto Scaling API reference, DescribeScalingPolicies: MaxResults is 1 to 10 and defaults to 10
    # (moto paged 100 at a time and took any size); ResourceId filters by the exact id (moto also matched ids
    # contained in it).
    size = kwargs["max_results"] or _POLICIES_PAGE
    if not 1 <= size <= _POLICIES_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_POLICIES_PAGE}")
    policies = [
        p
        for p in self.policies.values()
        if p.service_namespace == kwargs["service_namespace"]
        and kwargs["resource_id"] in (None, p.resource_id)
        and kwargs["scalable_dimension"] in (None, p.scalable_dimension)
    ]
    listed, token = page(policies, size, kwargs["next_token"])
    return token, listed


def _describe_scheduled_actions(self: ApplicationAutoScalingResponse) -> str:
    # Application Auto Scaling API reference, DescribeScheduledActions: up to MaxResults (1 to 50, default 50)
    # actions a page, with a NextToken for the rest. moto returned every action at once.
    params = json.loads(self.body)
    size = params.get("MaxResults") or _ACTIONS_PAGE
    if not 1 <= size <= _ACTIONS_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_ACTIONS_PAGE}")
    actions = self.applicationautoscaling_backend.describe_scheduled_actions(
        scheduled_action_names=params.get("ScheduledActionNames"),
        service_namespace=params.get("ServiceNamespace"),
        resource_id=params.get("ResourceId"),
        scalable_dimension=params.get("ScalableDimension"),
    )
    listed, token = page(actions, size, params.get("NextToken"))
    return json.dumps({"ScheduledActions": [_build_scheduled_action(a) for a in listed], "NextToken": token})
