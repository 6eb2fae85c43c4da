"""Packaging: a plain install has no AWS emulator dependencies; the `embedded` extra brings them, and asking a plain
install for the emulator says how to install it instead of failing with a traceback."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement

WITHOUT_MOTO = textwrap.dedent(
    """
    import importlib.abc, runpy, sys

    class NoMoto(importlib.abc.MetaPathFinder):
        "What a plain install looks like: moto is not there."

        def find_spec(self, name, path=None, target=None):
            if name == "moto" or name.startswith("moto."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoMoto())
    """
)
"""Python source that makes moto unimportable in the interpreter that runs it."""


def run_without_moto(code: str, *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_MOTO + textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_cli_without_moto(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m reconciler ARGS`` with moto unimportable."""
    return run_without_moto(
        f"sys.argv = ['reconciler', *{list(args)!r}]\nrunpy.run_module('reconciler', run_name='__main__')"
    )


@pytest.mark.slow
def test_the_wheel_requires_moto_only_through_the_embedded_extra(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "reconciler", source / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("ecs_reconciler-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        shipped = set(archive.namelist())
    # `ecs-reconciler demo` runs the example from an installed wheel: the manifests are inside it.
    examples = {p.name for p in (ROOT / "reconciler" / "examples" / "manifests").glob("*.yaml")}
    assert examples and {f"reconciler/examples/manifests/{name}" for name in examples} <= shipped
    # Their modeline names the editor schemas beside them.
    schemas = {p.name for p in (ROOT / "reconciler" / "examples" / "schemas").glob("*.json")}
    assert schemas and {f"reconciler/examples/schemas/{name}" for name in schemas} <= shipped
    templates = {p.name for p in (ROOT / "reconciler" / "console" / "templates").glob("*.html")}
    assert templates and {f"reconciler/console/templates/{name}" for name in templates} <= shipped
    assert metadata["License-Expression"] == "MIT"
    assert any(c.startswith("Programming Language :: Python :: 3") for c in metadata.get_all("Classifier") or [])
    requirements = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]

    plain = [r.name for r in requirements if r.marker is None]
    assert "boto3" in plain
    assert "moto" not in plain
    (moto,) = [r for r in requirements if r.name == "moto"]
    assert moto.marker is not None and moto.marker.evaluate({"extra": "embedded"})
    assert not moto.marker.evaluate({"extra": "test"}) and not moto.marker.evaluate({"extra": ""})
    assert moto.extras == {"server"}
    assert [s.operator for s in moto.specifier] == ["=="], "moto's internals are patched: one release, tested"
    test_extra = [r for r in requirements if r.marker is not None and r.marker.evaluate({"extra": "test"})]
    assert any(r.name == "ecs-reconciler" and r.extras == {"embedded"} for r in test_extra)
    assert "embedded" in (metadata.get_all("Provides-Extra") or [])


@pytest.mark.parametrize(
    "args",
    [("plan", "manifests", "--embedded-aws"), ("demo", "manifests")],
    ids=["plan --embedded-aws", "demo"],
)
def test_without_moto_the_emulator_commands_name_the_install_command(args: tuple[str, ...]) -> None:
    result = run_cli_without_moto(*args)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "pip install 'ecs-reconciler[embedded] @ git+https://" in result.stderr
    assert "in a clone: pip install -e '.[embedded]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_moto_the_commands_that_need_no_emulator_still_work() -> None:
    result = run_cli_without_moto("validate", "manifests")

    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_outside_the_emulator_imports_moto() -> None:
    result = run_without_moto(
        """
        import importlib, pkgutil, reconciler

        def import_all(package):
            for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
                if info.name != "reconciler.emulator" and not info.name.endswith(".__main__"):
                    module = importlib.import_module(info.name)
                    if info.ispkg:
                        import_all(module)

        import_all(reconciler)
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("moto", "flask", "werkzeug")))
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
