"""The `registry` command line (Typer).

The commands live in modules by what they need: `serve` (the web stack), `records` (the registry over the
store), `tokens` (the server's control channel or the store), `backup` (the store's files), `ontology` (the
reasoner). `COMMANDS` names each command's module, and a command's module is imported when that command
runs (or `--help` lists them all), so `registry load` does not import FastAPI and every router, nor
`registry ontology check` the store."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from functools import cache
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperGroup

#: each command (or group of commands) by the module that defines it on its `app`, in the order --help lists them
COMMANDS = {
    "serve": "registry.cli.serve",
    "load": "registry.cli.records",
    "validate": "registry.cli.records",
    "check-share": "registry.cli.records",
    "backup": "registry.cli.backup",
    "restore": "registry.cli.backup",
    "export": "registry.cli.records",
    "demo": "registry.cli.records",
    "import-catalog": "registry.cli.records",
    "token": "registry.cli.tokens",
    "audit": "registry.cli.records",
    "disposals": "registry.cli.records",
    "ontology": "registry.cli.ontology",
}


@cache
def module_commands(module: str) -> dict[str, click.Command]:
    """The click commands a command module's Typer `app` defines, by name."""
    return dict(typer.main.get_group(importlib.import_module(module).app).commands)


class ByModule(MutableMapping[str, click.Command]):
    """The root's commands by name: those of `COMMANDS` read from their modules when first asked for, and any
    added to the group itself."""

    def __init__(self, added: Mapping[str, click.Command]) -> None:
        self.added = dict(added)

    def __getitem__(self, name: str) -> click.Command:
        return module_commands(COMMANDS[name])[name] if name in COMMANDS else self.added[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.added[name] = command

    def __delitem__(self, name: str) -> None:
        del self.added[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMANDS, *(n for n in self.added if n not in COMMANDS)])

    def __len__(self) -> int:
        return len(list(iter(self)))


class Commands(TyperGroup):
    """The root group: its commands are read from their modules (`COMMANDS`) when asked for by name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = ByModule(self.commands)


app = typer.Typer(cls=Commands, help="A registry of government datasets, lineage, data-sharing agreements and legal "
                  "basis.", no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def root() -> None:
    """A registry of government datasets, lineage, data-sharing agreements and legal basis."""


def main() -> None:
    app()
