"""What AWS fills in when an input leaves a field out, written once as data with the AWS page that documents it.

Each kind's normalisation fills these into both sides of a comparison (the manifest and the describe answer), so a
field AWS defaulted never shows as a change, and a field the manifest omits is still compared against its default:
drift away from it is corrected. A default that depends on another field says so in ``when`` (facts the kind passes
in: the scheduling strategy, the network mode, whether the task runs on Fargate, ...).

Sources: API = Amazon ECS API Reference (the data type or action named), DG = Amazon ECS Developer Guide, Logs =
CloudWatch Logs API Reference, Scheduler = EventBridge Scheduler API Reference, SG = EventBridge Scheduler User Guide.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SameAs:
    """A default that copies another field of the same object (``hostPort`` = ``containerPort``)."""

    field: str


@dataclass(frozen=True)
class Default:
    """One field AWS fills in: where it lives, its value, when it applies and the page that says so."""

    at: str
    """The object holding the field: ``service``, ``service.deploymentConfiguration``, ``container``, ..."""
    field: str
    value: Any
    """The value, or ``SameAs(other field)``."""
    source: str
    when: Mapping[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)
    """Facts that must hold for the default to apply: fact -> the values it may have."""
    requires: str | None = None
    """A field of the same object that must be present (``hostPort`` only defaults when ``containerPort`` is set)."""
    compared: bool = True
    """False for what a new resource gets that a live one may not hold (it depends on the resource's history,
    ``NOT_DEFAULTED`` says why): not filled in for comparison, only left out of an exported manifest."""


ECS_CONTROLLER = {"deploymentController": ("ECS",)}

TABLE: tuple[Default, ...] = (
    # --- Service (CreateService) -----------------------------------------------------------------------------------
    Default("service", "schedulingStrategy", "REPLICA", "API CreateService.schedulingStrategy"),
    Default("service", "deploymentController", {"type": "ECS"}, "API DeploymentController (type ECS by default)"),
    Default("service", "loadBalancers", [], "API Service.loadBalancers"),
    Default("service", "serviceRegistries", [], "API Service.serviceRegistries"),
    Default("service", "placementConstraints", [], "API Service.placementConstraints"),
    Default("service", "placementStrategy", [], "API Service.placementStrategy"),
    Default("service", "propagateTags", "NONE", "API CreateService.propagateTags (tags are not propagated)"),
    Default("service", "enableECSManagedTags", False, "API CreateService.enableECSManagedTags"),
    Default("service", "enableExecuteCommand", False, "API CreateService.enableExecuteCommand"),
    Default(
        "service",
        "healthCheckGracePeriodSeconds",
        0,
        "API CreateService.healthCheckGracePeriodSeconds ('the default value of 0 is used'); answered as 0 on "
        "services with and without load balancers (fixtures service-cli-update-*)",
    ),
    Default(
        "service",
        "platformVersion",
        "LATEST",
        "API CreateService.platformVersion; DG 'Fargate platform versions' (LATEST when omitted)",
        when={"fargate": (True,)},
    ),
    Default(
        "service.deploymentConfiguration",
        "maximumPercent",
        200,
        "API DeploymentConfiguration.maximumPercent (REPLICA: 200%)",
        when={"schedulingStrategy": ("REPLICA",)},
    ),
    Default(
        "service.deploymentConfiguration",
        "minimumHealthyPercent",
        100,
        "API DeploymentConfiguration.minimumHealthyPercent (REPLICA: 100%)",
        when={"schedulingStrategy": ("REPLICA",)},
    ),
    Default(
        "service.deploymentConfiguration",
        "maximumPercent",
        100,
        "API DeploymentConfiguration.maximumPercent (DAEMON: 100%, the only value it may have)",
        when={"schedulingStrategy": ("DAEMON",)},
    ),
    Default(
        "service.deploymentConfiguration",
        "minimumHealthyPercent",
        0,
        "API DeploymentConfiguration.minimumHealthyPercent (DAEMON: 0%)",
        when={"schedulingStrategy": ("DAEMON",)},
    ),
    Default(
        "service.deploymentConfiguration",
        "strategy",
        "ROLLING",
        "API DeploymentController.type ('rolling updates are the default deployment strategy')",
        when=ECS_CONTROLLER,
    ),
    Default(
        "service.deploymentConfiguration",
        "deploymentCircuitBreaker",
        {},
        "API DeploymentCircuitBreaker (answered as {enable: false, rollback: false} since 2021)",
    ),
    Default("service.deploymentCircuitBreaker", "enable", False, "API DeploymentCircuitBreaker.enable"),
    Default("service.deploymentCircuitBreaker", "rollback", False, "API DeploymentCircuitBreaker.rollback"),
    Default(
        "service.deploymentCircuitBreaker",
        "resetOnHealthyTask",
        True,
        "API DeploymentCircuitBreaker.resetOnHealthyTask ('The default is true')",
    ),
    Default(
        "service.linearConfiguration",
        "stepPercent",
        10.0,
        "API LinearConfiguration.stepPercent ('The default value is 10.0')",
        when={"strategy": ("LINEAR",)},
    ),
    Default(
        "service.linearConfiguration",
        "stepBakeTimeInMinutes",
        6,
        "API LinearConfiguration.stepBakeTimeInMinutes ('The default value is 6')",
        when={"strategy": ("LINEAR",)},
    ),
    Default(
        "service.canaryConfiguration",
        "canaryPercent",
        5.0,
        "API CanaryConfiguration.canaryPercent ('The default value is 5.0')",
        when={"strategy": ("CANARY",)},
    ),
    Default(
        "service.canaryConfiguration",
        "canaryBakeTimeInMinutes",
        10,
        "API CanaryConfiguration.canaryBakeTimeInMinutes ('The default value is 10')",
        when={"strategy": ("CANARY",)},
    ),
    Default(
        "service.lifecycleHook",
        "targetType",
        "AWS_LAMBDA",
        "API DeploymentLifecycleHook.targetType ('If not specified, the default value is AWS_LAMBDA')",
    ),
    Default(
        "service.lifecycleHookTimeout",
        "timeoutInMinutes",
        1440,
        "API DeploymentLifecycleHookTimeoutConfiguration.timeoutInMinutes ('Default: 1440 (24 hours)')",
    ),
    Default(
        "service.lifecycleHookTimeout",
        "action",
        "ROLLBACK",
        "API DeploymentLifecycleHookTimeoutConfiguration.action ('Default: ROLLBACK')",
    ),
    Default(
        "service.earlySuccessCriteria",
        "enable",
        False,
        "API DeploymentEarlySuccessCriteria.enable ('The default value is false')",
    ),
    Default(
        "service.awsvpcConfiguration",
        "assignPublicIp",
        "DISABLED",
        "API AwsVpcConfiguration.assignPublicIp ('when you use create-service or update-service, the default is "
        "DISABLED')",
    ),
    Default(
        "service",
        "availabilityZoneRebalancing",
        "ENABLED",
        "API CreateService.availabilityZoneRebalancing (ENABLED for a new REPLICA service)",
        when={"schedulingStrategy": ("REPLICA",)},
        compared=False,
    ),
    # --- Cluster (CreateCluster) -------------------------------------------------------------------------------------
    Default(
        "cluster.executeCommandConfiguration",
        "logging",
        "DEFAULT",
        "API ExecuteCommandConfiguration.logging ('if no logging parameter is specified, it defaults to this value')",
    ),
    # --- CapacityProvider (CreateCapacityProvider) ------------------------------------------------------------------
    Default(
        "capacityProvider.autoScalingGroupProvider",
        "managedTerminationProtection",
        "DISABLED",
        "API AutoScalingGroupProvider.managedTerminationProtection ('the default is off')",
    ),
    Default(
        "capacityProvider.autoScalingGroupProvider",
        "managedDraining",
        "ENABLED",
        "API AutoScalingGroupProvider.managedDraining (ENABLED for new providers)",
    ),
    Default(
        "capacityProvider.managedScaling",
        "targetCapacity",
        100,
        "API ManagedScaling.targetCapacity ('the default value of 100 percent')",
    ),
    Default(
        "capacityProvider.managedScaling",
        "minimumScalingStepSize",
        1,
        "API ManagedScaling.minimumScalingStepSize ('the default value of 1 is used')",
    ),
    Default(
        "capacityProvider.managedScaling",
        "maximumScalingStepSize",
        10000,
        "API ManagedScaling.maximumScalingStepSize ('the default value of 10000 is used')",
    ),
    Default(
        "capacityProvider.managedScaling",
        "instanceWarmupPeriod",
        300,
        "API ManagedScaling.instanceWarmupPeriod ('the default value of 300 seconds is used')",
    ),
    # --- ManagedInstancesProvider (CreateCapacityProvider with managedInstancesProvider) ---------------------------
    Default(
        "managedInstancesProvider",
        "propagateTags",
        "NONE",
        "API CreateManagedInstancesProviderConfiguration.propagateTags (tags are not propagated unless asked)",
    ),
    Default(
        "managedInstancesProvider.instanceLaunchTemplate",
        "capacityOptionType",
        "ON_DEMAND",
        "API InstanceLaunchTemplate.capacityOptionType ('The default is On-Demand')",
    ),
    Default(
        "managedInstancesProvider.instanceLaunchTemplate",
        "monitoring",
        "BASIC",
        "API InstanceLaunchTemplate.monitoring ('By default, your managed instance is configured for basic "
        "monitoring')",
    ),
    # --- ExpressService (CreateExpressGatewayService) ----------------------------------------------------------------
    Default(
        "expressService",
        "healthCheckPath",
        "/ping",
        "API CreateExpressGatewayService.healthCheckPath ('If not specified, the default health check path is /ping')",
    ),
    Default(
        "expressService",
        "cpuArchitecture",
        "X86_64",
        "API CreateExpressGatewayService.cpuArchitecture ('If you don't specify a value, the default is X86_64')",
        requires="primaryContainer",
    ),
    Default(
        "expressService.primaryContainer",
        "containerPort",
        80,
        "API CreateExpressGatewayService.primaryContainer ('the container port (defaults to 80)')",
    ),
    Default(
        "expressService.scalingTarget",
        "autoScalingTargetValue",
        60,
        "API CreateExpressGatewayService.scalingTarget ('the default target value for an Express service is 60')",
    ),
    # --- Daemon (CreateDaemon) --------------------------------------------------------------------------------------
    Default("daemon", "propagateTags", "NONE", "API CreateDaemon.propagateTags (tags are not propagated unless asked)"),
    Default("daemon", "enableECSManagedTags", False, "API CreateDaemon.enableECSManagedTags"),
    Default("daemon", "enableExecuteCommand", False, "API CreateDaemon.enableExecuteCommand"),
    # --- capacity provider strategies (services and a cluster's default strategy) ------------------------------------
    Default("capacityProviderStrategy", "base", 0, "API CapacityProviderStrategyItem.base"),
    Default("capacityProviderStrategy", "weight", 0, "API CapacityProviderStrategyItem.weight"),
    # --- Task definition (RegisterTaskDefinition) --------------------------------------------------------------------
    Default("task", "networkMode", "bridge", "API RegisterTaskDefinition.networkMode (bridge when none is given)"),
    Default(
        "task",
        "enableFaultInjection",
        False,
        "API TaskDefinition.enableFaultInjection ('the default value is false'; answered since early 2025)",
    ),
    Default("task.proxyConfiguration", "type", "APPMESH", "API ProxyConfiguration.type ('the only supported value')"),
    Default("container", "cpu", 0, "API ContainerDefinition.cpu (answered as 0 when omitted)"),
    Default("container", "essential", True, "API ContainerDefinition.essential ('assumed to be essential')"),
    Default(
        "container",
        "versionConsistency",
        "enabled",
        "API ContainerDefinition.versionConsistency ('by default, the value is enabled')",
    ),
    Default("container.healthCheck", "interval", 30, "API HealthCheck.interval ('the default value is 30 seconds')"),
    Default("container.healthCheck", "timeout", 5, "API HealthCheck.timeout ('the default value is 5')"),
    Default("container.healthCheck", "retries", 3, "API HealthCheck.retries ('the default value is 3')"),
    Default(
        "container.restartPolicy",
        "restartAttemptPeriod",
        300,
        "API ContainerRestartPolicy.restartAttemptPeriod ('by default, a container must run for 300 seconds')",
        when={"restartPolicy.enabled": (True,)},
    ),
    Default("portMapping", "protocol", "tcp", "API PortMapping.protocol ('the default is tcp')"),
    Default(
        "portMapping",
        "hostPort",
        SameAs("containerPort"),
        "API PortMapping.hostPort (awsvpc or host: 'left blank or set to the same value as the containerPort')",
        when={"networkMode": ("awsvpc", "host")},
        requires="containerPort",
    ),
    Default(
        "portMapping",
        "hostPort",
        0,
        "API PortMapping.hostPort (bridge: 'you specify a container port and not a host port, your container "
        "automatically receives a host port in the ephemeral port range'; DescribeTaskDefinition answers 0)",
        when={"networkMode": ("bridge",)},
        requires="containerPort",
    ),
    Default(
        "volume.efsVolumeConfiguration",
        "rootDirectory",
        "/",
        "API EFSVolumeConfiguration.rootDirectory ('if this parameter is omitted, the root of the Amazon EFS volume "
        "is used')",
    ),
    Default(
        "volume.efsVolumeConfiguration",
        "transitEncryption",
        "DISABLED",
        "API EFSVolumeConfiguration.transitEncryption ('the default value of DISABLED is used')",
    ),
    Default(
        "volume.authorizationConfig",
        "iam",
        "DISABLED",
        "API EFSAuthorizationConfig.iam ('the default value of DISABLED is used')",
    ),
    # --- LogGroup (CreateLogGroup) -----------------------------------------------------------------------------------
    Default(
        "logGroup",
        "logGroupClass",
        "STANDARD",
        "Logs CreateLogGroup.logGroupClass (STANDARD when omitted)",
        compared=False,
    ),
    Default(
        "logGroup",
        "deletionProtectionEnabled",
        False,
        "Logs CreateLogGroup.deletionProtectionEnabled ('by default log groups are created without deletion "
        "protection enabled')",
        compared=False,
    ),
    # --- ScheduledTask (CreateSchedule) ------------------------------------------------------------------------------
    Default(
        "schedule",
        "flexibleTimeWindow",
        {"mode": "OFF"},
        "Scheduler CreateSchedule.FlexibleTimeWindow (required: the tool sends mode OFF, run on time, when a "
        "manifest leaves it out)",
    ),
    Default(
        "schedule", "scheduleExpressionTimezone", "UTC", "Scheduler CreateSchedule.ScheduleExpressionTimezone (UTC)"
    ),
    Default("schedule", "state", "ENABLED", "Scheduler CreateSchedule.State (ENABLED when omitted)"),
    Default(
        "schedule.target",
        "retryPolicy",
        {"maximumEventAgeInSeconds": 86400, "maximumRetryAttempts": 185},
        "SG 'Configuring a retry policy' (by default 185 retries over 24 hours)",
    ),
    Default("schedule.ecsParameters", "taskCount", 1, "Scheduler EcsParameters.TaskCount ('the default is 1')"),
    Default(
        "schedule.awsvpcConfiguration",
        "assignPublicIp",
        "DISABLED",
        "Scheduler AwsVpcConfiguration.AssignPublicIp (DISABLED when omitted, as for ECS's RunTask)",
    ),
)
"""Every default the kinds fill in."""

NOT_DEFAULTED: Mapping[str, str] = {
    "service.availabilityZoneRebalancing": (
        "API CreateService.availabilityZoneRebalancing: ENABLED for services created since 2025, the service's "
        "existing value on update, DISABLED for one that never had it; it depends on the service's history, so "
        "it is compared only when the manifest sets it"
    ),
    "service.launchType": (
        "API CreateService.launchType: EC2, or the cluster's default capacity provider strategy when it has one; "
        "compared only when the manifest sets it"
    ),
    "expressService.cpu": (
        "API CreateExpressGatewayService.cpu says 256 by default, DG 'Resources created by Amazon ECS Express Mode "
        "services' says 1024; compared only when the manifest sets it"
    ),
    "expressService.memory": (
        "API CreateExpressGatewayService.memory says 512 MiB by default, DG 'Resources created by Amazon ECS Express "
        "Mode services' says 2048; compared only when the manifest sets it"
    ),
    "expressService.scalingTarget.minTaskCount": (
        "API ExpressGatewayScalingTarget: no default documented; compared only when the manifest sets it"
    ),
    "service.roleArn": "DG 'Using service-linked roles': AWSServiceRoleForECS when no role is given; not compared",
    "cluster.settings": (
        "API ClusterSetting; DG 'Account settings': containerInsights follows the account setting; compared only "
        "when the manifest sets it"
    ),
    "service.deploymentConfiguration.bakeTimeInMinutes": (
        "API DeploymentConfiguration.bakeTimeInMinutes: required for BLUE_GREEN; CloudFormation's page gives "
        "different values by controller and strategy (180 minutes for rolling and external controllers), so it is "
        "compared only when the manifest sets it"
    ),
    "service.deploymentCircuitBreaker.thresholdConfiguration": (
        "API ThresholdConfiguration: BOUNDED_PERCENT 50 by default, answered only by services that set one; "
        "compared only when the manifest sets it"
    ),
    "service.serviceConnectConfiguration.namespace": (
        "DG 'Service Connect': the cluster's serviceConnectDefaults namespace; compared only when the manifest "
        "sets it (by name or ARN: the live half resolves both through Cloud Map)"
    ),
}
"""Fields AWS answers whose value is not a fixed default, and why they are compared only when a manifest sets them."""


def defaults(at: str, facts: Mapping[str, Any] | None = None) -> list[Default]:
    """The entries of ``TABLE`` for ``at`` whose conditions hold for ``facts`` (those not compared too)."""
    facts = facts or {}
    return [d for d in TABLE if d.at == at and all(facts.get(k) in values for k, values in d.when.items())]


def fill(at: str, doc: Mapping[str, Any] | None, facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``doc`` with the defaults for ``at`` filled in where it leaves a field out (or has it as None)."""
    out = {k: v for k, v in (doc or {}).items() if v is not None}
    for entry in defaults(at, facts):
        if not entry.compared or entry.field in out or (entry.requires is not None and entry.requires not in out):
            continue
        if isinstance(entry.value, SameAs):
            if entry.value.field in out:
                out[entry.field] = out[entry.value.field]
        else:
            out[entry.field] = copy.deepcopy(entry.value)
    return out


def fill_awsvpc(configuration: Mapping[str, Any], at: str) -> dict[str, Any]:
    """An ``awsvpcConfiguration`` (a service's, a schedule's task's) with the defaults for ``at`` filled in and its
    subnets and security groups sorted: they are sets."""
    out = fill(at, configuration)
    out["subnets"] = sorted(out.get("subnets") or [])
    out["securityGroups"] = sorted(out.get("securityGroups") or [])
    return out


def strip(at: str, doc: Mapping[str, Any], facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``doc`` without the fields that hold their default for ``at`` (what an exported manifest need not say)."""
    out = dict(doc)
    for entry in defaults(at, facts):
        if entry.field not in out or (entry.requires is not None and entry.requires not in out):
            continue
        value = out.get(entry.value.field) if isinstance(entry.value, SameAs) else entry.value
        if out[entry.field] == value and type(out[entry.field]) is type(value):
            del out[entry.field]
    return out
