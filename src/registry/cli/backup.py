"""`registry backup` and `registry restore`: the store's files, without opening the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registry.cli.common import DataOpt, fail, report_error, settings_of
from registry.errors import RegistryError
from registry.projections import kept_file, lineage_file, register_file, views
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
    folder = Path(settings_of(data).data)
    try:
        n = restore(source, folder, force=force)
    except RegistryError as e:
        report_error(e)
        return
    forget_kept(folder)
    typer.echo(f"restored {n} quads from {source}", err=True)


def forget_kept(folder: Path) -> None:
    """Drop what the projections kept beside the store replaced in `folder` (the lineage graph, the register's
    facts, the SPARQL views): it describes that store, so a start would not use it (another store's identity,
    or an audit position the restored log does not continue from), but it is stale, and the officer view and
    the register's facts hold restricted data of the replaced store; the next start builds it anew from the
    restored store. (`restore` drops the catalogue index's file itself.)"""
    lineage_file.forget(kept_file.named(folder, lineage_file.SUFFIX))
    register_file.forget(kept_file.named(folder, register_file.SUFFIX))
    views.forget(folder)
