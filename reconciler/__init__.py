"""ecs-reconciler: a GitOps operator that keeps Amazon ECS equal to YAML manifests in git."""

__version__ = "0.1.0"
