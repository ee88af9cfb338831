"""`with_option_groups`: options declared once in a dataclass, shown and passed as a group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer
from typer.testing import CliRunner

from cli.option_groups import with_option_groups

Colour = Annotated[str, typer.Option(help="A colour.")]
Size = Annotated[int, typer.Option(min=1, help="A size.")]


@dataclass(frozen=True)
class Shape:
    colour: Colour = "red"
    size: Size = 1


received: list[tuple[str, Shape, bool]] = []


def draw(
    *,
    name: Annotated[str, typer.Argument(help="A name.")],
    shape: Shape,
    filled: Annotated[bool, typer.Option("--filled", help="Filled.")] = False,
) -> None:
    received.append((name, shape, filled))


app = typer.Typer()
app.command()(with_option_groups(draw))
app.command("other")(lambda: None)


def test_a_group_s_fields_are_options_in_its_place() -> None:
    result = CliRunner().invoke(app, ["draw", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    shown = [word for word in result.output.split() if word.startswith("--")]
    assert shown[:3] == ["--colour", "--size", "--filled"]


def test_the_command_receives_the_group_built_from_the_options() -> None:
    received.clear()
    result = CliRunner().invoke(app, ["draw", "box", "--size", "3", "--filled"])
    assert result.exit_code == 0, result.output
    assert received == [("box", Shape(colour="red", size=3), True)]


def test_a_group_s_options_keep_their_checks() -> None:
    result = CliRunner().invoke(app, ["draw", "box", "--size", "0"])
    assert result.exit_code == 2
