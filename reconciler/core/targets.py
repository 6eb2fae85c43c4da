"""Targets: which AWS account and region a manifest's resources live in.

A ``Target`` document names an account (an IAM role to assume there) and a region. It governs the manifests in its
own folder and every folder below, the nearest one winning; manifests under no Target belong to the ``default``
target: the credentials and region the process runs with. A manifest tree without Target documents is one default
target, exactly as before targets existed.

    apiVersion: ecs-reconciler/v1
    kind: Target
    metadata:
      name: payments-prod
    spec:
      region: eu-west-1
      roleArn: arn:aws:iam::111122223333:role/ecs-reconciler    # optional: the process's own credentials
      accountId: "111122223333"                                 # optional: defaults to the role's account
      externalId: payments                                      # optional: sts:ExternalId of the role's trust

Each target is planned and applied on its own: its own clients (and so its own request buckets), its own account
guard (the credentials must reach ``accountId``), its own ownership (prune lists that account and region only) and
its own lease and metrics label in the daemon.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core import instance
from reconciler.core.errors import InvalidManifests, ManifestError
from reconciler.core.kind import Registry
from reconciler.core.loader import Document
from reconciler.core.manifests import API_VERSION, ENVELOPE, TARGET, resources_from
from reconciler.core.model import Resource
from reconciler.core.variables import substitute

KIND = TARGET
DEFAULT = "default"
"""The target of manifests under no Target document: the process's own credentials and region."""
SPEC = frozenset({"region", "roleArn", "accountId", "externalId"})
NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
ACCOUNT = re.compile(r"^\d{12}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


@dataclass(frozen=True)
class Target:
    name: str = DEFAULT
    region: str | None = None
    """None: the process's region."""
    role_arn: str | None = None
    """None: the process's own credentials."""
    account_id: str | None = None
    """The account the target's credentials must reach (checked with STS before anything is read)."""
    external_id: str | None = field(default=None, repr=False)
    folder: str = ""
    """The folder it governs, relative to the manifest root ("" = the root)."""
    file: str = ""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT


@dataclass(frozen=True)
class Split:
    """A manifest set split by target: each target's documents, in the order targets were declared (the default
    target first, when any manifest falls under it)."""

    targets: list[Target]
    documents: dict[str, list[Document]]
    errors: list[ManifestError]
    instance: instance.Instance | None = None
    """The tree's Instance document (None: it declares none)."""

    @property
    def several(self) -> bool:
        return any(not t.is_default for t in self.targets)


def split(
    documents: list[Document], variables: Mapping[str, str] | None = None, *, regions: Collection[str] = ()
) -> Split:
    """Take the Target and Instance documents out of ``documents`` and give every other document to the nearest
    Target above it. Target and Instance documents are checked here (``${VAR}`` placeholders filled; ``regions``:
    the regions AWS has, when known); their problems are returned, not raised."""
    declared = [d for d in documents if isinstance(d.body, Mapping) and d.body.get("kind") == KIND]
    filled, errors = substitute(declared, variables or {})
    named, problems = instance.declared([d for d in documents if instance.is_instance_document(d)], API_VERSION)
    errors += problems
    targets: list[Target] = []
    for doc in filled:
        target = _target(doc, errors, regions)
        if target is None:
            continue
        clash = next((t for t in targets if t.name == target.name or t.folder == target.folder), None)
        if clash is not None:
            what = f"target {target.name!r}" if clash.name == target.name else f"a target for folder {_shown(clash)}"
            errors.append(_error(doc, "metadata.name", f"{what} is already declared in {clash.file}"))
            continue
        targets.append(target)
    groups: dict[str, list[Document]] = {}
    for doc in documents:
        if isinstance(doc.body, Mapping) and doc.body.get("kind") in (KIND, instance.KIND):
            continue
        groups.setdefault(governing(doc.file, targets), []).append(doc)
    ordered = ([Target()] if DEFAULT in groups else []) + [t for t in targets if t.name in groups]
    return Split(ordered, {t.name: groups[t.name] for t in ordered}, errors, named)


def governing(file: str, targets: Collection[Target]) -> str:
    """The name of the target a manifest file belongs to: the nearest Target above it, else ``default``."""
    folder = posixpath.dirname(file)
    owner = max((t for t in targets if _within(folder, t.folder)), key=lambda t: len(t.folder), default=None)
    return owner.name if owner else DEFAULT


def _within(folder: str, governed: str) -> bool:
    return not governed or folder == governed or folder.startswith(governed + "/")


def _shown(target: Target) -> str:
    return repr(target.folder or ".")


def _error(doc: Document, path: str, message: str) -> ManifestError:
    return ManifestError(doc.file, message, line=doc.line_of(path), field=path)


def _target(doc: Document, errors: list[ManifestError], regions: Collection[str]) -> Target | None:
    """One Target document, or None with its problems added to ``errors``."""
    body: Mapping[str, Any] = doc.body
    start = len(errors)
    for key in sorted(set(body) - ENVELOPE):
        errors.append(
            _error(doc, key, f"unknown top-level field {key!r}; a Target has apiVersion, kind, metadata, spec")
        )
    if body.get("apiVersion") != API_VERSION:
        errors.append(_error(doc, "apiVersion", f"expected {API_VERSION!r}, got {body.get('apiVersion')!r}"))
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not NAME.match(name) or name == DEFAULT:
        errors.append(
            _error(
                doc,
                "metadata.name",
                f"a target's name is 1-63 lowercase letters, digits and hyphens, not {DEFAULT!r}; got {name!r}",
            )
        )
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        errors.append(_error(doc, "spec", "missing or not a mapping; a Target needs at least a region"))
        return None
    for key in sorted(set(spec) - SPEC):
        errors.append(_error(doc, f"spec.{key}", f"unknown field {key!r}; a Target has {', '.join(sorted(SPEC))}"))
    values = {key: spec.get(key) for key in SPEC}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            errors.append(_error(doc, f"spec.{key}", f"expected a string, got {type(value).__name__}"))
    region, role, account, external = (
        values[k] if isinstance(values[k], str) else None for k in ("region", "roleArn", "accountId", "externalId")
    )
    if region is None or not REGION.match(region):
        errors.append(_error(doc, "spec.region", f"expected an AWS region such as eu-west-1, got {region!r}"))
    elif regions and region not in regions:
        close = difflib.get_close_matches(region, sorted(regions), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        errors.append(_error(doc, "spec.region", f"{region!r} is not an AWS region{hint}"))
    role_match = ROLE_ARN.match(role) if role is not None else None
    if role is not None and role_match is None:
        errors.append(_error(doc, "spec.roleArn", "expected an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"))
    if account is not None and not ACCOUNT.match(account):
        errors.append(_error(doc, "spec.accountId", f"expected 12 digits (quote it in YAML), got {account!r}"))
    elif account is not None and role_match is not None and role_match.group(1) != account:
        errors.append(
            _error(doc, "spec.accountId", f"{account} is not the account of spec.roleArn ({role_match.group(1)})")
        )
    if external is not None and not EXTERNAL_ID.match(external):
        errors.append(_error(doc, "spec.externalId", "expected 2-1224 letters, digits and +=,.@:/-"))
    if external is not None and role is None:
        errors.append(_error(doc, "spec.externalId", "an external id is only used to assume spec.roleArn"))
    if len(errors) > start:
        return None
    return Target(
        name=str(name),
        region=region,
        role_arn=role,
        account_id=account or (role_match.group(1) if role_match else None),
        external_id=external,
        folder=posixpath.dirname(doc.file),
        file=doc.file,
    )


def check_offline(
    parts: Split, load_errors: list[ManifestError], kinds: Registry, variables: Mapping[str, str] | None
) -> dict[str, list[Resource]]:
    """Every target's resources, checked offline (``${ssm:...}`` left as written); raises InvalidManifests listing
    every problem of every target at once, so a bad manifest anywhere costs no AWS call anywhere."""
    errors = load_errors + parts.errors
    found: dict[str, list[Resource]] = {}
    for target in parts.targets:
        try:
            found[target.name] = resources_from(parts.documents[target.name], [], kinds, variables=variables)
        except InvalidManifests as exc:
            errors += exc.errors
    if errors:
        raise InvalidManifests(sorted(errors, key=lambda e: (e.file, e.line or 0)))
    return found
