"""Environments: ${VAR} and ${VAR:-default} from --var, --var-file and ECSR_VAR_* environment variables (in that
precedence; no other environment variable is ever read), ${ssm:/path} resolved at plan time (never a SecureString),
every error, a malformed placeholder's too, with file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from builders import container, task_definition

from reconciler.core.loader import load_text
from reconciler.core.variables import merge_sources, substitute

REGION = "us-east-1"

TASK = task_definition(
    containers=[
        container(
            image="example/api:${IMAGE_TAG}",
            port=None,
            environment={
                "STAGE": "${STAGE:-staging}",
                "PRICE": "$${NOT_A_VARIABLE}",
                "ENDPOINT": "${ssm:/api/endpoint}",
            },
        )
    ]
)
IMAGE_LINE = next(n for n, line in enumerate(TASK.splitlines(), 1) if "${IMAGE_TAG}" in line)
"""The line of TASK where the image names its variable (errors name it)."""


def image_and_env(cli: Any, root: Path, *args: str | Path) -> tuple[str, dict[str, str]]:
    result = cli("plan", root, "--format", "json", *args)
    assert result.code == 2, result.err
    change = json.loads(result.out)["changes"][0]
    container = next(d for d in change["diff"] if d["path"] == "containerDefinitions")["after"][0]
    return container["image"], {e["name"]: e["value"] for e in container["environment"]}


def ssm() -> Any:
    return boto3.client("ssm", region_name=REGION)


def test_each_source_in_order_of_precedence(aws, cli, manifests, monkeypatch, tmp_path):
    ssm().put_parameter(Name="/api/endpoint", Value="https://api.internal", Type="String")
    root = manifests({"api.yaml": TASK})
    monkeypatch.setenv("ECSR_VAR_IMAGE_TAG", "from-env")
    image, env = image_and_env(cli, root)
    assert image == "example/api:from-env"
    assert env == {"STAGE": "staging", "PRICE": "${NOT_A_VARIABLE}", "ENDPOINT": "https://api.internal"}

    prod = tmp_path / "prod.yaml"
    prod.write_text("IMAGE_TAG: from-file\nSTAGE: production\n")
    image, env = image_and_env(cli, root, "--var-file", prod)
    assert (image, env["STAGE"]) == ("example/api:from-file", "production")

    image, env = image_and_env(cli, root, "--var-file", prod, "--var", "IMAGE_TAG=1.4.2")
    assert (image, env["STAGE"]) == ("example/api:1.4.2", "production")


def test_undefined_variable_is_an_error_naming_file_and_line(aws, cli, manifests, monkeypatch):
    monkeypatch.delenv("ECSR_VAR_IMAGE_TAG", raising=False)
    monkeypatch.setenv("IMAGE_TAG", "an-unprefixed-variable-is-never-read")
    root = manifests({"api.yaml": TASK})
    for command in ("validate", "plan"):
        result = cli(command, root)
        assert result.code == 1
        assert (
            f"api.yaml:{IMAGE_LINE}: spec.containerDefinitions[0].image: variable IMAGE_TAG is undefined" in result.err
        )
        assert "ECSR_VAR_IMAGE_TAG" in result.err
    assert aws.writes() == [] and "GetParameters" not in aws.calls

    bad = manifests({"api.yaml": TASK.replace("${IMAGE_TAG}", "${IMAGE TAG}")})
    assert "${IMAGE TAG} is not a variable" in cli("validate", bad).err
    assert "--var 'IMAGE_TAG': expected KEY=VALUE" in cli("validate", root, "--var", "IMAGE_TAG").err


def test_validate_accepts_ssm_placeholders_offline(aws, cli, manifests):
    root = manifests({"api.yaml": TASK})
    result = cli("validate", root, "--var", "IMAGE_TAG=1.0")
    assert result.code == 0, result.err
    assert aws.calls == []


def test_ssm_parameters_missing_or_secure_are_errors(aws, cli, manifests):
    root = manifests({"api.yaml": TASK})
    missing = cli("plan", root, "--var", "IMAGE_TAG=1.0")
    assert missing.code == 1
    assert (
        "api.yaml:15: spec.containerDefinitions[0].environment[2].value: SSM parameter /api/endpoint does not exist"
        in (missing.err)
    )
    ssm().put_parameter(Name="/api/endpoint", Value="s3cr3t-value", Type="SecureString")
    aws.reset_calls()
    secure = cli("plan", root, "--var", "IMAGE_TAG=1.0")
    assert secure.code == 1
    assert "SSM parameter /api/endpoint is a SecureString: reference it from the container's secrets" in secure.err
    assert "s3cr3t-value" not in secure.out + secure.err
    assert aws.writes() == []


def test_var_file_errors_name_the_file(aws, cli, manifests, tmp_path):
    root = manifests({"api.yaml": TASK})
    nested = tmp_path / "vars.yaml"
    nested.write_text("IMAGE_TAG: [1]\n")
    result = cli("validate", root, "--var-file", nested)
    assert result.code == 1
    assert f"{nested}:1: IMAGE_TAG: must be a string or number" in result.err
    nested.write_text("IMAGE_TAG:\n  nested: 1\n")
    result = cli("validate", root, "--var-file", nested)
    assert f"{nested}:2: IMAGE_TAG.nested: unknown key 'nested': a variable takes value and sensitive" in result.err
    assert "cannot read var file" in cli("validate", root, "--var-file", tmp_path / "absent.yaml").err


ENV_TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: api}
spec:
  containerDefinitions:
    - name: app
      image: example/api:1.0
      environment:
        - {name: K, value: "k=VALUE"}
"""
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzEXAMPLEKEY"


def fill(value: str, variables: dict[str, str]) -> tuple[str | None, list[str]]:
    """The environment value after substitution (None when it failed) and the errors as printed."""
    docs, errors = load_text(ENV_TASK.replace("k=VALUE", value).encode(), file="apps/api.yaml")
    assert errors == []
    filled, problems = substitute(docs, variables)
    if problems:
        return None, [str(p) for p in problems]
    return filled[0].body["spec"]["containerDefinitions"][0]["environment"][0]["value"], []


def from_env(environment: dict[str, str]) -> dict[str, str]:
    return merge_sources(cli={}, files=[], environment=environment)


def test_only_ecsr_var_environment_variables_are_read():
    environment = {"AWS_SECRET_ACCESS_KEY": FAKE_SECRET, "HOME": "/root", "ECSR_VAR_IMAGE_TAG": "1.2"}
    variables = from_env(environment)
    assert variables == {"IMAGE_TAG": "1.2"}

    value, errors = fill("k=${AWS_SECRET_ACCESS_KEY}", variables)
    assert value is None
    assert errors == [
        "apps/api.yaml:9: spec.containerDefinitions[0].environment[0].value: variable AWS_SECRET_ACCESS_KEY is "
        "undefined (set it with --var, --var-file or the environment variable ECSR_VAR_AWS_SECRET_ACCESS_KEY)"
    ]
    assert FAKE_SECRET not in "".join(errors)
    assert fill("tag=${IMAGE_TAG}", variables) == ("tag=1.2", [])
    assert fill("${HOME:-none}", variables) == ("none", [])


def test_the_prefix_sets_a_variable_below_var_files_and_var():
    merged = merge_sources(
        cli={"A": "cli"},
        files=[{"A": "file", "B": "file"}],
        environment={
            "ECSR_VAR_A": "env",
            "ECSR_VAR_B": "env",
            "ECSR_VAR_C": "env",
            "ECSR_VAR_": "x",
            "ECSR_VAR_1X": "x",
        },
    )
    assert merged == {"A": "cli", "B": "file", "C": "env"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("${TAG", "unterminated placeholder ${TAG: close it with }"),
        ("a-${TAG-b", "unterminated placeholder ${TAG-b"),
        ("${A:-${B}}", "nested placeholder in ${A:-${B}"),
        ("${}", "empty placeholder ${}"),
        ("${ssm:}", "${ssm:} names no SSM parameter"),
        ("${ssm:/a b}", "${ssm:/a b} is not an SSM parameter name"),
        ("${IMAGE TAG}", "${IMAGE TAG} is not a variable"),
        ("${1TAG}", "${1TAG} is not a variable"),
    ],
)
def test_malformed_placeholders_are_errors_naming_file_line_and_field(value, message):
    filled, errors = fill(value, {"TAG": "1.0", "A": "a", "B": "b"})
    assert filled is None
    assert len(errors) == 1
    assert errors[0].startswith("apps/api.yaml:9: spec.containerDefinitions[0].environment[0].value: "), errors
    assert message in errors[0]


def test_a_malformed_placeholder_error_never_shows_a_credential_typed_into_it():
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    for value in (f"${{{token}", f"${{{token} }}", f"${{A:-{token}${{B}}}}"):
        filled, errors = fill(value, {})
        assert filled is None and len(errors) == 1
        assert token not in errors[0] and "(sensitive value)" in errors[0], errors[0]


def test_an_escaped_placeholder_stays_literal_and_defaults_fill():
    assert fill("$${TAG}", {"TAG": "1.0"}) == ("${TAG}", [])
    assert fill("$${TAG", {}) == ("${TAG", [])
    assert fill("${TAG}-$${TAG}-${MISSING:-d}", {"TAG": "1.0"}) == ("1.0-${TAG}-d", [])
    assert fill("${X:-}", {}) == ("", [])


def test_plan_never_reads_the_operators_credentials(aws, cli, manifests, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)  # the emulator accepts any credentials
    root = manifests({"api.yaml": ENV_TASK.replace("k=VALUE", "k=${AWS_SECRET_ACCESS_KEY}")})
    for command in ("validate", "plan"):
        for fmt in ("text", "markdown", "json") if command == "plan" else ("text",):
            result = cli(command, root, *(("--format", fmt) if command == "plan" else ()))
            assert result.code == 1, result.out
            assert "variable AWS_SECRET_ACCESS_KEY is undefined" in result.err
            assert FAKE_SECRET not in result.out + result.err
    assert aws.writes() == []
