"""Tests for AWS's documented rules for the newer fields (restart policies, ephemeral storage, runtime platform, Fargate
limits, EFS, FireLens, health-check forms, volumes configured at launch and EBS, VPC Lattice, Service Connect
timeouts, Availability Zone rebalancing, predictive scaling, time zones, Scheduler windows, expressions and
networks): for each rule one refused case, from a base spec every rule accepts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from builders import SUBNET, container, documents, service, task_definition

from reconciler.kinds.scaling_rules import scaling_rules
from reconciler.kinds.scheduled_task_rules import schedule_rules
from reconciler.kinds.service_rules import service_rules
from reconciler.kinds.task_definition_rules import task_definition_rules

TD: dict[str, Any] = {
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "512",
    "memory": "1024",
    "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
    "ephemeralStorage": {"sizeInGiB": 30},
    "containerDefinitions": [
        {
            "name": "app",
            "image": "nginx:1.27",
            "portMappings": [
                {"containerPort": 8080, "name": "http", "appProtocol": "http"},
                {"containerPort": 9090, "name": "raw"},
            ],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]},
            "restartPolicy": {"enabled": True, "ignoredExitCodes": [0], "restartAttemptPeriod": 60},
            "startTimeout": 60,
            "stopTimeout": 120,
            "logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch"}},
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
        },
        {
            "name": "router",
            "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
            "essential": False,
            "firelensConfiguration": {
                "type": "fluentbit",
                "options": {"config-file-type": "file", "config-file-value": "/extra.conf"},
            },
        },
    ],
    "volumes": [
        {
            "name": "shared",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-0123456789abcdef0",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
            },
        },
        {"name": "data", "configuredAtLaunch": True},
    ],
}
WINDOWS_TD: dict[str, Any] = {
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "1024",
    "memory": "2048",
    "runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"},
    "containerDefinitions": [{"name": "app", "image": "mcr.microsoft.com/windows/servercore/iis"}],
}
SERVICE: dict[str, Any] = {
    "cluster": "demo",
    "taskDefinition": "web",
    "desiredCount": 2,
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
    "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
    "availabilityZoneRebalancing": "ENABLED",
    "healthCheckGracePeriodSeconds": 60,
    "serviceConnectConfiguration": {
        "enabled": True,
        "namespace": "demo",
        "services": [{"portName": "http", "timeout": {"idleTimeoutSeconds": 60, "perRequestTimeoutSeconds": 10}}],
    },
    "vpcLatticeConfigurations": [
        {
            "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
            "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0",
            "portName": "http",
        }
    ],
    "volumeConfigurations": [
        {
            "name": "data",
            "managedEBSVolume": {
                "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
                "volumeType": "gp3",
                "sizeInGiB": 20,
                "iops": 3000,
                "throughput": 125,
                "filesystemType": "xfs",
            },
        }
    ],
}
SCHEDULE: dict[str, Any] = {
    "scheduleExpression": "cron(0 3 ? * MON-FRI *)",
    "scheduleExpressionTimezone": "Europe/Paris",
    "flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": 15},
    "startDate": "2030-01-01T00:00:00Z",
    "endDate": "2031-01-01T00:00:00Z",
    "target": {
        "arn": "demo",
        "roleArn": "arn:aws:iam::123456789012:role/scheduler",
        "ecsParameters": {
            "taskDefinitionArn": "web",
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}},
        },
    },
}
SCALING: dict[str, Any] = {
    "cluster": "demo",
    "service": "web",
    "minCapacity": 1,
    "maxCapacity": 4,
    "policies": [
        {
            "policyName": "forecast",
            "policyType": "PredictiveScaling",
            "predictiveScalingPolicyConfiguration": {
                "metricSpecifications": [
                    {
                        "targetValue": 40,
                        "predefinedMetricPairSpecification": {"predefinedMetricType": "ECSServiceCPUUtilization"},
                    }
                ],
                "mode": "ForecastAndScale",
                "schedulingBufferTime": 300,
                "maxCapacityBreachBehavior": "IncreaseMaxCapacity",
                "maxCapacityBuffer": 10,
            },
        }
    ],
    "scheduledActions": [
        {
            "scheduledActionName": "morning",
            "schedule": "cron(0 8 ? * MON-FRI *)",
            "timezone": "America/New_York",
            "scalableTargetAction": {"minCapacity": 2},
        }
    ],
}

Change = Callable[[dict[str, Any], dict[str, Any]], Any]
"""Changes a (spec, task definition) pair in place."""


def check(base: str, spec: dict[str, Any], td: dict[str, Any]) -> list[tuple[str, str]]:
    if base in ("td", "windows"):
        return task_definition_rules(spec)
    if base == "service":
        return service_rules(spec, td)
    if base == "schedule":
        return schedule_rules(spec, td)
    return scaling_rules(spec)


BASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "td": (TD, TD),
    "windows": (WINDOWS_TD, WINDOWS_TD),
    "service": (SERVICE, TD),
    "schedule": (SCHEDULE, TD),
    "scaling": (SCALING, TD),
}


def app(s: dict[str, Any]) -> Any:
    return s["containerDefinitions"][0]


def ebs(s: dict[str, Any]) -> Any:
    return s["volumeConfigurations"][0]["managedEBSVolume"]


def efs(s: dict[str, Any]) -> Any:
    return s["volumes"][0]["efsVolumeConfiguration"]


def predictive(s: dict[str, Any]) -> Any:
    return s["policies"][0]["predictiveScalingPolicyConfiguration"]


def ecs(s: dict[str, Any]) -> Any:
    return s["target"]["ecsParameters"]


CLASSIC = {"loadBalancerName": "classic", "containerName": "app", "containerPort": 8080}
IN_ONE_ZONE = {"type": "memberOf", "expression": "attribute:ecs.availability-zone == us-east-1a"}
RULES: list[tuple[str, str, Change, str, str]] = [
    # container restart policies
    ("restart period", "td", lambda s, t: app(s)["restartPolicy"].update(restartAttemptPeriod=30),
     "containerDefinitions[0].restartPolicy.restartAttemptPeriod", "use 60-1800"),
    ("restart exit codes", "td", lambda s, t: app(s)["restartPolicy"].update(ignoredExitCodes=list(range(51))),
     "containerDefinitions[0].restartPolicy.ignoredExitCodes", "at most 50"),
    # ephemeral storage
    ("ephemeral too small", "td", lambda s, t: s.update(ephemeralStorage={"sizeInGiB": 20}),
     "ephemeralStorage.sizeInGiB", "use 21-200"),
    ("ephemeral off Fargate", "td",
     lambda s, t: s.update(requiresCompatibilities=["EC2"], cpu=None, memory=None) or app(s).update(memory=512),
     "ephemeralStorage", "only tasks on Fargate"),
    ("ephemeral on Windows Fargate", "windows", lambda s, t: s.update(ephemeralStorage={"sizeInGiB": 30}),
     "ephemeralStorage", "Windows containers on Fargate take no ephemeralStorage"),
    # runtime platform and its Fargate sizes
    ("ARM64 Windows", "windows", lambda s, t: s["runtimePlatform"].update(cpuArchitecture="ARM64"),
     "runtimePlatform.cpuArchitecture", "Linux tasks only"),
    ("Windows Fargate below 1 vCPU", "windows", lambda s, t: s.update(cpu="512", memory="1024"),
     "cpu", "1024, 2048 or 4096"),
    ("Windows Fargate 8 vCPU", "windows", lambda s, t: s.update(cpu="8192", memory="16384"),
     "cpu", "1024, 2048 or 4096"),
    ("Windows pidMode", "windows", lambda s, t: s.update(pidMode="task"), "pidMode", "not supported for Windows"),
    ("Windows ipcMode", "windows", lambda s, t: s.update(requiresCompatibilities=["EC2"], ipcMode="task"),
     "ipcMode", "not supported for Windows"),
    # Fargate limits
    ("Fargate start timeout", "td", lambda s, t: app(s).update(startTimeout=300),
     "containerDefinitions[0].startTimeout", "use 2-120"),
    ("Fargate stop timeout", "td", lambda s, t: app(s).update(stopTimeout=1),
     "containerDefinitions[0].stopTimeout", "use 2-120"),
    ("Fargate GPU", "td", lambda s, t: app(s).update(resourceRequirements=[{"type": "GPU", "value": "1"}]),
     "containerDefinitions[0].resourceRequirements[0].type", "Fargate tasks take no GPU"),
    ("Neuron value", "td",
     lambda s, t: s.update(requiresCompatibilities=["MANAGED_INSTANCES"])
     or app(s).update(resourceRequirements=[{"type": "NeuronDevice", "value": "1"}]),
     "containerDefinitions[0].resourceRequirements[0].value", "use ALL"),
    ("Neuron off Managed Instances", "td",
     lambda s, t: app(s).update(resourceRequirements=[{"type": "NeuronDevice", "value": "ALL"}]),
     "containerDefinitions[0].resourceRequirements[0].type", "Managed Instances only"),
    ("Neuron twice", "td",
     lambda s, t: s.update(requiresCompatibilities=["MANAGED_INSTANCES"])
     or [c.update(resourceRequirements=[{"type": "NeuronDevice", "value": "ALL"}]) for c in s["containerDefinitions"]],
     "containerDefinitions[1].resourceRequirements", "only one container"),
    # EFS authorisation and transit encryption
    ("EFS IAM without encryption", "td",
     lambda s, t: efs(s).update(transitEncryption="DISABLED", authorizationConfig={"iam": "ENABLED"}),
     "volumes[0].efsVolumeConfiguration.transitEncryption", "IAM authorisation needs transit encryption"),
    ("EFS access point without encryption", "td", lambda s, t: efs(s).pop("transitEncryption"),
     "volumes[0].efsVolumeConfiguration.transitEncryption", "access point needs transit encryption"),
    ("EFS access point with root", "td", lambda s, t: efs(s).update(rootDirectory="/srv"),
     "volumes[0].efsVolumeConfiguration.rootDirectory", "drop rootDirectory"),
    # FireLens
    ("FireLens without router", "td", lambda s, t: s["containerDefinitions"].pop(),
     "containerDefinitions[0].logConfiguration.logDriver", "needs a log router"),
    ("FireLens two routers", "td",
     lambda s, t: app(s).update(firelensConfiguration={"type": "fluentbit"}),
     "containerDefinitions[1].firelensConfiguration", "one FireLens log router"),
    ("FireLens s3 on Fargate", "td",
     lambda s, t: s["containerDefinitions"][1]["firelensConfiguration"]["options"].update(
         {"config-file-type": "s3", "config-file-value": "arn:aws:s3:::b/extra.conf"}),
     "containerDefinitions[1].firelensConfiguration.options.config-file-type", "use file"),
    ("FireLens config type", "td",
     lambda s, t: s["containerDefinitions"][1]["firelensConfiguration"]["options"].update({"config-file-type": "http"}),
     "containerDefinitions[1].firelensConfiguration.options.config-file-type", "use s3 or file"),
    ("FireLens config value", "td",
     lambda s, t: s["containerDefinitions"][1]["firelensConfiguration"]["options"].pop("config-file-value"),
     "containerDefinitions[1].firelensConfiguration.options.config-file-value", "needs config-file-value"),
    # health-check command forms
    ("health check form", "td", lambda s, t: app(s)["healthCheck"].update(command=["curl", "-f", "localhost"]),
     "containerDefinitions[0].healthCheck.command", "CMD (run directly) or CMD-SHELL"),
    ("health check empty", "td", lambda s, t: app(s)["healthCheck"].update(command=["CMD-SHELL"]),
     "containerDefinitions[0].healthCheck.command", "runs nothing"),
    # volumes configured at launch and the service's EBS volumes
    ("two volumes at launch", "td", lambda s, t: s["volumes"].append({"name": "more", "configuredAtLaunch": True}),
     "volumes[2].configuredAtLaunch", "at most one volume configured at launch"),
    ("EBS name not at launch", "service", lambda s, t: s["volumeConfigurations"][0].update(name="shared"),
     "volumeConfigurations[0].name", "is configured at launch"),
    ("EBS volume missing", "service", lambda s, t: s.pop("volumeConfigurations"),
     "volumeConfigurations", "give it a managedEBSVolume"),
    ("EBS no size", "service", lambda s, t: ebs(s).pop("sizeInGiB"),
     "volumeConfigurations[0].managedEBSVolume.sizeInGiB", "or a snapshotId"),
    ("EBS st1 size", "service", lambda s, t: ebs(s).update(volumeType="st1", iops=None, throughput=None) or
     [ebs(s).pop(k) for k in ("iops", "throughput")],
     "volumeConfigurations[0].managedEBSVolume.sizeInGiB", "use 125-16384"),
    ("EBS standard size", "service", lambda s, t: ebs(s).update(volumeType="standard", sizeInGiB=2000),
     "volumeConfigurations[0].managedEBSVolume.sizeInGiB", "use 1-1024"),
    ("EBS io2 without iops", "service", lambda s, t: ebs(s).update(volumeType="io2") or ebs(s).pop("iops"),
     "volumeConfigurations[0].managedEBSVolume.iops", "need iops"),
    ("EBS gp3 iops range", "service", lambda s, t: ebs(s).update(iops=20000),
     "volumeConfigurations[0].managedEBSVolume.iops", "use 3000-16000"),
    ("EBS io1 iops range", "service", lambda s, t: ebs(s).update(volumeType="io1", iops=70000, throughput=None),
     "volumeConfigurations[0].managedEBSVolume.iops", "use 100-64000"),
    ("EBS sc1 iops", "service", lambda s, t: ebs(s).update(volumeType="sc1", sizeInGiB=500),
     "volumeConfigurations[0].managedEBSVolume.iops", "take no iops"),
    ("EBS throughput not gp3", "service", lambda s, t: ebs(s).update(volumeType="gp2") or ebs(s).pop("iops"),
     "volumeConfigurations[0].managedEBSVolume.throughput", "only gp3"),
    ("EBS throughput range", "service", lambda s, t: ebs(s).update(throughput=2000),
     "volumeConfigurations[0].managedEBSVolume.throughput", "use 125-1000"),
    ("EBS magnetic on Fargate", "service", lambda s, t: [ebs(s).pop(k) for k in ("iops", "throughput")]
     and ebs(s).update(volumeType="standard"),
     "volumeConfigurations[0].managedEBSVolume.volumeType", "use gp3"),
    ("EBS filesystem on Windows", "service",
     lambda s, t: t.update(runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}),
     "volumeConfigurations[0].managedEBSVolume.filesystemType", "use ntfs"),
    ("EBS ntfs on Linux", "service", lambda s, t: ebs(s).update(filesystemType="ntfs"),
     "volumeConfigurations[0].managedEBSVolume.filesystemType", "use ext3, ext4 or xfs"),
    # VPC Lattice port names
    ("Lattice port name", "service", lambda s, t: s["vpcLatticeConfigurations"][0].update(portName="web"),
     "vpcLatticeConfigurations[0].portName", "named 'web'"),
    # Service Connect timeouts by protocol
    ("Service Connect TCP per-request timeout", "service",
     lambda s, t: s["serviceConnectConfiguration"]["services"][0].update(portName="raw"),
     "serviceConnectConfiguration.services[0].timeout.perRequestTimeoutSeconds", "speaks TCP"),
    # Availability Zone rebalancing
    ("rebalancing DAEMON", "service",
     lambda s, t: s.update(schedulingStrategy="DAEMON", launchType="EC2")
     or s.pop("desiredCount") and s.pop("capacityProviderStrategy"),
     "availabilityZoneRebalancing", "DAEMON services"),
    ("rebalancing EXTERNAL", "service",
     lambda s, t: s.update(launchType="EXTERNAL") or s.pop("capacityProviderStrategy"),
     "availabilityZoneRebalancing", "EXTERNAL tasks"),
    ("rebalancing maximumPercent 100", "service",
     lambda s, t: s.update(deploymentConfiguration={"maximumPercent": 100, "minimumHealthyPercent": 50}),
     "availabilityZoneRebalancing", "maximumPercent 100"),
    ("rebalancing Classic Load Balancer", "service",
     lambda s, t: s.update(loadBalancers=[CLASSIC]),
     "availabilityZoneRebalancing", "Classic Load Balancer"),
    ("rebalancing AZ constraint", "service",
     lambda s, t: s.update(placementConstraints=[IN_ONE_ZONE]),
     "placementConstraints[0].expression", "forbids rebalancing"),
    # networks of awsvpc tasks, Fargate Spot, Managed Instances
    ("service subnets", "service",
     lambda s, t: s["networkConfiguration"]["awsvpcConfiguration"].update(subnets=[f"subnet-{i}" for i in range(17)]),
     "networkConfiguration.awsvpcConfiguration.subnets", "at most 16"),
    ("service security groups", "service",
     lambda s, t: s["networkConfiguration"]["awsvpcConfiguration"].update(securityGroups=[f"sg-{i}" for i in range(6)]),
     "networkConfiguration.awsvpcConfiguration.securityGroups", "at most 5"),
    ("Fargate Spot Windows", "service",
     lambda s, t: s.update(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
     or t.update(runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"})
     or ebs(s).update(filesystemType="ntfs"),
     "capacityProviderStrategy", "Fargate Spot does not run Windows"),
    ("launch type MANAGED_INSTANCES", "service",
     lambda s, t: s.update(launchType="MANAGED_INSTANCES") or s.pop("capacityProviderStrategy"),
     "launchType", "capacityProviderStrategy instead"),
    # predictive scaling and scheduled-action time zones
    ("predictive two metrics", "scaling",
     lambda s, t: predictive(s)["metricSpecifications"].append(predictive(s)["metricSpecifications"][0]),
     "policies[0].predictiveScalingPolicyConfiguration.metricSpecifications", "give exactly one"),
    ("predictive load without scaling metric", "scaling",
     lambda s, t: predictive(s)["metricSpecifications"][0].update(
         predefinedMetricPairSpecification=None,
         customizedLoadMetricSpecification={"metricDataQueries": []}) or
     predictive(s)["metricSpecifications"][0].pop("predefinedMetricPairSpecification"),
     "policies[0].predictiveScalingPolicyConfiguration.metricSpecifications[0]", "a load metric and a scaling metric"),
    ("predictive buffer without increase", "scaling",
     lambda s, t: predictive(s).update(maxCapacityBreachBehavior="HonorMaxCapacity"),
     "policies[0].predictiveScalingPolicyConfiguration.maxCapacityBuffer", "remove it"),
    ("predictive increase without buffer", "scaling", lambda s, t: predictive(s).pop("maxCapacityBuffer"),
     "policies[0].predictiveScalingPolicyConfiguration.maxCapacityBuffer", "needs maxCapacityBuffer"),
    ("predictive scheduling buffer", "scaling", lambda s, t: predictive(s).update(schedulingBufferTime=3600),
     "policies[0].predictiveScalingPolicyConfiguration.schedulingBufferTime", "less than 3600"),
    ("scheduled action time zone", "scaling", lambda s, t: s["scheduledActions"][0].update(timezone="EST5"),
     "scheduledActions[0].timezone", "not an IANA time zone"),
    # EventBridge Scheduler: windows, expressions, time zones, dates, network configuration
    ("Scheduler flexible without length", "schedule",
     lambda s, t: s["flexibleTimeWindow"].pop("maximumWindowInMinutes"),
     "flexibleTimeWindow.maximumWindowInMinutes", "needs its length"),
    ("Scheduler OFF with length", "schedule", lambda s, t: s["flexibleTimeWindow"].update(mode="OFF"),
     "flexibleTimeWindow.maximumWindowInMinutes", "mode OFF has no window"),
    ("Scheduler cron fields", "schedule", lambda s, t: s.update(scheduleExpression="cron(0 3 * * ?)"),
     "scheduleExpression", "6 fields"),
    ("Scheduler cron ?", "schedule", lambda s, t: s.update(scheduleExpression="cron(0 3 * * MON *)"),
     "scheduleExpression", "needs ?"),
    ("Scheduler rate unit", "schedule", lambda s, t: s.update(scheduleExpression="rate(5 weeks)"),
     "scheduleExpression", "is not a schedule"),
    ("Scheduler at date", "schedule", lambda s, t: s.update(scheduleExpression="at(2030-13-01T00:00:00)"),
     "scheduleExpression", "not a date and time"),
    ("Scheduler time zone", "schedule", lambda s, t: s.update(scheduleExpressionTimezone="Paris"),
     "scheduleExpressionTimezone", "not an IANA time zone"),
    ("Scheduler dates", "schedule", lambda s, t: s.update(endDate="2029-01-01T00:00:00Z"),
     "endDate", "after startDate"),
    ("Scheduler public IP off Fargate", "schedule", lambda s, t: ecs(s).update(launchType="EC2"),
     "target.ecsParameters.networkConfiguration.awsvpcConfiguration.assignPublicIp", "only for launchType FARGATE"),
    ("Scheduler launch type and strategy", "schedule",
     lambda s, t: ecs(s).update(capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}]),
     "target.ecsParameters.capacityProviderStrategy", "either launchType or capacityProviderStrategy"),
    ("Scheduler subnets", "schedule",
     lambda s, t: ecs(s)["networkConfiguration"]["awsvpcConfiguration"].update(subnets=[f"s-{i}" for i in range(17)]),
     "target.ecsParameters.networkConfiguration.awsvpcConfiguration.subnets", "at most 16"),
    ("Scheduler security groups", "schedule",
     lambda s, t: ecs(s)["networkConfiguration"]["awsvpcConfiguration"].update(securityGroups=list("abcdef")),
     "target.ecsParameters.networkConfiguration.awsvpcConfiguration.securityGroups", "at most 5"),
    ("Scheduler awsvpc without network", "schedule", lambda s, t: ecs(s).pop("networkConfiguration"),
     "target.ecsParameters.networkConfiguration", "uses awsvpc"),
    ("Scheduler bridge with network", "schedule", lambda s, t: t.update(networkMode="bridge"),
     "target.ecsParameters.networkConfiguration", "takes no networkConfiguration"),
]  # fmt: skip


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_base_specs_break_no_rule(base: str) -> None:
    spec, td = copy.deepcopy(BASES[base])
    assert check(base, spec, td) == []


@pytest.mark.parametrize(("base", "change", "path", "text"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_refuses_its_case(base: str, change: Change, path: str, text: str) -> None:
    spec, td = copy.deepcopy(BASES[base])
    change(spec, td)
    problems = check(base, spec, td)
    assert [p for p in problems if p[0] == path and text in p[1]], problems


def test_a_grace_period_without_load_balancers_is_accepted_with_a_container_health_check() -> None:
    spec = copy.deepcopy(SERVICE)
    for field in ("vpcLatticeConfigurations", "serviceConnectConfiguration", "loadBalancers"):
        spec.pop(field, None)
    assert spec["healthCheckGracePeriodSeconds"] == 60
    assert "healthCheck" in TD["containerDefinitions"][0]
    assert service_rules(spec, TD) == []


def test_fargate_spot_runs_arm64_tasks() -> None:
    spec = copy.deepcopy(SERVICE) | {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
    assert TD["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert service_rules(spec, TD) == []


def test_an_ntfs_volume_is_not_judged_without_the_task_definition() -> None:
    spec = copy.deepcopy(SERVICE)
    ebs(spec).update(filesystemType="ntfs")
    assert service_rules(spec, None) == []


def test_validate_accepts_a_grace_period_for_container_health_checks(cli: Any, manifests: Any) -> None:
    health = {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"], "startPeriod": 30}
    app = container(image="nginx:1.27", port=None, environment=None, healthCheck=health)
    network = {"awsvpcConfiguration": {"subnets": [SUBNET]}}
    grace = service(
        "web", cluster="demo", desiredCount=1, healthCheckGracePeriodSeconds=120, networkConfiguration=network
    )
    root = manifests({"web.yaml": documents(task_definition("web", containers=[app]), grace)})
    result = cli("validate", root)
    assert result.code == 0, result.err
