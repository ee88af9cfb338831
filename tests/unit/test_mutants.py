"""The mutation catalogue stays true to the code, and its runner kills, names survivors and
leaves the tree as it found it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import mutants  # noqa: E402
from mutants_catalogue import CATALOGUE, Mutant  # noqa: E402


@pytest.mark.parametrize("mutant", CATALOGUE, ids=lambda m: m.name)
def test_each_mutant_changes_exactly_one_place_of_a_file_that_exists(mutant: Mutant) -> None:
    assert (ROOT / mutant.path).read_text().count(mutant.old) == 1
    assert mutant.old != mutant.new


@pytest.mark.parametrize("mutant", CATALOGUE, ids=lambda m: m.name)
def test_each_mutant_names_tests_that_exist(mutant: Mutant) -> None:
    for arg in mutant.tests:
        if not arg.startswith("tests/"):
            continue
        path, _, name = arg.partition("::")
        assert (ROOT / path).is_file(), arg
        if name:
            function = name.partition("[")[0]
            assert f"def {function}(" in (ROOT / path).read_text(), arg


def test_the_catalogue_covers_the_issues_21_and_every_new_guard() -> None:
    names = [m.name for m in CATALOGUE]
    assert len(names) == len(set(names))
    assert len(CATALOGUE) >= 21 + 10


def test_the_runner_kills_names_survivors_and_leaves_the_tree_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "shared").mkdir(parents=True)
    (source / "shared" / "__init__.py").write_text("")
    guard = source / "shared" / "guard.py"
    guard.write_text("def allowed(tenant: str) -> bool:\n    return tenant == 'contoso'\n")
    (source / "tests").mkdir()
    (source / "tests" / "test_guard.py").write_text(
        "from shared.guard import allowed\n\n\n"
        "def test_another_tenant_is_refused() -> None:\n    assert not allowed('fabrikam')\n\n\n"
        "def test_nothing() -> None:\n    assert True\n"
    )
    before = guard.read_text()
    caught = Mutant(
        "caught", "shared/guard.py", "tenant == 'contoso'", "True", ("tests/test_guard.py",)
    )
    missed = Mutant(
        "missed",
        "shared/guard.py",
        "tenant == 'contoso'",
        "True",
        ("tests/test_guard.py::test_nothing",),
    )
    stale = Mutant("stale", "shared/guard.py", "no such text", "x", ("tests/test_guard.py",))
    verdicts = mutants.run([caught, missed, stale], source)
    assert [(v.mutant.name, v.outcome) for v in verdicts] == [
        ("caught", "killed"),
        ("missed", "survived"),
        ("stale", "error"),
    ]
    assert guard.read_text() == before
    assert sorted(p.name for p in source.rglob("*") if p.is_file()) == [
        "__init__.py",
        "guard.py",
        "test_guard.py",
    ]
