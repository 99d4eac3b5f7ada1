"""`registry serve`: the only command that imports the web stack (FastAPI, the app and its routers)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from registry.api import create_app
from registry.cli.common import DataOpt, fail, settings_of
from registry.config import Settings
from registry.services.registry import open_registry

app = typer.Typer()


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    access_log: Annotated[bool, typer.Option(help="log a line for each request (to stderr)")] = True,
) -> None:
    """Serve the REST API (and SPARQL and web pages) over the store. On the first start of a store that has
    no token, print an admin token (once). While it runs, `registry token ...` reaches it through a socket
    beside the store ({data}.sock, for its user only)."""
    settings = settings_of(data)
    if not settings.in_memory:  # a store in memory starts empty with the server itself: nothing to keep
        _first_admin_token(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log)


def _first_admin_token(settings: Settings) -> None:
    try:
        registry = open_registry(settings)
    except OSError as e:  # another process holds it (StoreHeld says which), or the folder cannot be used
        fail(f"cannot serve: {e}")
        return
    try:
        made = registry.tokens.first_admin()
    finally:
        registry.close()
    if made is not None:
        token_id, secret = made
        typer.echo(f"First start: no token existed, so here is an admin token ({token_id}). It is shown this "
                   f"once; keep it (`registry token create` makes more, `registry token revoke {token_id}` "
                   f"revokes it):\n\n    {secret}\n")
