"""`registry backup` and `registry restore`: the store's files, without opening the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registry.cli.common import DataOpt, fail, report_error, settings_of
from registry.errors import RegistryError
from registry.store.backup import backup, restore

app = typer.Typer()


@app.command("backup")
def backup_cmd(
    target: Annotated[Path, typer.Argument(help="a new folder for the backup")],
    data: DataOpt = None,
) -> None:
    """Back up the store to a new folder (consistent, and safe while the server runs)."""
    try:
        n = backup(Path(settings_of(data).data), target)
    except RegistryError as e:
        report_error(e)
        return
    except OSError as e:
        fail(f"cannot back up: {e}")
    typer.echo(f"backed up {n} quads to {target}", err=True)


@app.command("restore")
def restore_cmd(
    source: Annotated[Path, typer.Argument(help="a folder made by `registry backup`")],
    data: DataOpt = None,
    force: Annotated[bool, typer.Option(help="replace the store that is there")] = False,
) -> None:
    """Replace the store by a backup (the server must be stopped)."""
    try:
        n = restore(source, Path(settings_of(data).data), force=force)
    except RegistryError as e:
        report_error(e)
        return
    typer.echo(f"restored {n} quads from {source}", err=True)

