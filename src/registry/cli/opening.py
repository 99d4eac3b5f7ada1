"""Opening the registry over the store for a command (the services it brings are imported here, not by the
commands that do without them)."""

from __future__ import annotations

import datetime as dt

import typer

from registry.cli.common import fail, settings_of
from registry.services.registry import Registry, open_registry


def open_for(data: str | None, *, reading: bool = False) -> Registry:
    """The registry over the store. `reading`: a command that only reads opens a store a running server
    holds read-only, as it is at that moment (a note on stderr says so)."""
    try:
        registry = open_registry(settings_of(data), read_only_fallback=reading)
    except OSError as e:
        if "lock" in str(e).lower():
            fail(f"cannot open the store: another process holds it (a running `registry serve`?). Stop it "
                 f"first, or use the API: GET/POST /tokens, DELETE /tokens/ID with an admin token. `registry "
                 f"validate`, `export`, `audit verify` and `backup` read it while it runs, and `registry token` "
                 f"reaches a `registry serve` through its socket ({e})")
        fail(f"cannot open the store: {e}")
        raise
    if registry.read_only:
        typer.echo(f"note: a running server holds the store: read as it was at {dt.datetime.now():%H:%M:%S} "
                  f"(writes after that are not seen)", err=True)
    return registry
