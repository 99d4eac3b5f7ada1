"""`registry token create|list|revoke`: through a running server's control socket, or on the store."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from registry.cli.common import DataOpt, report_error, settings_of
from registry.cli.opening import open_for
from registry.errors import RegistryError
from registry.services import control

app = typer.Typer()
token_app = typer.Typer(help="Bearer tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _tokens(data: str | None, request: dict[str, object]) -> dict[str, Any]:
    """A token request, sent to the server that holds the store (its control socket) or, when none
    runs, performed on the store opened here: the same code either way, audited as the command line."""
    path = control.socket_path(settings_of(data))
    if path is not None:
        try:
            return control.call(path, request)
        except control.NoServer:
            pass
    registry = open_for(data)
    try:
        return control.perform(registry, request)
    finally:
        registry.close()


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin, privacy-officer or steward")],
    data: DataOpt = None,
    org: Annotated[str | None, typer.Option(help="the organisation a steward writes for")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="expire after this many days (at least 1)")] = None,
) -> None:
    """Create a bearer token; the token itself is printed on the last line, once. Works while a server
    runs (through its socket)."""
    try:
        made = _tokens(data, {"op": "create", "role": role, "org": org, "days": days})
    except RegistryError as e:
        report_error(e)
        return
    typer.echo(f"token {made['id']} for role {role}" + (f" of {org}" if org else ""), err=True)
    typer.echo(made["token"])


@token_app.command("list")
def token_list(data: DataOpt = None) -> None:
    """List tokens (never their secrets). Works while a server runs (through its socket)."""
    try:
        items = _tokens(data, {"op": "list"})["items"]
    except RegistryError as e:
        report_error(e)
        return
    typer.echo(json.dumps(items, indent=2))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the token's id")], data: DataOpt = None) -> None:
    """Revoke a token at once. Works while a server runs (through its socket): it refuses the token from
    then on."""
    try:
        _tokens(data, {"op": "revoke", "id": token_id})
    except RegistryError as e:
        report_error(e)
        return
    typer.echo(f"revoked {token_id}", err=True)
