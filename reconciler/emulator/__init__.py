"""The embedded AWS emulator: an in-process moto server on 127.0.0.1 that behaves like documented ECS.

``--embedded-aws`` and the test suite both use it over real HTTP. Two parts:

* a WSGI middleware around moto's app that records each operation name and is the seam for fault injection:
  ``Emulator.hooks`` are called with the operation name before moto sees the request, ``Emulator.after_hooks``
  after moto has executed it (its answer held back); either may answer with an AWS error or drop the connection;
* ``patch_moto()``: idempotent, process-wide monkeypatches of moto's ECS backend and responses, each making the
  emulator do what the ECS API reference says AWS does where moto differs in a way a diff engine would notice;
  they also model service rollouts (``ROLLOUT_ENV`` chooses how they end) and Application Auto Scaling tags.

moto's state is process-global: every Emulator in a process shares it, and ``Emulator.reset()`` empties it all.
Nothing else global is set here; callers point their clients at ``Emulator.endpoint_url`` themselves.
"""

from reconciler.emulator.patches import patch_moto
from reconciler.emulator.rollouts import ROLLOUT_ENV
from reconciler.emulator.seeds import (
    DEMO_ACCOUNT,
    DEMO_EXECUTION_ROLE,
    DEMO_SECURITY_GROUP,
    DEMO_SUBNETS,
    ECS_TASKS_TRUST,
    seed_demo_network,
    seed_execution_role,
    seed_lease_table,
)
from reconciler.emulator.server import (
    DROP,
    READ_PREFIXES,
    TOOL_USER_AGENT,
    Emulator,
    Fault,
    OperationHook,
    read_operation_name,
    start_emulator,
)

__all__ = [
    "DEMO_ACCOUNT",
    "DEMO_EXECUTION_ROLE",
    "DEMO_SECURITY_GROUP",
    "DEMO_SUBNETS",
    "DROP",
    "ECS_TASKS_TRUST",
    "READ_PREFIXES",
    "ROLLOUT_ENV",
    "TOOL_USER_AGENT",
    "Emulator",
    "Fault",
    "OperationHook",
    "patch_moto",
    "read_operation_name",
    "seed_demo_network",
    "seed_execution_role",
    "seed_lease_table",
    "start_emulator",
]
