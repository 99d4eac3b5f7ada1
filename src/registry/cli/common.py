"""What the `registry` commands share: the --data option, the settings it names, failing and reporting errors.
Cheap to import (no store, no services): `opening` opens the registry for the commands that need it."""

from __future__ import annotations

from typing import Annotated

import typer

from registry.config import Settings
from registry.errors import RegistryError, ValidationFailed

DataOpt = Annotated[str | None, typer.Option("--data", help="store folder (default: REGISTRY_DATA or ./var/registry)")]


def settings_of(data: str | None) -> Settings:
    return Settings(data=data) if data else Settings()


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def report_error(e: RegistryError) -> None:
    typer.echo(f"error: {e.detail}", err=True)
    if isinstance(e, ValidationFailed):
        for v in e.violations:
            where = v.field or v.path or ""
            typer.echo(f"  - {v.severity}: {v.focus_node} {where}: {v.message}"
                       + (f" (value: {v.value})" if v.value else ""), err=True)
    raise typer.Exit(1)
