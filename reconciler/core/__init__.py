"""The pure core: reads no AWS and imports nothing that does (a test imports it with boto3 blocked).

Manifests in (loader, variables, schema, manifests), a Plan out (plan), and what is shown of it (render, cost,
security). The kinds' pure halves (``reconciler.kinds``) plug into the planner through ``kind.Kind``.
"""
