"""The bad-input corpus: every malformed manifest set gets a clear error naming the file (and line and field where
there is one), exit 1, zero AWS writes, and nothing pruned — even with --prune against a live, managed example.

Each folder under tests/bad_inputs/ is one case: its manifests, and expect.yaml with `file` (the file the error
names), `error` (text the message contains) and optionally `stage: plan` (an error only live state can reveal, so
`validate` accepts it). Cases that cannot live in git as plain files (huge, binary, links) are generated below.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

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
    return cases


def _cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) + ["huge-file", "not-utf8", "symlink-outside"]


def _case(name: str, tmp: Path) -> tuple[Path, dict[str, str]]:
    if (CORPUS / name).is_dir():
        target = tmp / name
        shutil.copytree(CORPUS / name, target, ignore=shutil.ignore_patterns("expect.yaml"))
        return target, yaml.safe_load((CORPUS / name / "expect.yaml").read_text())
    return _generated(tmp)[name]


def test_the_corpus_is_not_empty():
    assert len(_cases()) >= 20


@pytest.mark.parametrize("name", _cases())
def test_bad_input_is_refused_with_a_clear_error_and_no_writes(name, aws, cli, ecs, example, tmp_path):
    assert cli("apply", example).code == 0
    root, expect = _case(name, tmp_path / "case")

    validated = cli("validate", root)
    if expect.get("stage") == "plan":
        assert validated.code == 0, validated.err
    else:
        assert validated.code == 1
        assert expect["error"] in validated.err
        assert expect["file"] in validated.err

    aws.reset_calls()
    for command in ("plan", "apply"):
        result = cli(command, root, "--prune")
        assert result.code == 1, f"{command}: {result.out}{result.err}"
        assert expect["error"] in result.err
        assert expect["file"] in result.err
        assert "Traceback" not in result.err
    assert aws.writes() == []
    assert not Path("/tmp/ecs-reconciler-pwned").exists()
    web = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert web["status"] == "ACTIVE"
