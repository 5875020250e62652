"""Every command of the real parser says what it does, and every option says what it is."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from paycore.adapters.cli.main import build_parser


def commands(
    parser: argparse.ArgumentParser, name: str = "paycore"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from commands(sub, f"{name} {sub_name}")


def gaps() -> list[str]:
    found = []
    for name, parser in commands(build_parser()):
        if not (parser.description or "").strip():
            found.append(f"{name}: no description")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += [
                    f"{name} {choice.dest}: no help"
                    for choice in action._choices_actions
                    if not (choice.help or "").strip()
                ]
            elif not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                found.append(f"{name} {'/'.join(action.option_strings) or action.dest}: no help")
    return found


def test_every_command_has_a_description_and_every_option_a_help_text() -> None:
    assert gaps() == []


def test_the_walk_reaches_every_command() -> None:
    names = {name for name, _ in commands(build_parser())}
    assert {"paycore audit trail", "paycore sandbox trigger", "paycore views show"} <= names


def test_demo_help_is_a_description_not_a_docstring() -> None:
    demo = dict(commands(build_parser()))["paycore demo"]
    assert demo.description is not None
    assert "``" not in demo.description
    assert ":func:" not in demo.description
