"""botocore's bundled model files, read lean: the one loader the tool's AWS clients and shape checks share.

botocore reads each JSON model into ``OrderedDict``s with every shape's HTML documentation, and its endpoints file
for all of AWS's 300-odd services: about 7 MB for the endpoints alone and 3 MB for ECS's model, held for the life of
the process. This loader reads them into plain dicts (ordered too), leaves out the documentation strings (only
``reconciler.core.json_schema`` shows them, from a full model of its own) and keeps, of the endpoints file, the
services the tool calls. What clients do with the models is unchanged.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import botocore.loaders
import botocore.session

ENDPOINT_PREFIXES = frozenset(
    {
        "application-autoscaling",
        "dynamodb",
        "ecs",
        "elasticloadbalancing",
        "iam",
        "logs",
        "monitoring",
        "scheduler",
        "servicediscovery",
        "sns",
        "ssm",
        "sts",
    }
)
"""The endpoint prefix (``metadata.endpointPrefix``) of every service the tool calls; tests/test_model_files.py
checks that each paced service's prefix is here."""

_DOCUMENTATION = frozenset({"documentation", "documentationUrl"})


def _lean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object, without its documentation text (a member *named* ``documentation`` is an object: kept)."""
    return {key: value for key, value in pairs if not (key in _DOCUMENTATION and isinstance(value, str))}


class _LeanFiles(botocore.loaders.JSONFileLoader):  # type: ignore[misc]
    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read().decode("utf-8")
        return json.loads(payload, object_pairs_hook=_lean_object)


class LeanLoader(botocore.loaders.Loader):  # type: ignore[misc]
    FILE_LOADER_CLASS = _LeanFiles

    @botocore.loaders.instance_cache  # type: ignore[untyped-decorator]
    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        data, path = super().load_data_with_path(name)
        if name == "endpoints":
            for partition in data.get("partitions", []):
                services = partition.get("services", {})
                partition["services"] = {k: v for k, v in services.items() if k in ENDPOINT_PREFIXES}
        return data, path


@functools.cache
def data_loader() -> LeanLoader:
    """The process's one lean loader (botocore's search paths, ``AWS_DATA_PATH`` included): every session of the
    tool registers it, so each model and the endpoint rules are read and held once."""
    extra = botocore.session.get_session().get_config_variable("data_path")
    return LeanLoader(extra_search_paths=extra.split(os.pathsep) if extra else None)


def lean_session() -> botocore.session.Session:
    """A new botocore session reading models through the process's lean loader."""
    session = botocore.session.get_session()
    session.register_component("data_loader", data_loader())
    return session
