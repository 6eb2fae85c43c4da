"""The pure core imports and plans with boto3 and the AWS boundary unimportable: deciding what to do needs no AWS."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT

PURE = [
    "reconciler.core.loader",
    "reconciler.core.variables",
    "reconciler.core.schema",
    "reconciler.core.manifests",
    "reconciler.core.plan",
    "reconciler.core.render",
    "reconciler.core.cost",
    "reconciler.core.security",
    "reconciler.kinds",
    "reconciler.kinds.cluster",
    "reconciler.kinds.log_group",
    "reconciler.kinds.task_definition",
    "reconciler.kinds.service",
    "reconciler.kinds.scaling",
]


def test_the_pure_core_needs_neither_boto3_nor_the_aws_boundary():
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name in ("boto3", "reconciler.aws") or name.startswith(("boto3.", "reconciler.aws.")):
                    raise ImportError(f"blocked: {{name}}")
                if name.endswith("_live") or name == "reconciler.kinds.live":
                    raise ImportError(f"blocked: {{name}}")
                return None

        sys.meta_path.insert(0, Block())
        import importlib
        for module in {PURE!r}:
            importlib.import_module(module)

        from reconciler.core.loader import load_text
        from reconciler.core.manifests import parse_documents
        from reconciler.core.plan import make_plan
        from reconciler.core.render import summary_line
        from reconciler.core.settings import ApplySettings
        from reconciler.kinds import KINDS

        docs, errors = load_text(open("manifests/web.yaml", "rb").read(), file="web.yaml")
        resources, problems = parse_documents(docs, KINDS)
        assert not errors and not problems, (errors, problems)
        plan = make_plan(resources, {{}}, ApplySettings(), KINDS)
        print(summary_line(plan))
        print("boto3" in sys.modules, "reconciler.aws" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    summary, loaded = done.stdout.strip().splitlines()[-2:]
    assert "to create" in summary
    assert loaded == "False False"
