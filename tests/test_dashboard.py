"""The Grafana dashboard in deploy/grafana/: every query names only metrics the daemon exports, read from the daemon's
own registry (reconciler.daemon.metrics), and every metric the daemon exports has a panel."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from conftest import ROOT

from reconciler.daemon.metrics import Metrics

DASHBOARD = ROOT / "deploy" / "grafana" / "ecs-reconciler.json"
METRIC = re.compile(r"\b(ecs_reconciler_[a-z_]+)\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "info": ("_info",),
}
"""The series names Prometheus's text format gives each metric type (prometheus_client's exposition)."""


def exported() -> dict[str, str]:
    """Each series name the daemon's /metrics can carry -> its metric family."""
    return {
        family.name + suffix: family.name for family in Metrics().registry.collect() for suffix in SUFFIXES[family.type]
    }


def queries() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield f"variable {variable['name']}", variable["definition"]


def test_every_query_names_only_metrics_the_daemon_exports():
    names = exported()
    found = list(queries())
    assert found
    for where, expr in found:
        used = METRIC.findall(expr)
        assert used, f"{where}: names no ecs_reconciler metric: {expr}"
        unknown = [name for name in used if name not in names]
        assert not unknown, f"{where}: {unknown} are not exported by the daemon"


def test_every_metric_the_daemon_exports_has_a_panel():
    names = exported()
    shown = {names[name] for _, expr in queries() for name in METRIC.findall(expr) if name in names}
    assert shown == set(names.values())


def per_replica() -> set[str]:
    """The metrics about the replica as a whole (no ``target`` label: the targets it holds, the live replicas)."""
    return {m._name for m in vars(Metrics()).values() if hasattr(m, "_labelnames") and not m._labelnames}


def test_panels_use_the_dashboards_datasource_and_target_variable():
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    whole = per_replica()
    assert whole == {"ecs_reconciler_targets_held", "ecs_reconciler_replicas_live"}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            if not set(METRIC.findall(target["expr"])) <= whole:
                assert 'target=~"$target"' in target["expr"], panel["title"]
