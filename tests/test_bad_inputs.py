"""The bad-input corpus: every malformed manifest set gets a clear error naming the file (and line and field where
there is one), exit 1, zero AWS writes, and nothing pruned — even with --prune against a live, managed example (applied
once per module: each case must leave it untouched, which its own zero-write check proves).

Each folder under tests/bad_inputs/ is one case: its manifests, and expect.yaml with `file` (the file the error
names), `error` (text the message contains) and optionally `stage: plan` (an error only live state can reveal, so
`validate` accepts it). Cases that cannot live in git as plain files (huge, binary, links) are generated below.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml
from conftest import REGION, ROOT, clean_emulator
from faults import HookedEmulator

from reconciler.cli import main

CORPUS = Path(__file__).parent / "bad_inputs"


def _generated(tmp: Path) -> dict[str, tuple[Path, dict[str, str]]]:
    cases = {}
    tmp.mkdir(parents=True, exist_ok=True)
    huge = tmp / "huge-file"
    huge.mkdir()
    (huge / "big.yaml").write_text("a: " + "x" * (2 * 1024 * 1024) + "\n")
    cases["huge-file"] = (huge, {"file": "big.yaml", "error": "big.yaml"})
    latin = tmp / "not-utf8"
    latin.mkdir()
    (latin / "c.yaml").write_bytes(b"apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: caf\xe9}\n")
    cases["not-utf8"] = (latin, {"file": "c.yaml", "error": "UTF-8"})
    outside = tmp / "symlink-outside"
    outside.mkdir()
    secret = tmp / "elsewhere.yaml"
    secret.write_text("apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: stolen}\nspec: {}\n")
    os.symlink(secret, outside / "linked.yaml")
    cases["symlink-outside"] = (outside, {"file": "linked.yaml", "error": "outside the manifest tree"})
    folder = tmp / "symlinked-folder-outside"
    folder.mkdir()
    (tmp / "shared").mkdir()
    (tmp / "shared" / "c.yaml").write_text(secret.read_text())
    os.symlink(tmp / "shared", folder / "shared")
    cases["symlinked-folder-outside"] = (
        folder,
        {"file": "shared", "error": "symlink points outside the manifest tree"},
    )
    broken = tmp / "broken-symlink"
    broken.mkdir()
    os.symlink("missing.yaml", broken / "gone.yaml")
    cases["broken-symlink"] = (broken, {"file": "gone.yaml", "error": "gone.yaml: broken symlink"})
    nul = tmp / "nul-byte"
    nul.mkdir()
    (nul / "bin.yaml").write_bytes(b"apiVersion: ecs-reconciler/v1\nkind: Cluster\x00\nmetadata: {name: x}\n")
    cases["nul-byte"] = (nul, {"file": "bin.yaml", "error": "bin.yaml:2: unacceptable character #x0000"})
    utf16 = tmp / "utf-16"
    utf16.mkdir()
    (utf16 / "c.yaml").write_bytes(secret.read_text().encode("utf-16"))
    cases["utf-16"] = (utf16, {"file": "c.yaml", "error": "c.yaml:1: not valid UTF-8"})
    return cases


GENERATED = (
    "huge-file",
    "not-utf8",
    "symlink-outside",
    "symlinked-folder-outside",
    "broken-symlink",
    "nul-byte",
    "utf-16",
)


def _cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) + list(GENERATED)


def _case(name: str, tmp: Path) -> tuple[Path, dict[str, str]]:
    if (CORPUS / name).is_dir():
        target = tmp / name
        shutil.copytree(CORPUS / name, target, ignore=shutil.ignore_patterns("expect.yaml"))
        return target, yaml.safe_load((CORPUS / name / "expect.yaml").read_text())
    return _generated(tmp)[name]


def test_the_corpus_holds_at_least_40_distinct_cases():
    assert len(set(_cases())) >= 40


@pytest.fixture(scope="module")
def live_example(emulator: HookedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookedEmulator]:
    """The bundled example applied once for the whole corpus: every case must leave it exactly as it is."""
    with pytest.MonkeyPatch.context() as env:
        clean_emulator(emulator, env)
        target = tmp_path_factory.mktemp("corpus") / "example"
        shutil.copytree(ROOT / "manifests", target)
        assert main(["apply", str(target)]) == 0
        yield emulator


@pytest.mark.parametrize("name", _cases())
def test_bad_input_is_refused_with_a_clear_error_and_no_writes(name, live_example, cli, tmp_path):
    root, expect = _case(name, tmp_path / "case")

    validated = cli("validate", root)
    if expect.get("stage") == "plan":
        assert validated.code == 0, validated.err
    else:
        assert validated.code == 1
        assert expect["error"] in validated.err
        assert expect["file"] in validated.err

    live_example.reset_calls()
    for command in ("plan", "apply"):
        result = cli(command, root, "--prune")
        assert result.code == 1, f"{command}: {result.out}{result.err}"
        assert expect["error"] in result.err
        assert expect["file"] in result.err
        assert "Traceback" not in result.err
    assert live_example.writes() == []
    assert not Path("/tmp/ecs-reconciler-pwned").exists()
    web = boto3.client("ecs", endpoint_url=live_example.endpoint_url, region_name=REGION).describe_services(
        cluster="demo", services=["web"]
    )["services"][0]
    assert web["status"] == "ACTIVE"
