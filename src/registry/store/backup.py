"""Backups of the embedded store: a consistent RocksDB checkpoint, taken even while a server runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox

from registry.errors import BadInput, Conflict
from registry.store.oxigraph import open_database


def backup(data: Path, target: Path) -> int:
    """Copy the store in `data` to `target` (which must not exist yet); returns the number of quads.

    A store nobody holds is copied as a RocksDB checkpoint (fast: files are linked, not copied). A store a
    running server holds is opened read-only and copied quad by quad from one snapshot, so the server
    keeps serving and the copy holds every write committed when the backup began, whole: a checkpoint
    of a read-only instance would leave out the writes still in the server's write-ahead log (those
    not yet flushed to table files), that is, the most recent ones."""
    if not data.is_dir():
        raise BadInput(f"no store in {data}")
    if target.exists():
        raise Conflict(f"{target} exists already: back up to a new folder")
    source, read_only = open_database(data, read_only_fallback=True)  # read-only while a server runs
    if not read_only:
        source.backup(str(target))
        del source
    else:
        copy = ox.Store(str(target))
        try:
            copy.bulk_extend(iter(source))
            copy.flush()
        except BaseException:
            del copy
            shutil.rmtree(target, ignore_errors=True)
            raise
        del copy, source
    return len(ox.Store.read_only(str(target)))


def restore(source: Path, data: Path, *, force: bool = False) -> int:
    """Replace the store in `data` by the backup in `source`; returns the number of quads.
    Refuses while a server holds the store open, and unless `force` when a store is there."""
    if not source.is_dir():
        raise BadInput(f"no backup in {source}")
    try:
        quads = len(ox.Store.read_only(str(source)))
    except OSError as e:
        raise BadInput(f"{source} is not a store backup: {e}") from None
    if data.exists() and any(data.iterdir()):
        if not force:
            raise Conflict(f"{data} holds a store already: pass --force to replace it")
        try:
            live, _ = open_database(data)  # takes the lock: fails while a server runs
            del live
        except OSError as e:
            raise Conflict(f"the store in {data} is in use (stop the server first): {e}") from None
    staging = data.with_name(data.name + ".restoring")
    old = data.with_name(data.name + ".replaced")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    if data.exists():
        shutil.rmtree(old, ignore_errors=True)
        data.rename(old)
    staging.rename(data)
    shutil.rmtree(old, ignore_errors=True)
    # the catalogue index described the replaced store: drop it, the next start rebuilds it
    for f in data.parent.glob(data.name + ".index.sqlite*"):
        f.unlink()
    return quads
