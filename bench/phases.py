"""The phases of bench/memory.py, in a fresh interpreter that imports nothing before it measures:
``python -m bench.phases ENDPOINT ROOT [--trace]`` prints one JSON line per step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REGION = "us-east-1"


def _status() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def phases(endpoint_url: str, root: str, *, trace: bool) -> None:
    """Runs in the child interpreter: prints one JSON line per step."""
    import gc

    if trace:
        import tracemalloc

        tracemalloc.start(8)
    kept: list[object] = []

    def step(name: str, work: object = None) -> None:
        gc.collect()
        rss, peak = _status()
        line: dict[str, object] = {"step": name, "rss": round(rss, 1), "peak": round(peak, 1)}
        if trace:
            snapshot = tracemalloc.take_snapshot()
            top = snapshot.statistics("traceback")[:10]
            line["top"] = [f"{s.size / 1024:.0f} KiB {s.count} {s.traceback.format()[-1].strip()}" for s in top]
        print(json.dumps(line), flush=True)
        _reset_peak()
        kept.append(work)

    step("interpreter")
    import botocore.session  # noqa: F401

    step("import botocore.session")
    import reconciler.cli  # noqa: F401

    step("import reconciler.cli")
    import reconciler.daemon.run  # noqa: F401

    step("import reconciler.daemon.run")
    from reconciler.aws import Aws
    from reconciler.core.loader import ParseCache
    from reconciler.core.settings import AwsSettings, Settings
    from reconciler.daemon.source import read_snapshot
    from reconciler.pipeline import Pipeline

    cache = ParseCache()
    snapshot = read_snapshot(root, retries=1, cache=cache)
    step(f"read and parse {len(snapshot.documents)} documents", snapshot)
    settings = Settings(aws=AwsSettings(endpoint_url=endpoint_url, region=REGION, embedded=True))
    pipeline = Pipeline(Aws(settings.aws), settings)
    pipeline.keep_between_passes()
    loaded = pipeline.load_documents(snapshot.documents, snapshot.errors)
    step("load (resources, offline checks)", loaded)
    planned = pipeline.plan(loaded)
    assert not planned.plan.pending, planned.plan.summary
    step("first plan (observe everything)", planned)
    del planned
    kept.pop()
    planned = pipeline.plan(loaded)
    step("second plan (revisions kept)", planned)
    again = read_snapshot(root, retries=1, cache=cache)
    step("read the tree again (parse cache)", again)


if __name__ == "__main__":
    phases(sys.argv[1], sys.argv[2], trace="--trace" in sys.argv[3:])
