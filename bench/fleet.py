"""A generated fleet of manifests: N Fargate services over K clusters, each service with its own task definition
family (the common shape: one family per service). Used by the benchmark and by the tests that need many resources.
The benchmark's fleet also scales every tenth service (a ScalingPolicy) and gives each cluster a LogGroup.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import DEMO_SECURITY_GROUP, DEMO_SUBNETS

CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {{name: {cluster}}}
spec:
  settings: [{{name: containerInsights, value: enabled}}]
  tags: [{{key: team, value: platform}}]
"""
SERVICE = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {{name: {name}}}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: example/{name}:1.0
      portMappings: [{{containerPort: 8080}}]
      environment: [{{name: SERVICE, value: {name}}}]
---
apiVersion: ecs-reconciler/v1
kind: Service
metadata: {{name: {name}}}
spec:
  cluster: {cluster}
  taskDefinition: {name}
  desiredCount: 1
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [{subnet}]
      securityGroups: [{security_group}]
  tags: [{{key: team, value: platform}}]
"""
LOG_GROUP = """\
---
apiVersion: ecs-reconciler/v1
kind: LogGroup
metadata: {{name: /ecs/{cluster}}}
spec:
  retentionInDays: 30
  tags: {{team: platform}}
"""
SCALING = """\
---
apiVersion: ecs-reconciler/v1
kind: ScalingPolicy
metadata: {{name: {name}-scaling}}
spec:
  cluster: {cluster}
  service: {name}
  minCapacity: 1
  maxCapacity: 4
  policies:
    - policyName: cpu60
      policyType: TargetTrackingScaling
      targetTrackingScalingPolicyConfiguration:
        targetValue: 60
        predefinedMetricSpecification: {{predefinedMetricType: ECSServiceAverageCPUUtilization}}
"""
SCALED_EVERY = 10
"""With ``extras``, services 0, 10, 20, ... get a ScalingPolicy."""


def cluster_names(clusters: int) -> list[str]:
    return [f"cluster-{c:03d}" for c in range(clusters)]


def service_names(services: int) -> list[str]:
    return [f"svc-{s:04d}" for s in range(services)]


def cluster_of(service_index: int, clusters: int) -> str:
    """Services are dealt round-robin over the clusters."""
    return cluster_names(clusters)[service_index % clusters]


def fleet_files(services: int, clusters: int, *, extras: bool = False) -> dict[str, str]:
    """File name -> manifest text: one file per cluster, one per service (its task definition and the service);
    with ``extras``, each cluster's file also holds its LogGroup and every tenth service's its ScalingPolicy."""
    files = {
        f"clusters/{name}.yaml": CLUSTER.format(cluster=name) + (LOG_GROUP.format(cluster=name) if extras else "")
        for name in cluster_names(clusters)
    }
    for i, name in enumerate(service_names(services)):
        cluster = cluster_of(i, clusters)
        scaled = extras and i % SCALED_EVERY == 0
        files[f"services/{name}.yaml"] = SERVICE.format(
            name=name, cluster=cluster, subnet=DEMO_SUBNETS[0], security_group=DEMO_SECURITY_GROUP
        ) + (SCALING.format(name=name, cluster=cluster) if scaled else "")
    return files


def write_fleet(root: Path, *, services: int, clusters: int, extras: bool = False) -> Path:
    """Write the fleet's manifests under ``root`` and return it."""
    for name, text in fleet_files(services, clusters, extras=extras).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
