"""The manifest kinds, one module each with the same interface (``reconciler.core.kind.Kind``), in dependency order.

A kind is two files: ``<kind>.py``, pure (check, normalise, diff, references, export, findings, cost), and
``<kind>_live.py``, its AWS reads and writes (``reconciler.kinds.live_base.LiveKind``). ``KINDS`` here and
``reconciler.kinds.live.LIVE`` list them. The planner, executor, export, cost and security name no kind: they loop
over these registries (a kind imports the kinds it refers to; the rollout wait and the demo name the Service kind).
"""

from reconciler.core.kind import Registry
from reconciler.kinds import (
    capacity_provider,
    cluster,
    daemon,
    express_service,
    log_group,
    managed_instances_provider,
    scaling,
    scheduled_task,
    service,
    task_definition,
)

KINDS = Registry(
    [
        log_group.KIND,
        capacity_provider.KIND,
        cluster.KIND,
        managed_instances_provider.KIND,
        daemon.KIND,
        task_definition.KIND,
        service.KIND,
        express_service.KIND,
        scheduled_task.KIND,
        scaling.KIND,
    ]
)
"""Every kind, each after the kinds it may refer to."""
