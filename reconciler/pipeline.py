"""The one reconcile pipeline, used by `plan`, `apply` and every daemon pass alike:

    load → variables → offline checks → security findings → live checks → observe → plan → apply → verify

Commands and the daemon differ only in what they do with each stage's outcome. Every refusal (invalid manifests,
an ``error``-severity finding, an unsafe plan) is raised before the first write.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.aws import Aws, Ticker, batches, known_regions
from reconciler.core.errors import InvalidManifests, ManifestError, SecurityRefused, UsageError, WrongTarget
from reconciler.core.instance import Instance, resolve
from reconciler.core.kind import Pins, Registry
from reconciler.core.loader import Document, Limits
from reconciler.core.manifests import check_references, read_documents, resources_from
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan, make_plan, masked
from reconciler.core.redact import Masker
from reconciler.core.security import Finding, blocking, find_issues
from reconciler.core.settings import ApplySettings, Settings
from reconciler.core.targets import Target, check_offline, split
from reconciler.core.variables import Parameter
from reconciler.executor import Outcome, execute
from reconciler.kinds import KINDS
from reconciler.kinds.live import LIVE
from reconciler.kinds.live_base import ApplyContext, Found, LiveKind


@dataclass(frozen=True)
class Loaded:
    """A manifest set that passed every offline check, with its security findings."""

    resources: list[Resource]
    findings: list[Finding] = field(default_factory=list)
    instance: Instance = field(default_factory=Instance)
    """Whose resources these are: the managed-by value written and owned (core/instance.py)."""

    @property
    def refusing(self) -> list[Finding]:
        """Unsuppressed findings at severity error: apply writes nothing while any stands."""
        return blocking(self.findings, strict=False)


@dataclass(frozen=True)
class State:
    """Live state read for one pass."""

    observed: dict[Address, Live]
    """Live resources at the addresses the manifests name and reference."""
    prune_candidates: dict[Address, Live] = field(default_factory=dict)
    """Every managed resource found live (read only with --prune)."""

    @property
    def live(self) -> dict[Address, Live]:
        """Everything read, by address."""
        return {**self.prune_candidates, **self.observed}


@dataclass(frozen=True)
class Planned:
    loaded: Loaded
    plan: Plan
    state: State


class Pipeline:
    """The stages, over one AWS boundary and one settings tree."""

    def __init__(
        self,
        aws: Aws,
        settings: Settings,
        *,
        kinds: Registry = KINDS,
        live: Mapping[str, LiveKind] = LIVE,
        keep: bool = False,
        target: Target | None = None,
    ) -> None:
        self.aws = aws
        self.settings = settings
        self.target = target or Target()
        """The account and region this pipeline serves (the default target: the process's own)."""
        self.kinds = kinds
        self.live = live
        self._target_checked = False
        self.kept: dict[str, Any] | None = {} if keep else None
        """``keep``: immutable live state is kept between plans (the daemon); otherwise it is read once per plan."""
        self.in_use_known: set[str] = set()
        """Revisions the live services ran at the last full plan: a scoped plan (which reads only some services)
        never deregisters them either."""
        self._scoped = False
        self.progress = True
        """A plan that reads for longer than ``PaceSettings.progress_after`` shows its progress on stderr."""
        self.masker = Masker.of(settings.variables, settings.sensitive)
        """Masks the sensitive variables' values in everything a plan shows."""

    def keep_between_passes(self) -> None:
        """From now on, immutable live state read by one plan is kept for the next (the daemon's passes, which log
        instead of showing progress lines)."""
        if self.kept is None:
            self.kept = {}
        self.progress = False

    def scoped(self, **apply: Any) -> Pipeline:
        """The same stages over the same AWS boundary and kept state, with some apply options changed (the daemon's
        change-first plan: ``prune=False``)."""
        settings = replace(self.settings, apply=replace(self.settings.apply, **apply))
        other = Pipeline(self.aws, settings, kinds=self.kinds, live=self.live, target=self.target)
        other.kept, other.in_use_known, other._scoped = self.kept, self.in_use_known, True
        other._target_checked = self._target_checked
        return other

    # -------------------------------------------------------------------------------------------- account guard

    def check_target(self) -> None:
        """Refuse an account or region the settings do not allow (``--allowed-account-id``, ``--allowed-region``),
        before any state is read: one STS GetCallerIdentity per pipeline, only when account ids are declared."""
        if self._target_checked:
            return
        options = self.settings.aws
        if options.allowed_regions and self.aws.region not in options.allowed_regions:
            raise WrongTarget(
                f"region {self.aws.region} is not an allowed region ({', '.join(options.allowed_regions)}); "
                "nothing was read or changed"
            )
        if options.allowed_account_ids:
            account = self.aws.account_or_why()
            if account not in options.allowed_account_ids:
                raise WrongTarget(
                    f"the credentials are for AWS account {account}, not an allowed account "
                    f"({', '.join(options.allowed_account_ids)}); nothing was read or changed"
                )
        if self.target.account_id and self.aws.account() != self.target.account_id:
            raise WrongTarget(
                f"target {self.target.name} ({self.target.file}): the credentials reach AWS account "
                f"{self.aws.account_or_why()}, not spec.accountId {self.target.account_id}; "
                "nothing was read or changed"
            )
        self._target_checked = True

    def for_target(self, target: Target) -> Pipeline:
        """The same stages for one target: its own AWS boundary (region, assumed role, request buckets)."""
        if target.is_default:
            return self
        other = Pipeline(self.aws.for_target(target), self.settings, kinds=self.kinds, live=self.live, target=target)
        other.kept = {} if self.kept is not None else None
        other.progress = self.progress
        return other

    # -------------------------------------------------------------------------------------------- load and check

    def parts(self, path: str | os.PathLike[str]) -> list[Part]:
        """A manifest tree split by target (``reconciler.core.targets``), every target's manifests checked offline
        first: a bad manifest anywhere raises before any AWS call."""
        documents, errors = read_documents(path, limits=Limits(max_files=self.settings.manifests.max_files))
        return self.parts_of(documents, errors, path=path)

    def load(self, path: str | os.PathLike[str]) -> Loaded:
        """A manifest tree that declares no target (all of it this pipeline's), checked; see ``parts``."""
        parts = self.parts(path)
        if len(parts) != 1 or parts[0].pipeline is not self:
            raise UsageError(f"{os.fspath(path)} declares targets: its targets are planned one by one")
        return parts[0].load()

    def parts_of(
        self, documents: list[Document], errors: list[ManifestError], *, path: str | os.PathLike[str] | None = None
    ) -> list[Part]:
        """Documents already read (the daemon's snapshot) split by target; see ``parts``. ``path``: where they were
        read from (the names earlier versions derived the instance from)."""
        found = split(documents, self.settings.variables, regions=known_regions())
        check_offline(found, errors, self.kinds, self.settings.variables)
        instance = self.instance_of(found.instance, path)
        if not found.targets:
            return [Part(self, [], instance)]
        parts = [Part(self.for_target(t), found.documents[t.name], instance) for t in found.targets]
        if found.several:
            _check_distinct(parts)
        return parts

    def instance_of(self, declared: Instance | None, path: str | os.PathLike[str] | None) -> Instance:
        """This run's instance: the manifests' Instance document, else ``--instance``, else the default."""
        return resolve(declared, self.settings.manifests.instance, path=path)

    def load_documents(
        self, documents: list[Document], errors: list[ManifestError], *, instance: Instance | None = None
    ) -> Loaded:
        """Documents already read into memory (the daemon's snapshot, Target and Instance documents taken out),
        with the loader's errors; ``instance``: the tree's (None: ``--instance`` or the default)."""
        resources = resources_from(
            documents, errors, self.kinds, variables=self.settings.variables, ssm=self.read_parameters
        )
        findings, problems = find_issues(resources, self.settings.security, self.kinds)
        if problems:
            raise InvalidManifests(problems)
        return Loaded(resources, findings, instance or self.instance_of(None, None))

    def options(self, loaded: Loaded) -> ApplySettings:
        """The apply options for ``loaded``: the settings' own, with the manifests' instance."""
        return replace(self.settings.apply, instance=loaded.instance.name, former_owners=loaded.instance.former)

    def read_parameters(self, names: list[str]) -> dict[str, Parameter]:
        """SSM parameters by name, 10 per GetParameters call, never decrypted (a SecureString's value is not read).
        Names that do not exist are left out."""
        self.check_target()
        found: dict[str, Parameter] = {}
        for chunk in batches(sorted(set(names)), 10):
            answer = self.aws.call("ssm", "GetParameters", ",".join(chunk), Names=chunk, WithDecryption=False)
            for item in answer.get("Parameters", []):
                value = "" if item.get("Type") == "SecureString" else str(item.get("Value", ""))
                found[str(item["Name"])] = Parameter(str(item.get("Type", "String")), value)
        return found

    # -------------------------------------------------------------------------------------------- observe and plan

    def observe(self, resources: Sequence[Resource], *, prune: bool) -> State:
        """Read what the manifests declare and reference, kind by kind in dependency order, each batched."""
        self.check_target()
        region = self.aws.region
        wanted: dict[str, set[Address]] = {name: set() for name in self.kinds.names}
        for r in resources:
            wanted[r.address.kind].add(r.address)
            for ref in self.kinds.references(r, region=region):
                wanted.setdefault(ref.address.kind, set()).add(ref.address)
        found = Found(self.kept, keep_for=self.settings.aws.read.keep_for if self.kept is not None else 0.0)
        for name in self.kinds.names:
            addresses = sorted(wanted[name])
            if addresses:
                found.update(self.live[name].observe(self.aws, addresses, found))
                found.looked_up.update(addresses)
        candidates: dict[Address, Live] = {}
        if prune:
            for name in self.kinds.names:
                candidates.update(self.live[name].list_managed(self.aws, {**found, **candidates}))
        return State(dict(found), candidates)

    def check_live(self, resources: list[Resource], state: State) -> None:
        """References resolve (declared or live) and each kind's live rules hold; raises InvalidManifests."""
        errors = check_references(resources, state.observed, self.kinds, region=self.aws.region)
        declared = {r.address: r for r in resources}
        for name in self.kinds.names:
            of_kind = [r for r in resources if r.address.kind == name]
            if of_kind:
                errors += self.live[name].check_live(self.aws, of_kind, declared)
        if errors:
            raise InvalidManifests(sorted(errors, key=lambda e: (e.file, e.line or 0)))

    def plan(self, loaded: Loaded) -> Planned:
        """Observe, check what only live state can tell, and plan (pure)."""
        options = self.options(loaded)
        shown = self.progress and not self._scoped
        with (
            Ticker(self.aws, self._reading, after=self.settings.aws.pace.progress_after)
            if shown
            else (contextlib.nullcontext())
        ):
            state = self.observe(loaded.resources, prune=options.prune)
        self.check_live(loaded.resources, state)
        the_plan = masked(
            make_plan(loaded.resources, state.observed, options, self.kinds, prune_candidates=state.prune_candidates),
            self.masker,
        )
        if not self._scoped and (in_use := self._in_use(state)) != self.in_use_known:
            self.in_use_known = in_use  # kept when unchanged: it outlives the pass
        return Planned(loaded, the_plan, state)

    @property
    def _reading(self) -> str:
        """What a long read's progress lines say (which target, when several are read side by side)."""
        return "reading live state" if self.target.is_default else f"reading live state of target {self.target.name}"

    def _in_use(self, state: State) -> set[str]:
        pinning = ((self.kinds.facet(live.address, Pins), live) for live in state.live.values())
        return {v for kind, live in pinning if kind for v in kind.in_use(live)}

    # -------------------------------------------------------------------------------------------- apply and verify

    def apply(
        self,
        planned: Planned,
        *,
        revision: str | None = None,
        stop: Callable[[], bool] | None = None,
        hold: Mapping[Address, str] | None = None,
    ) -> list[Outcome]:
        """Run the plan, exactly (``hold``: addresses not attempted, with why); refuses before any write while an
        error-severity finding stands."""
        if planned.plan.actions and planned.loaded.refusing:
            raise SecurityRefused(planned.loaded.refusing)
        options = self.options(planned.loaded)
        in_use = self._in_use(planned.state)
        return self.run(planned.plan, options, revision=revision, in_use=in_use, stop=stop, hold=hold)

    def run(
        self,
        plan: Plan,
        options: ApplySettings,
        *,
        revision: str | None = None,
        in_use: set[str] | frozenset[str] = frozenset(),
        stop: Callable[[], bool] | None = None,
        hold: Mapping[Address, str] | None = None,
    ) -> list[Outcome]:
        """Run a plan through the executor in this pipeline's target (one ``plan`` made, or a rollback's);
        ``in_use``: task definition revisions live services use beyond those this pipeline saw (never
        deregistered)."""
        self.check_target()
        epoch = self.aws.fence.token if self.aws.fence is not None else None
        ctx = ApplyContext(options, revision=revision, in_use=set(in_use) | self.in_use_known, epoch=epoch)
        return execute(self.aws, plan, self.live, ctx, stop=stop, hold=hold)

    def verify(self, loaded: Loaded) -> Plan:
        """Plan again after an apply: what still stands between live state and the manifests."""
        return self.plan(loaded).plan


@dataclass(frozen=True)
class Part:
    """One target's manifests and the pipeline that serves it (``pipeline.target``)."""

    pipeline: Pipeline
    documents: list[Document]
    instance: Instance = field(default_factory=Instance)

    @property
    def target(self) -> Target:
        return self.pipeline.target

    def load(self) -> Loaded:
        """The target's manifests, checked (offline, then with ``${ssm:...}`` read in the target's account)."""
        return self.pipeline.load_documents(self.documents, [], instance=self.instance)


def _check_distinct(parts: Sequence[Part]) -> None:
    """Two targets reaching one account and region would prune each other's resources (ownership is per account
    and region): refused before anything is read."""
    seen: dict[tuple[str | None, str], Target] = {}
    for part in parts:
        part.pipeline.check_target()
        key = (part.pipeline.aws.account(), part.pipeline.aws.region)
        if (other := seen.get(key)) is not None:
            raise UsageError(
                f"targets {other.name} and {part.target.name} both reach account {key[0]}, region {key[1]}: "
                "give each account and region one target"
            )
        seen[key] = part.target


# ------------------------------------------------------------------------------------------------ --target


def parse_selector(selector: str) -> tuple[str, str]:
    """``KIND/NAME`` (a service also as ``Service/CLUSTER/NAME``) -> (kind, name)."""
    kind, sep, name = selector.partition("/")
    if not sep or not kind or not name:
        raise UsageError(f"--target {selector!r}: expected KIND/NAME, e.g. Service/api or TaskDefinition/api")
    return kind, name


def names(selector: str, address: Address) -> bool:
    """``selector`` (``--target KIND/NAME``, a service also ``Service/CLUSTER/NAME``) names the resource at
    ``address``."""
    kind, name = parse_selector(selector)
    return address.kind.lower() == kind.lower() and name in (address.name, f"{address.scope}/{address.name}")


def narrowed(loaded: Loaded, selectors: Sequence[str], kinds: Registry, *, region: str) -> Loaded:
    """Only the resources ``selectors`` name and, transitively, the declared resources they reference (what they
    need to exist first); findings are kept for those resources only. No selectors: ``loaded`` unchanged."""
    if not selectors:
        return loaded
    by_address = {r.address: r for r in loaded.resources}
    wanted: set[Address] = set()
    for selector in selectors:
        matches = [a for a in by_address if names(selector, a)]
        if not matches:
            raise UsageError(f"--target {selector}: no such resource in the manifests")
        wanted.update(matches)
    stack = list(wanted)
    while stack:
        resource = by_address[stack.pop()]
        for ref in kinds.references(resource, region=region):
            if ref.address in by_address and ref.address not in wanted:
                wanted.add(ref.address)
                stack.append(ref.address)
    return Loaded(
        [r for r in loaded.resources if r.address in wanted],
        [f for f in loaded.findings if f.address in wanted],
        loaded.instance,
    )
