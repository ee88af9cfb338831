"""A command is declared once, on its model; a declaration that disagrees fails at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.contracts.commands import COMMANDS, INTERNAL_COMMANDS, Command, ItemCreate, ItemDelete
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS, handler_table, handles, items

ROOT = Path(__file__).resolve().parents[2]


def test_every_model_is_registered_under_its_own_type() -> None:
    assert COMMANDS
    for command_type, model in COMMANDS.items():
        assert command_type == model.TYPE
        assert issubclass(model, Command)
    assert {t for t, model in COMMANDS.items() if model.INTERNAL} == INTERNAL_COMMANDS


def test_every_command_has_exactly_the_handler_keyed_by_its_model() -> None:
    assert set(HANDLERS) == set(COMMANDS.values())


def test_a_command_without_a_type_fails_when_it_is_defined() -> None:
    with pytest.raises(TypeError, match="declares no TYPE"):

        class Untyped(Command):
            def order_key(self) -> str:
                return "x"


def test_a_command_inheriting_another_commands_type_fails() -> None:
    with pytest.raises(TypeError, match="declares no TYPE"):

        class Copy(ItemDelete):
            pass


def test_a_command_without_an_order_key_fails_when_it_is_defined() -> None:
    with pytest.raises(TypeError, match="declares no order_key"):

        class Unordered(Command):
            TYPE = "test.unordered"


def test_two_commands_with_one_type_fail_when_the_second_is_defined() -> None:
    with pytest.raises(TypeError, match=r"takes the type 'item\.create'"):

        class Twin(Command):
            TYPE = "item.create"

            def order_key(self) -> str:
                return "x"

    assert COMMANDS["item.create"] is ItemCreate


def test_a_handler_keyed_by_a_model_it_does_not_take_fails() -> None:
    with pytest.raises(TypeError, match="takes ItemDelete, not ItemCreate"):
        handles(ItemCreate, items.delete_item)  # type: ignore[arg-type]


def test_a_handler_table_missing_a_command_fails() -> None:
    entries = [(model, handler) for model, handler in HANDLERS.items() if model is not ItemDelete]
    with pytest.raises(TypeError, match=r"no handler for item\.delete"):
        handler_table(*entries)


def test_a_handler_table_with_two_handlers_for_one_model_fails() -> None:
    async def other(cmd: ItemCreate, ctx: HandlerContext) -> Outcome:
        return Outcome()

    entries = [*HANDLERS.items(), handles(ItemCreate, other)]
    with pytest.raises(TypeError, match="two handlers"):
        handler_table(*entries)


@pytest.mark.slow
def test_a_handler_keyed_by_a_model_it_does_not_take_is_a_type_error(tmp_path: Path) -> None:
    source = tmp_path / "mismatch.py"
    source.write_text(
        textwrap.dedent(
            """
            from shared.contracts.commands import ItemCreate, ItemDelete
            from workers.handlers import handles, items

            handles(ItemDelete, items.delete_item)
            handles(ItemCreate, items.delete_item)
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(source),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    assert "mismatch.py:6:" in errors[0] and "arg-type" in errors[0]
