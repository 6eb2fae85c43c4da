"""A generated fleet of manifests: N Fargate services over K clusters, each service with its own task definition
family (the common shape: one family per service). Used by the benchmark and by the tests that need many resources.
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


def cluster_names(clusters: int) -> list[str]:
    return [f"cluster-{c:03d}" for c in range(clusters)]


def service_names(services: int) -> list[str]:
    return [f"svc-{s:04d}" for s in range(services)]


def cluster_of(service_index: int, clusters: int) -> str:
    """Services are dealt round-robin over the clusters."""
    return cluster_names(clusters)[service_index % clusters]


def fleet_files(services: int, clusters: int) -> dict[str, str]:
    """File name -> manifest text: one file per cluster, one per service (its task definition and the service)."""
    files = {f"clusters/{name}.yaml": CLUSTER.format(cluster=name) for name in cluster_names(clusters)}
    for i, name in enumerate(service_names(services)):
        files[f"services/{name}.yaml"] = SERVICE.format(
            name=name, cluster=cluster_of(i, clusters), subnet=DEMO_SUBNETS[0], security_group=DEMO_SECURITY_GROUP
        )
    return files


def write_fleet(root: Path, *, services: int, clusters: int) -> Path:
    """Write the fleet's manifests under ``root`` and return it."""
    for name, text in fleet_files(services, clusters).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
