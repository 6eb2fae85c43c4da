"""The editors' JSON Schemas (`ecs-reconciler schema`): every manifest the validator accepts is valid under them, the
shape mistakes it refuses are refused by them too, and the copies shipped beside the examples are the ones their
modelines name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from reconciler.cli import main
from reconciler.core.json_schema import MANIFEST, all_schemas, manifest_schema, plain_text
from reconciler.core.loader import load_text
from reconciler.core.manifests import parse_documents
from reconciler.kinds import KINDS

EXAMPLES = ROOT / "reconciler" / "examples" / "manifests"
SHIPPED = ROOT / "reconciler" / "examples" / "schemas"
DEPLOY = [*sorted((ROOT / "deploy" / "ecs").glob("*.yaml")), *sorted((ROOT / "deploy" / "examples").rglob("*.yaml"))]
REAL = ROOT / "tests" / "fixtures" / "aws" / "real"
CASES = ROOT / "tests" / "fixtures" / "plans" / "cases.yaml"
BAD = ROOT / "tests" / "bad_inputs"
MODELINE = "# yaml-language-server: $schema=../schemas/manifest.json"


def validator(schemas: dict[str, dict[str, Any]]) -> Draft7Validator:
    """manifest.json, its references to the kinds' files resolved among ``schemas`` as an editor resolves them."""
    registry: Registry[Any] = Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT7)) for name, schema in schemas.items()
    )
    return Draft7Validator(schemas[MANIFEST], registry=registry)


GENERATED = validator(all_schemas(KINDS))


def errors_of(document: dict[str, Any], checker: Draft7Validator = GENERATED) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in checker.iter_errors(document)]


def documents(path: Path) -> Iterator[dict[str, Any]]:
    yield from (d for d in yaml.safe_load_all(path.read_text()) if d is not None)


def accepted_by_the_validator(text: str) -> list[dict[str, Any]]:
    """The documents of ``text`` the tool's own loader accepts."""
    docs, _ = load_text(text.encode(), file="case.yaml")
    resources, _ = parse_documents(docs, KINDS)
    names = {(r.address.kind, r.file, r.line) for r in resources}
    return [d.body for d in docs if (d.body.get("kind"), d.file, d.line) in names]


def corpus() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every manifest the project keeps that the validator accepts: the examples, deploy/, the real-answer fixtures
    and the planner's cases."""
    for path in [*sorted(EXAMPLES.glob("*.yaml")), *DEPLOY]:
        for index, doc in enumerate(documents(path)):
            yield f"{path.relative_to(ROOT)}#{index}", doc
    for path in sorted(REAL.glob("*.yaml")):
        yield f"{path.relative_to(ROOT)}", yaml.safe_load(path.read_text())["manifest"]
    for case in yaml.safe_load(CASES.read_text()):
        for index, doc in enumerate(accepted_by_the_validator(case["manifests"])):
            yield f"cases.yaml {case['name'][:40]}#{index}", doc


CORPUS = list(corpus())


def test_the_corpus_holds_every_kind():
    assert {doc["kind"] for _, doc in CORPUS} >= {*KINDS.names, "Target"}


@pytest.mark.parametrize(("where", "document"), CORPUS, ids=[where for where, _ in CORPUS])
def test_every_manifest_the_validator_accepts_is_valid(where, document):
    assert errors_of(document) == []


def web_service() -> dict[str, Any]:
    return next(d for d in documents(EXAMPLES / "web.yaml") if d["kind"] == "Service")


def web_task_definition() -> dict[str, Any]:
    return next(d for d in documents(EXAMPLES / "web.yaml") if d["kind"] == "TaskDefinition")


def test_a_misspelt_field_is_refused_where_it_is():
    document = web_task_definition()
    container = document["spec"]["containerDefinitions"][0]
    container["imagee"] = container.pop("image")
    errors = errors_of(document)
    assert any(e.startswith("spec.containerDefinitions.0:") and "'imagee'" in e for e in errors), errors


def test_a_wrong_enum_value_is_refused():
    document = web_service()
    document["spec"]["launchType"] = "FARGTE"
    assert any(e.startswith("spec.launchType:") for e in errors_of(document)), errors_of(document)


@pytest.mark.parametrize(
    "case",
    ["bad-enum", "unknown-field", "wrong-type", "wrong-type-count", "missing-required", "unknown-metadata-field",
     "unknown-top-level-field", "wrong-api-version", "name-in-spec", "family-in-spec", "service-missing-cluster"],
)  # fmt: skip
def test_the_shape_mistakes_the_validator_refuses_are_refused(case):
    expect = yaml.safe_load((BAD / case / "expect.yaml").read_text())
    docs = list(documents(BAD / case / expect["file"]))
    assert any(errors_of(doc) for doc in docs)


def test_what_the_validator_coerces_or_fills_in_is_accepted():
    """Numbers in string fields, numbers written as text, and ${VAR} placeholders."""
    document = web_task_definition()
    document["spec"]["cpu"] = 256
    document["spec"]["containerDefinitions"][0]["portMappings"][0]["containerPort"] = "8080"
    document["spec"]["containerDefinitions"][0]["memory"] = "${MEMORY}"
    assert errors_of(document) == []
    document["spec"]["containerDefinitions"][0]["essential"] = "${ESSENTIAL}"  # booleans are not coerced
    assert errors_of(document) != []


def test_descriptions_are_aws_documentation_as_plain_text():
    spec = all_schemas(KINDS)["service.json"]["properties"]["spec"]["properties"]
    text = spec["launchType"]["description"]
    assert text.startswith("The infrastructure that you run your service on.")
    assert "<" not in text and "Amazon ECS launch types" in text
    assert plain_text("<p>A &amp; B</p> <note><p>C</p></note>") == "A & B\n\nC"


def test_the_name_field_is_left_to_metadata():
    spec = all_schemas(KINDS)["taskdefinition.json"]["properties"]["spec"]
    assert "family" not in spec["properties"] and "containerDefinitions" in spec["required"]


def test_the_shipped_schemas_are_the_files_the_examples_name(tmp_path):
    assert sorted(p.name for p in SHIPPED.glob("*.json")) == sorted(all_schemas(KINDS))
    shipped = validator({p.name: json.loads(p.read_text()) for p in SHIPPED.glob("*.json")})
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert path.read_text().splitlines()[0] == MODELINE, path
        for doc in documents(path):
            assert errors_of(doc, shipped) == [], path


def test_schema_writes_one_file_per_kind_and_a_bundle_to_stdout(tmp_path, capsys):
    assert main(["schema", "--output", str(tmp_path / "schemas")]) == 0
    written = {p.name: json.loads(p.read_text()) for p in (tmp_path / "schemas").glob("*.json")}
    assert written == all_schemas(KINDS)
    capsys.readouterr()
    assert main(["schema"]) == 0
    bundled = json.loads(capsys.readouterr().out)
    assert bundled == manifest_schema(KINDS, bundled=True)
    assert errors_of(web_service(), Draft7Validator(bundled)) == []
    assert errors_of({**web_service(), "kind": "Servise"}, Draft7Validator(bundled)) != []
