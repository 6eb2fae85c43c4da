"""The ``run`` command's own options: the daemon's mode and pace, its HTTP server, alerts, rollouts and leases."""

from __future__ import annotations

import argparse

from reconciler.core.settings import DaemonSettings, LeaseSettings
from reconciler.parser.options import repeatable, seconds


def run_options(run: argparse.ArgumentParser) -> None:
    daemon, lease = DaemonSettings(), LeaseSettings()
    run.add_argument(
        "--mode",
        choices=["enforce", "detect"],
        default=daemon.mode,
        help="enforce applies, detect only plans and alerts (default: %(default)s)",
    )
    seconds(
        run,
        "--prune-settle",
        default=daemon.watch.prune_settle,
        help="with --prune, delete only what manifests read unchanged this long apart no longer declare; creates and "
        "updates do not wait (default: %(default)s)",
    )
    seconds(
        run,
        "--resync-interval",
        default=daemon.resync_interval,
        help="full pass at least this often, to catch drift (default: %(default)s)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=daemon.metrics_port,
        metavar="PORT",
        help="serve /metrics, /healthz, /readyz, /status and the web console (/) on this port (0: any free port; "
        "default: off)",
    )
    run.add_argument(
        "--metrics-address",
        default=daemon.metrics_address,
        metavar="ADDRESS",
        help="address the metrics server binds (default: %(default)s, all interfaces; 127.0.0.1 keeps it local)",
    )
    run.add_argument(
        "--max-vanished",
        type=int,
        default=daemon.max_vanished,
        metavar="N",
        help="when every resource the daemon brought up is gone and a pass would re-create more than N, alert and "
        "wait for a new revision instead (-1: never; default: %(default)s)",
    )
    run.add_argument(
        "--http-token-file",
        metavar="FILE",
        help="bearer token that POST /reconcile must carry ('Authorization: Bearer <token>'); without it such "
        "requests answer 403",
    )
    run.add_argument(
        "--status-needs-token",
        action="store_true",
        help="put /status and the console behind the token too (/metrics, /healthz, /readyz stay open)",
    )
    run.add_argument("--alert-sns-topic", metavar="ARN", help="publish alerts to this SNS topic")
    run.add_argument("--alert-webhook", metavar="URL", help="POST alerts as Slack-compatible JSON")
    run.add_argument("--alert-slack-webhook", metavar="URL", help="post alerts to Slack in Block Kit")
    run.add_argument(
        "--alert-teams-webhook",
        metavar="URL",
        help="post alerts to a Microsoft Teams Workflows webhook as Adaptive Cards",
    )
    repeatable(
        run,
        "--alert-events",
        metavar="SINK=KIND,...",
        help="send SINK (sns, webhook, slack, teams) only these alert kinds ('failures': invalid, refused, "
        "rollout_failed, rollback); repeatable; default: every alert to every sink",
    )
    run.add_argument("--console-url", metavar="URL", help="the console's public address: chat messages link to it")
    run.add_argument(
        "--lease-table",
        metavar="NAME",
        help="share the targets with the other replicas using this DynamoDB table (partition key 'name', a string)",
    )
    run.add_argument(
        "--rollback-on-failure",
        action="store_true",
        help="when a service of a git revision fails its rollout, return every service that revision changed to the "
        "last revision that rolled out completely (default: off; the failed revision is held either way)",
    )
    seconds(
        run,
        "--rollout-timeout",
        default=daemon.rollout_timeout,
        help="a rollout still unfinished this long after its pass counts as failed (default: %(default)g)",
    )
    run.add_argument(
        "--lease-name", default=lease.name, help="the leases' key prefix in the table (default: %(default)s)"
    )
    seconds(
        run,
        "--lease-duration",
        default=lease.duration,
        help="a dead leader is replaced within about this long (default: %(default)s)",
    )
    seconds(run, "--lease-renew", default=lease.renew_period, help="renewal period of the lease (default: %(default)s)")
