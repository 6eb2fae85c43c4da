"""Saved plans: ``plan --out FILE`` writes one, ``apply FILE`` applies exactly it or refuses, ``show FILE`` prints it.

A saved plan holds no value from the manifests or from AWS (so no secret): what the plan was made with (the
manifests' path, the targets selected, the instance, the var files' paths, the apply options, the account and
region), the list of actions (kind and name only), and three SHA-256 fingerprints: of the manifest set as loaded
(variables filled in), of the live state as the plan compared it (what exists and who manages it), and of the plan
itself (every field change, both values). A digest over the whole file's text comes last; it is checked before
anything else is read from the file, so any edit is refused. ``apply FILE`` then plans again with what the file
records and applies only if the account, region, instance and the three fingerprints are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler import __version__
from reconciler.core.diff import ABSENT
from reconciler.core.errors import UsageError
from reconciler.core.model import Resource
from reconciler.core.plan import Action, Plan, Replace
from reconciler.core.render import Where
from reconciler.core.settings import Settings
from reconciler.core.tags import INSTANCE_PATTERN
from reconciler.pipeline import Planned

FORMAT = "ecs-reconciler-plan/2"
FAMILY = "ecs-reconciler-plan/"
"""Every saved plan's format starts so (an older format is recognised and refused, not read as a manifest)."""
MAX_BYTES = 1_048_576
"""A saved plan is a few kilobytes per hundred actions; anything larger is not one this tool wrote."""
_DIGEST_LINE = re.compile(r'\n  "digest": "(sha256:[0-9a-f]{64})"\n}\n\Z')
_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlevel = 2


def _short(value: Any) -> str:
    """A value in an error message: one line (repr escapes line breaks), at most 60 characters."""
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, default=lambda v: "(absent)" if v is ABSENT else str(v))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifests_fingerprint(resources: Sequence[Resource]) -> str:
    return _digest(sorted(([str(r.address), r.spec, dict(r.annotations)] for r in resources), key=lambda x: x[0]))


def live_fingerprint(planned: Planned) -> str:
    """What exists and who manages it, at every address the plan read."""
    return _digest(sorted([str(a), live.managed, live.owner] for a, live in planned.state.live.items()))


def plan_fingerprint(plan: Plan) -> str:
    """Every action with every field it changes (before and after) and every note."""
    return _digest(
        {
            "actions": [
                [*_kind_of(a), str(a.address), [[c.path, c.before, c.after] for c in a.changes]] for a in plan.actions
            ],
            "notes": [[n.message, n.blocking] for n in plan.notes],
        }
    )


def _kind_of(action: Action) -> list[str]:
    """What kind of action it is: its verb and reason, a replace also its order and forcing fields."""
    out = [action.verb, action.reason.value]
    if isinstance(action, Replace):
        out += [action.order.value, *action.forced_by]
    return out


@dataclass(frozen=True)
class SavedPlan:
    """What a saved plan records (read back from its file)."""

    path: str
    """The manifests, as an absolute path."""
    selectors: tuple[str, ...]
    instance: str
    """The instance the plan was made for (the managed-by value)."""
    instance_option: str | None
    """``--instance`` as given to ``plan`` (None: not given)."""
    var_files: tuple[str, ...]
    """``--var-file`` paths as given to ``plan`` (absolute); ``apply FILE`` reads them again unless given others."""
    prune: bool
    adopt: bool
    allow_replace: bool
    max_deletions: int
    account: str | None
    region: str
    manifests: str
    live: str
    plan: str
    actions: tuple[str, ...]


def seal(document: Mapping[str, Any]) -> str:
    """The file's text: ``document`` as JSON, then the digest of all of that text (with the digest left empty)."""
    text = json.dumps({**document, "digest": ""}, indent=2) + "\n"
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    head, found, tail = text.rpartition('"digest": ""')
    assert found, "json.dumps writes the digest key last"
    return f'{head}"digest": "{digest}"{tail}'


def save(
    file: str,
    planned: Planned,
    *,
    settings: Settings,
    manifests_path: str,
    selectors: Sequence[str],
    var_files: Sequence[str],
    where: Where,
) -> None:
    options = settings.apply
    document = {
        "format": FORMAT,
        "tool": f"ecs-reconciler {__version__}",
        "path": os.path.abspath(manifests_path),
        "selectors": list(selectors),
        "instance": planned.loaded.instance.name,
        "instance_option": settings.manifests.instance,
        "var_files": [os.path.abspath(f) for f in var_files],
        "options": {
            "prune": options.prune,
            "adopt": options.adopt,
            "allow_replace": options.allow_replace,
            "max_deletions": options.max_deletions,
        },
        "account": where.account,
        "region": where.region,
        "fingerprints": {
            "manifests": manifests_fingerprint(planned.loaded.resources),
            "live": live_fingerprint(planned),
            "plan": plan_fingerprint(planned.plan),
        },
        "actions": [f"{a.verb} {a.address}" for a in planned.plan.actions],
    }
    try:
        with open(file, "w", encoding="utf-8") as handle:
            handle.write(seal(document))
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror}") from exc


def is_saved_plan(file: str) -> bool:
    """``file`` looks like a saved plan (a JSON object naming the format), not a manifest or a directory."""
    if not os.path.isfile(file):
        return False
    try:
        with open(file, "rb") as handle:
            head = handle.read(256).decode("utf-8", "replace")
    except OSError:
        return False
    return head.lstrip().startswith("{") and FAMILY in head


def read(file: str) -> SavedPlan | None:
    """The saved plan in ``file``, or None when ``file`` is not one (a manifest file, a directory). The digest is
    checked first; every problem is one line (UsageError), never a traceback."""
    if not is_saved_plan(file):
        return None
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from exc
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{file}: larger than {MAX_BYTES} bytes: not a saved plan this tool wrote")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text: not a saved plan this tool wrote") from exc
    _check_digest(file, text)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{file}: not valid JSON: not a saved plan this tool wrote") from exc
    return _parse(file, document)


def _check_digest(file: str, text: str) -> None:
    found = _DIGEST_LINE.search(text)
    if found is None:
        raise UsageError(f"{file}: no digest at its end: edited, or not written by `plan --out`; nothing was changed")
    unsealed = text[: found.start(1)] + text[found.end(1) :]
    if "sha256:" + hashlib.sha256(unsealed.encode()).hexdigest() != found.group(1):
        raise UsageError(
            f"{file} was changed after `plan --out` wrote it (its digest does not match): refused, nothing was "
            "changed; plan again"
        )


def _field(file: str, document: Mapping[str, Any], name: str, check: Callable[[Any], bool], expected: str) -> Any:
    value = document.get(name) if isinstance(document, Mapping) else None
    if not check(value):
        raise UsageError(f"{file}: {name}: expected {expected}, got {_short(value)}")
    return value


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _parse(file: str, document: Any) -> SavedPlan:
    if not isinstance(document, Mapping):
        raise UsageError(f"{file}: expected a JSON object, got {type(document).__name__}")
    fmt = _field(file, document, "format", lambda v: isinstance(v, str), "a string")
    if fmt != FORMAT:
        raise UsageError(f"{file}: format {_short(fmt)}: this version reads {FORMAT}; plan again and save anew")
    options = _field(file, document, "options", lambda v: isinstance(v, Mapping), "an object")
    prints = _field(file, document, "fingerprints", lambda v: isinstance(v, Mapping), "an object")

    def flag(name: str) -> bool:
        return bool(_field(file, options, name, lambda v: isinstance(v, bool), "true or false"))

    def fingerprint(name: str) -> str:
        return str(_field(file, prints, name, lambda v: isinstance(v, str) and bool(_FINGERPRINT.match(v)), "sha256"))

    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1_000_000

    return SavedPlan(
        path=_field(file, document, "path", lambda v: isinstance(v, str) and os.path.isabs(v), "an absolute path"),
        selectors=tuple(_field(file, document, "selectors", _strings, "a list of KIND/NAME strings")),
        instance=_field(
            file, document, "instance", lambda v: isinstance(v, str) and bool(INSTANCE_PATTERN.match(v)), "a name"
        ),
        instance_option=_field(
            file,
            document,
            "instance_option",
            lambda v: v is None or (isinstance(v, str) and bool(INSTANCE_PATTERN.match(v))),
            "a name or null",
        ),
        var_files=tuple(_field(file, document, "var_files", _strings, "a list of paths")),
        prune=flag("prune"),
        adopt=flag("adopt"),
        allow_replace=flag("allow_replace"),
        max_deletions=_field(file, options, "max_deletions", count, "a whole number from 0"),
        account=_field(
            file,
            document,
            "account",
            lambda v: v is None or (isinstance(v, str) and bool(_ACCOUNT.match(v))),
            "12 digits or null",
        ),
        region=_field(
            file, document, "region", lambda v: isinstance(v, str) and bool(_REGION.match(v)), "an AWS region"
        ),
        manifests=fingerprint("manifests"),
        live=fingerprint("live"),
        plan=fingerprint("plan"),
        actions=tuple(_field(file, document, "actions", _strings, "a list of strings")),
    )


def settings_for(saved: SavedPlan, settings: Settings) -> Settings:
    """The settings to plan again with: the saved plan's instance and apply options over the command's own."""
    return replace(
        settings,
        manifests=replace(settings.manifests, instance=saved.instance_option),
        apply=replace(
            settings.apply,
            prune=saved.prune,
            adopt=saved.adopt,
            allow_replace=saved.allow_replace,
            max_deletions=saved.max_deletions,
        ),
    )


def wrong_place(saved: SavedPlan, where: Where) -> str | None:
    """Why the credentials and region of this run are not the ones the plan was made for (None: they are)."""
    if (saved.account, saved.region) == (where.account, where.region):
        return None
    return (
        f"it was made for account {saved.account}, region {saved.region}; the credentials and region of this run "
        f"are account {where.account}, region {where.region}"
    )


def stale(saved: SavedPlan, planned: Planned, where: Where) -> list[str]:
    """Why ``planned`` (made again now) is not the saved plan; empty when it is exactly that plan."""
    reasons = [reason] if (reason := wrong_place(saved, where)) else []
    if saved.instance != planned.loaded.instance.name:
        reasons.append(
            f"it was made for instance {saved.instance!r}; the manifests now name {planned.loaded.instance.name!r}"
        )
    if saved.manifests != manifests_fingerprint(planned.loaded.resources):
        reasons.append(f"the manifests in {saved.path} (or the variables given) changed")
    if saved.live != live_fingerprint(planned) or saved.plan != plan_fingerprint(planned.plan):
        reasons.append("live state changed: the plan made now differs")
    return reasons
