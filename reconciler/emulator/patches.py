"""patch_moto(): make moto behave like the documented AWS APIs where a diff engine would notice.

One module per AWS service holds its patches, each saying which AWS behaviour it stands for: ``ecs_services``,
``ecs_clusters``, ``ecs_managed_instances``, ``ecs_express`` (Express Mode services), ``ecs_daemons`` (Managed
Daemons), ``ecs_tasks`` (with ``rollouts``, the deployments a service update starts), ``logs``, ``scaling``,
``cloud_map_elb`` and ``deployment_api`` (ECS's service deployments and revisions). Idempotent and process-wide.
"""

from __future__ import annotations

import threading

from reconciler.emulator.cloud_map_elb import patch_cloud_map_and_elb
from reconciler.emulator.deployment_api import patch_service_deployments
from reconciler.emulator.ecs_clusters import patch_ecs_clusters
from reconciler.emulator.ecs_daemons import patch_ecs_daemons
from reconciler.emulator.ecs_express import patch_ecs_express
from reconciler.emulator.ecs_managed_instances import patch_ecs_managed_instances
from reconciler.emulator.ecs_services import patch_ecs_services
from reconciler.emulator.ecs_tasks import patch_ecs_tasks
from reconciler.emulator.logs import patch_logs
from reconciler.emulator.scaling import patch_scaling

_patch_lock = threading.Lock()
_patched = False


def patch_moto() -> None:
    """Make moto behave like documented AWS where a diff engine would notice. Idempotent, process-wide."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        patch_ecs_services()
        patch_ecs_clusters()
        patch_ecs_managed_instances()
        patch_ecs_express()
        patch_ecs_daemons()
        patch_ecs_tasks()
        patch_logs()
        patch_scaling()
        patch_cloud_map_and_elb()
        patch_service_deployments()  # last: it wraps the patched CreateService, UpdateService and DescribeServices
        _patched = True
