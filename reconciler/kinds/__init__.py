"""One module per ECS kind, each with the same small interface.

Every kind module defines:
    KIND, NAME_FIELD              the manifest kind, the API member that takes metadata.name (None: a label only)
    check_name(name)              why metadata.name is not a valid name for the kind, or None
    check_shape(spec)             the spec checked against botocore's model(s) -> (coerced spec, problems)
    address(name, spec)           the resource's identity
    check(resource)               domain rules the AWS model does not know -> list[ManifestError]
    normalize(doc, ...)           a comparable form of a desired spec or a live describe output
    diff(resource, live, ...)     field-level changes (pure)
    observe(aws, names, ...)      read live state (batched)
    create / update / delete      the writes, called only by the executor
"""

from types import ModuleType

from reconciler.kinds import cluster, log_group, scaling, service, task_definition

KINDS: dict[str, ModuleType] = {m.KIND: m for m in (log_group, cluster, task_definition, service, scaling)}
