"""The embedded AWS emulator: an in-process moto server on 127.0.0.1 that behaves like documented ECS.

``--embedded-aws`` and ``demo`` use it over real HTTP. It needs moto, which only the ``embedded`` extra installs:
import it through ``reconciler.embedded.load_emulator()``, which says how to install it when it is missing.

* ``start_emulator()`` serves moto's WSGI app (``create_app()``) on a free port; ``serve(app)`` serves any WSGI app
  wrapping it;
* ``Journal(app, file)`` / ``check_journal(file)``: the emulator's state kept across restarts (a journal of the
  requests that changed something, replayed at start);
* ``patch_moto()``: idempotent, process-wide monkeypatches of moto's ECS backend and responses, each making the
  emulator do what the ECS API reference says AWS does where moto differs in a way a diff engine would notice;
  they also model service rollouts (``ROLLOUT_ENV`` chooses how they end) and Application Auto Scaling tags.

moto's state is process-global: every Emulator in a process shares it.
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
from reconciler.emulator.server import Emulator, WsgiApp, create_app, serve, start_emulator
from reconciler.emulator.state import Journal, check_journal

__all__ = [
    "DEMO_ACCOUNT",
    "DEMO_EXECUTION_ROLE",
    "DEMO_SECURITY_GROUP",
    "DEMO_SUBNETS",
    "ECS_TASKS_TRUST",
    "ROLLOUT_ENV",
    "Emulator",
    "Journal",
    "WsgiApp",
    "check_journal",
    "create_app",
    "patch_moto",
    "seed_demo_network",
    "seed_execution_role",
    "seed_lease_table",
    "serve",
    "start_emulator",
]
