"""The AWS halves of the kinds, by kind name, in the order of ``reconciler.kinds.KINDS``."""

from reconciler.kinds import (
    KINDS,
    capacity_provider_live,
    cluster_live,
    daemon_live,
    express_service_live,
    log_group_live,
    managed_instances_provider_live,
    scaling_live,
    scheduled_task_live,
    service_live,
    task_definition_live,
)
from reconciler.kinds.live_base import LiveKind, live_registry

LIVE: dict[str, LiveKind] = live_registry(
    [
        log_group_live.LIVE,
        capacity_provider_live.LIVE,
        cluster_live.LIVE,
        managed_instances_provider_live.LIVE,
        daemon_live.LIVE,
        task_definition_live.LIVE,
        service_live.LIVE,
        express_service_live.LIVE,
        scheduled_task_live.LIVE,
        scaling_live.LIVE,
    ]
)
assert tuple(LIVE) == KINDS.names, "LIVE must list the kinds in the order of KINDS"
