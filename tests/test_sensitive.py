"""Sensitive variables: declared in a var file (``{value: ..., sensitive: true}``) or named like a credential, their
values masked wherever they appear (an image tag, a docker label, a command) in every plan format, alerts, logs
and error messages; and the credential-name families an environment variable or a ``${VAR}`` is recognised by."""

from __future__ import annotations

import json
import time

import pytest
from builders import container, task_definition
from structlog.testing import capture_logs

from reconciler.core.redact import MASK, Masker, is_sensitive
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.delivery import Background
from reconciler.daemon.drift import FieldDrift
from reconciler.daemon.webhook import WebhookSink

SECRET = "hunter2-Zq8"
TASK = task_definition(
    containers=[
        container(
            image="example/api:${NAME}",
            port=None,
            environment={"DB_PASS": "plain-db-pass", "MYSQL_PWD": "plain-mysql-pwd", "LOG_LEVEL": "info"},
            dockerLabels={"build": "built-with-${NAME}"},
            command=["serve", "--key=${NAME}"],
        )
    ]
)


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASS", "MYSQL_PWD", "REDIS_PASS", "SMTP_PASSPHRASE",  # the families' common names
        "DB_PASSWORD", "dbPasswd", "CLIENT_SECRET", "GITHUB_TOKEN", "STRIPE_KEY", "SIGNING_KEYS", "API_KEY",
        "AWS_CREDENTIALS", "GCP_CREDS", "SENTRY_DSN", "BASIC_AUTH", "OAUTH_CLIENT", "TLS_CERT", "PRIVATE_KEY",
        "PRIVATE_TOKEN", "HASH_SALT", "GITLAB_PAT", "SLACK_WEBHOOK_URL", "DATABASE_URL", "spring.datasource.password",
    ],
)  # fmt: skip
def test_each_credential_name_family_is_sensitive(name):
    assert is_sensitive(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH", "PATTERN", "DSNAME", "AUTHOR", "BYPASS_CACHE", "PASSENGER_COUNT", "KEYSPACE", "MONKEY", "LOG_LEVEL",
        "AWS_ACCESS_KEY_ID", "KMS_KEY_ARN", "KEY_ALIAS", "SECRET_NAME", "DB_PASSWORD_FILE", "TOKEN_TTL", "CERT_ARN",
        "PUBLIC_KEY", "PUBLIC_CERT", "IMAGE_TAG",
    ],
)  # fmt: skip
def test_names_that_only_name_or_point_to_a_credential_are_not(name):
    assert not is_sensitive(name)


def variables(tmp_path, how: str) -> list[str]:
    """Command-line arguments that set ${NAME} to SECRET, sensitive in the way ``how`` says."""
    if how == "var file":
        (tmp_path / "vars.yaml").write_text(f"NAME: {{value: {SECRET}, sensitive: true}}\n")
        return ["--var-file", str(tmp_path / "vars.yaml")]
    return ["--var", f"NAME={SECRET}"]


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
@pytest.mark.parametrize("how", ["var file", "credential name"])
def test_a_sensitive_variable_is_masked_in_an_image_tag_a_label_and_a_command(
    aws, cli, manifests, tmp_path, monkeypatch, output_format, how
):
    task = TASK
    args = variables(tmp_path, how)
    if how == "credential name":
        task = task.replace("${NAME}", "${API_TOKEN}")
        args = []
        monkeypatch.setenv("ECSR_VAR_API_TOKEN", SECRET)
    root = manifests({"api.yaml": task})
    result = cli("plan", root, "--format", output_format, *args)
    assert result.code == 2, result.err
    shown = result.out + result.err
    assert SECRET not in shown
    for where in ("example/api:", "built-with-", "--key="):
        assert f"{where}{MASK}" in shown.replace('\\"', '"'), where
    for plain in ("plain-db-pass", "plain-mysql-pwd"):
        assert plain not in shown, "DB_PASS and MYSQL_PWD are credential names"
    if output_format == "json":
        json.loads(result.out)  # still a JSON document
    (tmp_path / "plan.json").unlink(missing_ok=True)
    cli("plan", root, "--format", "json", "--output", tmp_path / "plan.json", *args)
    assert SECRET not in (tmp_path / "plan.json").read_text()


def test_a_value_that_is_not_sensitive_is_shown(aws, cli, manifests):
    root = manifests({"api.yaml": TASK})
    result = cli("plan", root, "--var", f"NAME={SECRET}")
    assert result.code == 2 and f"example/api:{SECRET}" in result.out


def test_an_error_message_never_shows_a_sensitive_value(cli, manifests):
    root = manifests({"c.yaml": "apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: 'x ${DB_PASS}'}\n"})
    result = cli("validate", root, "--var", f"DB_PASS={SECRET}")
    assert result.code == 1 and SECRET not in result.out + result.err


def test_an_alert_masks_a_sensitive_value_in_every_field_log_and_sink(tmp_path):
    import http.server
    import threading

    bodies: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = Background(WebhookSink(f"http://127.0.0.1:{server.server_port}/hook", timeout=5))
    alerter = Alerter([hook], mask=Masker.of({"NAME": SECRET, "SHORT": "abc"}, {"NAME", "SHORT"}))
    alert = Alert(
        "drift",
        f"drift on TaskDefinition api: image example/api:{SECRET}",
        "rev1",
        fields=(FieldDrift("containerDefinitions.app.image", f"example/api:{SECRET}", "example/api:1"),),
        errors=(f"CreateService: invalid label built-with-{SECRET}", "abc", "abcdef"),
    )
    with capture_logs() as logs:
        alerter.send(alert)
    hook.close(time.monotonic() + 10)
    server.shutdown()
    [body] = bodies
    assert SECRET not in body + json.dumps(logs)
    sent = json.loads(body)["ecs_reconciler"]
    assert sent["fields"][0]["desired"] == f"example/api:{MASK}"
    assert sent["errors"] == [f"CreateService: invalid label built-with-{MASK}", MASK, "abcdef"], (
        "a short value is masked only where it is the whole string"
    )
