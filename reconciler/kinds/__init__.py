"""One module per ECS kind, each with the same small interface.

Every kind module defines:
    KIND, NAME_FIELD, OPERATION   the manifest kind, the API member that takes metadata.name, the API operation whose
                                  input ``spec`` is (checked against botocore's model)
    address(name, spec)           the resource's identity
    check(resource)               domain rules the AWS model does not know -> list[ManifestError]
    normalize(doc, ...)           a comparable form of a desired spec or a live describe output
    diff(resource, live, ...)     field-level changes (pure)
    observe(aws, names, ...)      read live state (batched)
    create / update / delete      the writes, called only by the executor
"""

from reconciler.kinds import cluster, service, task_definition

KINDS = {m.KIND: m for m in (cluster, task_definition, service)}
