"""Environments: ${VAR} and ${VAR:-default} from --var, --var-file and the environment (in that precedence),
${ssm:/path} resolved at plan time (never a SecureString), every error with file and line."""

from __future__ import annotations

import json

import boto3

REGION = "us-east-1"

TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: api}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: example/api:${IMAGE_TAG}
      environment:
        - {name: STAGE, value: "${STAGE:-staging}"}
        - {name: PRICE, value: "$${NOT_A_VARIABLE}"}
        - {name: ENDPOINT, value: "${ssm:/api/endpoint}"}
"""


def image_and_env(cli, root, *args):
    result = cli("plan", root, "--format", "json", *args)
    assert result.code == 2, result.err
    change = json.loads(result.out)["changes"][0]
    container = next(d for d in change["diff"] if d["path"] == "containerDefinitions")["after"][0]
    return container["image"], {e["name"]: e["value"] for e in container["environment"]}


def ssm():
    return boto3.client("ssm", region_name=REGION)


def test_each_source_in_order_of_precedence(aws, cli, manifests, monkeypatch, tmp_path):
    ssm().put_parameter(Name="/api/endpoint", Value="https://api.internal", Type="String")
    root = manifests({"api.yaml": TASK})
    monkeypatch.setenv("IMAGE_TAG", "from-env")
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
    monkeypatch.delenv("IMAGE_TAG", raising=False)
    root = manifests({"api.yaml": TASK})
    for command in ("validate", "plan"):
        result = cli(command, root)
        assert result.code == 1
        assert "api.yaml:11: spec.containerDefinitions[0].image: variable IMAGE_TAG is not defined" in result.err
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
    nested.write_text("IMAGE_TAG:\n  nested: 1\n")
    result = cli("validate", root, "--var-file", nested)
    assert result.code == 1
    assert f"{nested}:1: IMAGE_TAG: must be a string or number" in result.err
    assert "cannot read var file" in cli("validate", root, "--var-file", tmp_path / "absent.yaml").err
