"""Tests for reconciler.core.loader and yaml_reader: reading a manifest tree safely into plain data with field lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.core import loader, yaml_reader
from reconciler.core.errors import FileVanished, ManifestError
from reconciler.core.loader import Document, Limits, load_text, load_tree


@pytest.fixture(autouse=True, params=yaml_reader._COMPOSERS, ids=lambda c: c.__name__)
def composer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Run every test with each available parser: libyaml's (when installed) and PyYAML's pure-Python one."""
    monkeypatch.setattr(yaml_reader, "_COMPOSERS", [request.param])
    return request.param  # type: ignore[no-any-return]


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def load(text: str | bytes, **limits: int) -> tuple[list[Document], list[ManifestError]]:
    data = text.encode() if isinstance(text, str) else text
    return load_text(data, file="apps/web.yaml", limits=Limits(**limits))


SERVICE = """\
# a leading comment
kind: Service
metadata:
  name: web
spec:
  containerDefinitions:
    - name: web
      image: nginx:1.27
      portMappings:
        - containerPort: 80
        - {containerPort: 443, protocol: tcp}
---
---
# only a comment
---
kind: Cluster
metadata: {name: main}
"""


# ------------------------------------------------------------------------------------------------- valid documents


def test_multi_document_file_bodies_indexes_and_lines() -> None:
    documents, errors = load(SERVICE)

    assert errors == []
    assert [(d.file, d.index, d.line) for d in documents] == [("apps/web.yaml", 0, 2), ("apps/web.yaml", 3, 16)]
    service, cluster = documents
    assert service.body == {
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "containerDefinitions": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "portMappings": [{"containerPort": 80}, {"containerPort": 443, "protocol": "tcp"}],
                }
            ]
        },
    }
    assert cluster.body == {"kind": "Cluster", "metadata": {"name": "main"}}
    assert cluster.lines == {"": 16, "kind": 16, "metadata": 17, "metadata.name": 17}


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("", 2),
        ("kind", 2),
        ("metadata.name", 4),
        ("spec.containerDefinitions", 6),
        ("spec.containerDefinitions[0]", 7),
        ("spec.containerDefinitions[0].image", 8),
        ("spec.containerDefinitions[0].portMappings[1]", 11),
        ("spec.containerDefinitions[0].portMappings[1].protocol", 11),
        # not recorded: the nearest recorded ancestor answers
        ("spec.containerDefinitions[0].cpu", 7),
        ("spec.containerDefinitions[3].image", 6),
        ("spec.missing.deeper[2]", 5),
        ("nowhere", 2),
    ],
)
def test_line_of_falls_back_to_ancestors(path: str, line: int) -> None:
    documents, _ = load(SERVICE)
    assert documents[0].line_of(path) == line


def test_body_is_plain_data_and_lines_are_read_only() -> None:
    documents, _ = load("a: 1\nb: 1.5\nc: true\nd: null\ne: [x]\nf: '2024-01-01'\n")

    def kinds(value: object) -> set[type]:
        if isinstance(value, dict):
            return {dict}.union(*(kinds(v) for v in value.values()), *(kinds(k) for k in value))
        if isinstance(value, list):
            return {list}.union(*(kinds(v) for v in value))
        return {type(value)}

    assert kinds(documents[0].body) <= {dict, list, str, int, float, bool, type(None)}
    with pytest.raises(TypeError):
        documents[0].lines["a"] = 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "body"),
    [
        pytest.param("created: 2024-01-01\n", {"created": "2024-01-01"}, id="date stays a string"),
        pytest.param("at: 2024-01-01T10:00:00Z\n", {"at": "2024-01-01T10:00:00Z"}, id="timestamp stays a string"),
        pytest.param("at: !!timestamp 2024-01-01\n", {"at": "2024-01-01"}, id="explicit timestamp stays a string"),
        pytest.param("2024-01-01: new\n", {"2024-01-01": "new"}, id="date key is a string"),
        pytest.param(
            "a: 0x1F\nb: 1_000\nc: .inf\nd: ~\ne: yes\nf: !!str 80\ng: '80'\n",
            {"a": 31, "b": 1000, "c": float("inf"), "d": None, "e": True, "f": "80", "g": "80"},
            id="YAML 1.1 scalars as SafeLoader reads them",
        ),
        pytest.param(
            "base: &base {cpu: 256, memory: 512}\nweb:\n  <<: *base\n  memory: 1024\n",
            {"base": {"cpu": 256, "memory": 512}, "web": {"cpu": 256, "memory": 1024}},
            id="merge key, own keys win",
        ),
        pytest.param(
            "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n",
            {"a": {"x": 1, "y": 1}, "b": {"y": 2, "z": 2}, "c": {"x": 1, "y": 1, "z": 2}},
            id="merge list, earlier source wins",
        ),
        pytest.param(
            "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n",
            {"a": {"x": 1}, "b": {"x": 1, "y": 2}, "c": {"x": 1, "y": 2, "z": 3}},
            id="nested merge",
        ),
        pytest.param("img: &img nginx\nimage: *img\n", {"img": "nginx", "image": "nginx"}, id="plain alias"),
    ],
)
def test_values(text: str, body: object) -> None:
    documents, errors = load(text)
    assert errors == []
    assert documents[0].body == body


def test_merged_fields_point_at_their_source_lines() -> None:
    documents, errors = load("base: &base\n  cpu: 256\n  memory: 512\nweb:\n  <<: *base\n  memory: 1024\n")
    assert errors == []
    assert documents[0].lines["web.cpu"] == 2
    assert documents[0].lines["web.memory"] == 6


def test_aliased_values_are_independent_copies() -> None:
    documents, _ = load("a: &a {x: [1]}\nb: *a\n")
    body = documents[0].body
    body["b"]["x"].append(2)
    assert body["a"] == {"x": [1]}


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# just a comment\n", "---\n", "---\n# comment\n---\n...\n"],
    ids=["empty", "blank lines", "comment", "bare marker", "several empty documents"],
)
def test_empty_files_and_documents_yield_nothing(text: str) -> None:
    assert load(text) == ([], [])


# ---------------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message", "line", "field"),
    [
        pytest.param("a: [1, 2\nb: 3\n", "expected ',' or ']'", 2, None, id="syntax error"),
        pytest.param("a: 1\n  b: 2\n", "mapping values are not allowed", 2, None, id="bad indent"),
        pytest.param("a: *nope\n", "undefined alias", 1, None, id="undefined alias"),
        pytest.param("a: b\x00\n", "unacceptable character #x0000", 1, None, id="control character"),
        pytest.param("- a\n- b\n", "document is not a mapping", 1, None, id="list document"),
        pytest.param("---\njust text\n", "document is not a mapping", 2, None, id="scalar document"),
        pytest.param("a: 1\nb:\n  c: 1\n  c: 2\n", "duplicate key 'c' (first at line 3)", 4, "b.c", id="duplicate key"),
        pytest.param("<<: {a: 1}\n<<: {b: 1}\n", "duplicate key '<<'", 2, None, id="duplicate merge key"),
        pytest.param("a: {? [1, 2]: x}\n", "mapping key is not a scalar", 1, "a", id="sequence key"),
        pytest.param("ports:\n  80: web\n", "mapping key '80' is read as int, not a string", 2, "ports", id="int key"),
        pytest.param("yes: 1\n", "mapping key 'yes' is read as bool, not a string", 1, None, id="bool key"),
        pytest.param(
            "x: !!python/object/apply:os.system ['true']\n",
            "tag !!python/object/apply:os.system is not allowed",
            1,
            "x",
            id="python apply",
        ),
        pytest.param(
            "a: 1\nx: !!python/object:os.Foo {a: 1}\n", "tag !!python/object:os.Foo is not allowed", 2, "x", id="object"
        ),
        pytest.param("x: !!python/name:os.system\n", "tag !!python/name:os.system is not allowed", 1, "x", id="name"),
        pytest.param("x: !!binary aGVsbG8=\n", "tag !!binary is not allowed", 1, "x", id="binary"),
        pytest.param("x: !!set {a, b}\n", "tag !!set is not allowed", 1, "x", id="set"),
        pytest.param("x: !!omap [{a: 1}]\n", "tag !!omap is not allowed", 1, "x", id="omap"),
        pytest.param("a: 1\nx: !Ref Bucket\n", "tag !Ref is not allowed", 2, "x", id="local tag"),
        pytest.param("x: !!str [a]\n", "tag !!str is not allowed on a sequence", 1, "x", id="misplaced str"),
        pytest.param("x: !!int abc\n", "'abc' is not a valid int", 1, "x", id="bad int"),
        pytest.param("a: 1\nb:\n  - <<: 3\n", "a merge key '<<' takes a mapping", 3, "b[0]", id="bad merge"),
        pytest.param("a: &a [*a]\n", "recursive alias", 1, None, id="recursive alias"),
        pytest.param("a: &a {<<: *a}\n", "recursive alias", 1, None, id="recursive merge"),
    ],
)
def test_errors_name_file_line_and_field(text: str, message: str, line: int, field: str | None) -> None:
    documents, errors = load(text)

    assert documents == []
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.file, error.line, error.field) == ("apps/web.yaml", line, field)
    assert message in error.message
    assert str(error).startswith(f"apps/web.yaml:{line}: ")


def test_a_bad_document_does_not_hide_the_good_ones() -> None:
    documents, errors = load("kind: A\n---\na: 1\na: 2\n---\nkind: B\n---\nkind: [\n---\nkind: D\n")

    assert [d.body["kind"] for d in documents] == ["A", "B"]
    assert [e.line for e in errors] == [4, 9]
    assert errors[0].message == "duplicate key 'a' (first at line 3)"
    assert errors[1].message.startswith("invalid YAML: ")


def test_python_tags_never_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    calls: list[object] = []

    def system(*args: object) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(os, "system", system)
    text = f"""\
a: !!python/object/apply:os.system ["touch {marker}"]
b: !!python/object/apply:subprocess.check_call [["touch", "{marker}"]]
c: !!python/object/new:subprocess.Popen [["touch", "{marker}"]]
"""
    documents, errors = load(text)

    assert documents == []
    assert len(errors) == 3
    assert all("is not allowed" in e.message for e in errors)
    assert calls == []
    assert not marker.exists()


def test_billion_laughs_is_refused_by_the_node_limit() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")

    documents, errors = load("\n".join(lines) + "\n")

    assert documents == []
    assert len(errors) == 1
    assert "too many nodes (alias bomb?)" in errors[0].message


def test_max_nodes_counts_alias_expansions() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"
    assert load(text, max_nodes=100)[1] == []
    errors = load(text, max_nodes=20)[1]
    assert len(errors) == 1 and "too many nodes" in errors[0].message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("a:\n  b:\n    c:\n      d: 1\n", 4, id="written nesting"),
        pytest.param("a: [[[[1]]]]\n", 1, id="flow nesting"),
        pytest.param("a: &deep {b: {c: 1}}\nx: {y: {z: *deep}}\n", 1, id="nesting through an alias"),
    ],
)
def test_nesting_beyond_max_depth_is_refused(text: str, line: int) -> None:
    documents, errors = load(text, max_depth=4)
    assert documents == []
    assert len(errors) == 1
    assert "nesting deeper than 4 levels" in errors[0].message
    assert errors[0].line == line


def test_very_deep_nesting_does_not_crash() -> None:
    documents, errors = load("a: " + "[" * 200_000)
    assert documents == []
    assert len(errors) == 1
    # PyYAML's parser stops at our limit; libyaml's own (1000 levels) may stop it first
    assert "nesting deeper than 64 levels" in errors[0].message or "maximum nesting depth" in errors[0].message


@pytest.mark.parametrize(
    ("data", "offset", "line"),
    [
        pytest.param(b"kind: Service\nname: caf\xe9\n", 23, 2, id="latin-1"),
        pytest.param(b"\xff\xfek\x00i\x00", 0, 1, id="utf-16"),
    ],
)
def test_non_utf8_names_the_byte_offset_and_line(data: bytes, offset: int, line: int) -> None:
    documents, errors = load(data)
    assert documents == []
    assert [(e.message, e.line) for e in errors] == [(f"not valid UTF-8 at byte offset {offset}", line)]


def test_utf8_bom_is_accepted() -> None:
    documents, errors = load("\ufeffkind: Service\n".encode())
    assert errors == [] and documents[0].body == {"kind": "Service"}


def test_load_text_refuses_a_too_large_text() -> None:
    errors = load("a: 1234567890\n", max_file_bytes=10)[1]
    assert [e.message for e in errors] == ["file is 14 bytes, larger than the limit of 10 bytes"]


# ------------------------------------------------------------------------------------------------------------ tree


def test_tree_is_read_recursively_sorted_and_skips_hidden_and_other_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "b.yaml": "kind: B\n",
            "a/z.yml": "kind: AZ\n---\nkind: AZ2\n",
            "a-b.yaml": "kind: AB\n",
            "a/c/d.yaml": "kind: ACD\n",
            "README.md": "kind: nope\n",
            "notes.txt": "kind: nope\n",
            ".hidden.yaml": "kind: nope\n",
            ".git/config.yaml": "kind: nope\n",
            "a/.cache/x.yaml": "kind: nope\n",
            "empty.yaml": "",
        },
    )

    documents, errors = load_tree(tmp_path)

    assert errors == []
    assert [(d.file, d.index, d.body["kind"]) for d in documents] == [
        ("a-b.yaml", 0, "AB"),
        ("a/c/d.yaml", 0, "ACD"),
        ("a/z.yml", 0, "AZ"),
        ("a/z.yml", 1, "AZ2"),
        ("b.yaml", 0, "B"),
    ]


def test_root_inside_a_hidden_directory_is_read(tmp_path: Path) -> None:
    root = tmp_path / "repo" / ".worktrees" / "abc123"
    write(root, {"apps/web.yaml": "kind: Service\n", "apps/.draft.yaml": "kind: Draft\n"})
    (tmp_path / "current").symlink_to(root)

    for path in (root, tmp_path / "current", str(root)):
        documents, errors = load_tree(path)
        assert errors == []
        assert [(d.file, d.body) for d in documents] == [("apps/web.yaml", {"kind": "Service"})]


def test_errors_from_several_files_are_all_collected(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": "kind: A\n",
            "b.yaml": "x: 1\nx: 2\n",
            "c/d.yaml": b"kind: \xff\n",
            "e.yaml": "- 1\n",
            "f.yaml": "kind: F\n",
        },
    )

    documents, errors = load_tree(tmp_path)

    assert [d.file for d in documents] == ["a.yaml", "f.yaml"]
    assert [str(e) for e in errors] == [
        "b.yaml:2: x: duplicate key 'x' (first at line 1)",
        "c/d.yaml:1: not valid UTF-8 at byte offset 6",
        "e.yaml:1: document is not a mapping",
    ]


def test_too_large_file_is_refused_with_size_and_limit(tmp_path: Path) -> None:
    write(tmp_path, {"big.yaml": "kind: " + "x" * 200 + "\n", "small.yaml": "kind: S\n"})

    documents, errors = load_tree(tmp_path, limits=Limits(max_file_bytes=100))

    assert [d.file for d in documents] == ["small.yaml"]
    assert [str(e) for e in errors] == ["big.yaml: file is 207 bytes, larger than the limit of 100 bytes"]


def test_too_large_tree_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {f"{i}.yaml": "kind: " + "x" * 50 + "\n" for i in range(5)})

    documents, errors = load_tree(tmp_path, limits=Limits(max_total_bytes=200))

    assert documents == []
    assert len(errors) == 1
    assert errors[0].file == "3.yaml"
    assert "manifest tree is larger than the limit of 200 bytes" in errors[0].message


def test_too_many_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {f"d{i}/m.yaml": "kind: X\n" for i in range(4)})

    documents, errors = load_tree(tmp_path, limits=Limits(max_files=3))

    assert documents == []
    assert [str(e) for e in errors] == [".: more than 3 manifest files under the root"]


def test_symlinks_outside_the_tree_are_errors(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, {"secret.yaml": "kind: Secret\n", "dir/x.yaml": "kind: X\n"})
    root = tmp_path / "root"
    write(root, {"ok.yaml": "kind: Ok\n"})
    (root / "leak.yaml").symlink_to(outside / "secret.yaml")
    (root / "apps").mkdir()
    (root / "apps" / "linked").symlink_to(outside / "dir")
    (root / "apps" / "passwd").symlink_to("/etc/passwd")  # not a manifest name: ignored

    documents, errors = load_tree(root)

    assert [d.file for d in documents] == ["ok.yaml"]
    assert [(e.file, e.line) for e in errors] == [("apps/linked", None), ("leak.yaml", None)]
    assert all("points outside the manifest tree" in e.message for e in errors)


def test_symlinks_inside_the_tree_are_followed_without_loops(tmp_path: Path) -> None:
    write(tmp_path, {"base/web.yaml": "kind: Web\n", ".shared/db.yaml": "kind: Db\n"})
    (tmp_path / "base" / "again").symlink_to(tmp_path / "base")  # a loop
    (tmp_path / "base" / "up").symlink_to("..")  # another loop, relative
    (tmp_path / "prod").symlink_to("base")  # same files as base: read once
    (tmp_path / "shared").symlink_to(".shared")  # a hidden directory reached through a visible link
    (tmp_path / "web-link.yaml").symlink_to("base/web.yaml")
    (tmp_path / "dangling.yaml").symlink_to("nowhere.yaml")

    documents, errors = load_tree(tmp_path)

    assert [(d.file, d.body["kind"]) for d in documents] == [("base/web.yaml", "Web"), ("shared/db.yaml", "Db")]
    assert [str(e) for e in errors] == ["dangling.yaml: broken symlink"]


def test_file_vanishing_between_listing_and_reading_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.yaml": "kind: A\n", "b.yaml": "kind: B\n"})
    list_files = loader._list_files

    def list_then_delete(*args: object, **kwargs: object) -> object:
        listed = list_files(*args, **kwargs)  # type: ignore[arg-type]
        (tmp_path / "b.yaml").unlink()
        return listed

    monkeypatch.setattr(loader, "_list_files", list_then_delete)

    with pytest.raises(FileVanished) as caught:
        load_tree(tmp_path)
    assert caught.value.file == "b.yaml"


def test_missing_root_raises_file_vanished(tmp_path: Path) -> None:
    with pytest.raises(FileVanished):
        load_tree(tmp_path / "gone")


def test_root_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": "kind: X\n"})
    documents, errors = load_tree(tmp_path / "m.yaml")
    assert documents == []
    assert len(errors) == 1 and "is not a directory" in errors[0].message


def test_fifo_named_like_a_manifest_does_not_block(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "pipe.yaml")
    documents, errors = load_tree(tmp_path)
    assert documents == []
    assert [str(e) for e in errors] == ["pipe.yaml: not a regular file"]


# --- YAML 1.1 scalars keep their text ----------------------------------------------------------------------------


def test_numbers_and_booleans_remember_their_text_as_written() -> None:
    docs, errors = load(
        "spec:\n  mode: 0755\n  time: 1:20\n  version: 1.10\n  flag: yes\n  cpu: 256\n  name: web\n  none: ~\n"
        "  args: [on, 0x1F, .inf]\n"
    )
    assert errors == []
    assert docs[0].body["spec"]["mode"] == 493  # the parsed value is YAML 1.1's, as before
    assert dict(docs[0].sources) == {
        "spec.mode": "0755",
        "spec.time": "1:20",
        "spec.version": "1.10",
        "spec.flag": "yes",
        "spec.cpu": "256",
        "spec.args[0]": "on",
        "spec.args[1]": "0x1F",
        "spec.args[2]": ".inf",
    }


def test_with_source_text_hands_the_written_text_to_each_container() -> None:
    docs, _ = load("spec:\n  labels: {mode: 0755, team: ops}\n  command: [sleep, 1.10, yes]\n")
    spec = loader.with_source_text(docs[0].body["spec"], docs[0].sources, path="spec")
    assert spec == docs[0].body["spec"]
    assert loader.source_text(spec["labels"], "mode") == "0755"
    assert loader.source_text(spec["labels"], "team") is None  # a string needs no memory
    assert [loader.source_text(spec["command"], i) for i in range(3)] == [None, "1.10", "yes"]
    assert loader.source_text({"mode": 493}, "mode") is None  # plain data carries nothing


def test_a_var_file_keeps_its_values_as_written(tmp_path: Path) -> None:
    from reconciler.core.manifests import load_var_file

    (tmp_path / "vars.yaml").write_text("VERSION: 1.10\nMODE: 0755\nDEBUG: yes\nPORT: 8080\nNAME: web\n")
    values = load_var_file(tmp_path / "vars.yaml").values
    assert values == {"VERSION": "1.10", "MODE": "0755", "DEBUG": "yes", "PORT": "8080", "NAME": "web"}


# --- the parse cache ---------------------------------------------------------------------------------------------

TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: NAME}
spec:
  cpu: "256"
  memroy: "512"
  containerDefinitions:
    - {name: app, image: nginx}
"""


def test_errors_keep_their_lines_when_files_laid_out_alike_are_read_again_from_the_cache(tmp_path: Path) -> None:
    from reconciler.core.errors import InvalidManifests
    from reconciler.core.manifests import resources_from
    from reconciler.kinds import KINDS

    write(
        tmp_path,
        {
            "a.yaml": TASK.replace("NAME", "a"),
            "b.yaml": "# owned by the web team\n\n" + TASK.replace("NAME", "b"),  # the same layout, 2 lines lower
            "c.yaml": TASK.replace("NAME", "c").replace('  cpu: "256"\n', '  cpu: "256"\n\n\n'),  # 2 lines more inside
        },
    )

    def located() -> list[tuple[str, int | None, str | None]]:
        documents, errors = load_tree(tmp_path, cache=cache)
        assert errors == []
        with pytest.raises(InvalidManifests) as raised:
            resources_from(documents, errors, KINDS)
        return [(e.file, e.line, e.field) for e in raised.value.errors]

    cache: loader.ParseCache = {}
    first = located()
    assert first == [("a.yaml", 6, "spec.memroy"), ("b.yaml", 8, "spec.memroy"), ("c.yaml", 8, "spec.memroy")]
    cached = [document for documents, _ in cache.values() for document in documents]
    assert located() == first  # read again: every document comes from the cache
    assert [document for documents, _ in cache.values() for document in documents] == cached
    (tmp_path / "a.yaml").write_text("\n" + TASK.replace("NAME", "a"))  # changed: parsed again, one line lower
    assert located() == [("a.yaml", 7, "spec.memroy"), *first[1:]]


def test_parsing_the_same_text_again_gives_equal_documents_with_equal_lines() -> None:
    text = TASK.replace("NAME", "web") + "---\n" + "\n" + TASK.replace("NAME", "api")
    first, _ = load(text)
    again, _ = load(text)
    assert first == again and first[0] is not again[0]
    assert [dict(d.lines) for d in first] == [dict(d.lines) for d in again]
    web, api = first
    assert web.lines != api.lines  # the same fields, 10 lines apart
    assert {path: line + 10 for path, line in web.lines.items()} == dict(api.lines)
    assert api.line_of("spec.containerDefinitions[0].image") == 18
    assert api.line_of("spec.containerDefinitions[0].cpu") == 18  # not written: the nearest ancestor's line


def test_the_cache_keeps_an_unchanged_files_entry_and_lets_a_removed_file_go(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": TASK.replace("NAME", "a"), "b.yaml": TASK.replace("NAME", "b")})
    cache: loader.ParseCache = {}
    load_tree(tmp_path, cache=cache)
    ((key_a, entry_a),) = [(k, v) for k, v in cache.items() if k[0] == "a.yaml"]
    (tmp_path / "b.yaml").unlink()
    documents, _ = load_tree(tmp_path, cache=cache)
    assert [d.file for d in documents] == ["a.yaml"]
    assert list(cache) == [key_a] and next(iter(cache)) is key_a and cache[key_a] is entry_a
