"""The server's local control channel: `registry token create|list|revoke` while `registry serve` holds the store.

A Unix socket beside the store ({data}.sock, mode 0600, never a network address) takes one JSON request
per connection and answers one JSON line. `perform` runs a request through the Tokens service as the
command line (`CLI`), the same code the command runs when it opens the store itself, so both are audited
alike. Whoever may connect holds the store's files already."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import stat
import struct
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.config import Settings
from registry.errors import BadInput, RegistryError
from registry.services.auth import CLI
from registry.services.registry import Registry

log = logging.getLogger("registry")

#: the longest request line read (a token request is a few dozen bytes)
MAX_REQUEST = 64 * 1024
#: how long a connection may take to send its request, and the command line waits for an answer, in seconds
READ_SECONDS = 10.0
ANSWER_SECONDS = 120.0
#: how long a stopping server lets requests in flight finish, in seconds
STOP_SECONDS = 5.0
#: the longest path a Unix socket may have (sun_path is 108 bytes on Linux, 104 elsewhere)
MAX_PATH_BYTES = 103


def socket_path(settings: Settings) -> Path | None:
    """{data}.sock beside a store on disk; None for a store in memory or on a SPARQL server."""
    if settings.in_memory or "://" in settings.data or not hasattr(socket, "AF_UNIX"):
        return None
    data = Path(settings.data)
    return data.with_name(data.name + ".sock")


class Request(BaseModel):
    """One request: make a token (role, org, days), list them, or revoke one (id)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    op: Literal["create", "list", "revoke"]
    role: str | None = None
    org: str | None = None
    days: Annotated[int, Field(ge=1)] | None = None
    id: str | None = None


def perform(registry: Registry, request: dict[str, Any]) -> dict[str, Any]:
    """Run one request on the registry as the command line; RegistryError when it is refused."""
    try:
        req = Request.model_validate(request)
    except ValidationError as e:
        wrong = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'request'}: {err['msg']}" for err in e.errors())
        raise BadInput(f"bad request: {wrong}") from None
    if req.op == "list":
        return {"items": registry.tokens.list()}
    if req.op == "revoke":
        if req.id is None:
            raise BadInput("bad request: revoke needs the token's id")
        registry.tokens.revoke(req.id, CLI)
        return {"revoked": req.id}
    if req.role is None:
        raise BadInput("bad request: create needs a role")
    if req.org and not registry.records.exists(registry.records.kind("organization"), req.org):
        raise BadInput(f"no organisation {req.org!r} in the registry")
    try:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=req.days) if req.days else None
    except OverflowError:
        raise BadInput(f"a token cannot live {req.days} days") from None
    token_id, secret = registry.tokens.create(req.role, req.org, expires, CLI)
    return {"id": token_id, "role": req.role, "org": req.org,
            "expires": expires.isoformat() if expires else None, "token": secret}


class ControlError(RegistryError):
    """The running server refused the request (its detail says why), or could not be asked."""

    title = "Refused by the server"
    code = "control-refused"


class NoServer(Exception):
    """No server answers on the socket: the command line opens the store itself."""


def call(path: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Send one request to the server listening on `path`; its answer, or ControlError. NoServer when
    nothing listens there (no socket file, a stale one, a path too long for a socket)."""
    if len(os.fsencode(path)) > MAX_PATH_BYTES:
        raise NoServer(f"{path} is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(ANSWER_SECONDS)
        try:
            s.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise NoServer(str(e)) from None
        try:
            s.sendall(json.dumps(request).encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            with s.makefile("rb") as answer:
                line = answer.readline(MAX_REQUEST)
        except OSError as e:
            raise ControlError(f"the server on {path} did not answer: {e}") from None
    try:
        body = json.loads(line)
    except ValueError:
        raise ControlError(f"the server on {path} answered something that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        raise ControlError(f"the server on {path} answered something unexpected")
    if not body["ok"]:
        raise ControlError(str(body.get("detail") or "refused"))
    return body


def _answer(registry: Registry, line: bytes) -> dict[str, Any]:
    """The answer to one request line: {"ok": true, ...} or {"ok": false, "code": ..., "detail": ...}."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise BadInput("bad request: send one JSON object, such as {\"op\": \"list\"}")
        return {"ok": True, **perform(registry, request)}
    except ValueError:  # not JSON (nor UTF-8)
        return {"ok": False, "code": BadInput.code, "detail": "bad request: not a JSON object on one line"}
    except RegistryError as e:
        return {"ok": False, "code": e.code, "detail": e.detail}


def _same_user(conn: Any) -> bool:
    """Where the system says who connected (Linux): the server's own user, or root. The socket's mode
    (0600) already keeps others out; this also guards a socket file whose mode was changed."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid in (os.getuid(), 0)


class ControlChannel:
    """The socket of one running server; `start` it in the lifespan, `stop` it on the way out."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.path: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._inode = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    async def start(cls, registry: Registry, serve: bool = True) -> ControlChannel:
        """Listen on {data}.sock when `serve` and the store is on disk; a channel that does nothing
        otherwise. Never fails the server's start: a socket that cannot be made is logged."""
        channel = cls(registry)
        path = socket_path(registry.settings) if serve else None
        if path is not None:
            try:
                channel._server = await channel._listen(path)
                channel.path = path
            except OSError as e:
                log.warning("no control socket (`registry token` will not reach this server): %s", e)
        return channel

    async def _listen(self, path: Path) -> asyncio.AbstractServer:
        if len(os.fsencode(path)) > MAX_PATH_BYTES:
            raise OSError(f"{path} is too long for a Unix socket")
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISSOCK(path.lstat().st_mode):
                raise OSError(f"{path} exists and is not a socket")
            # left by a server that did not stop (killed): this process holds the store, so it is stale
            path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(os.fspath(path))
            os.chmod(path, 0o600)  # before listen(): until then nobody can connect
            self._inode = path.lstat().st_ino
            return await asyncio.start_unix_server(self._handle, sock=sock, limit=MAX_REQUEST)
        except BaseException:
            sock.close()
            raise

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            answer = await self._respond(reader, writer.get_extra_info("socket"))
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, OSError) as e:  # a client that said nothing in time, or went away
            log.info("control socket: a request was dropped: %s", e)
        except Exception:  # noqa: BLE001 - one request's failure never stops the server
            log.exception("control socket: a request failed")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def _respond(self, reader: asyncio.StreamReader, conn: Any) -> dict[str, Any]:
        if conn is not None and not _same_user(conn):
            return {"ok": False, "code": "forbidden", "detail": "only the server's user may use its control socket"}
        try:
            line = await asyncio.wait_for(reader.readline(), READ_SECONDS)
        except ValueError:  # past the limit
            return {"ok": False, "code": BadInput.code, "detail": f"bad request: longer than {MAX_REQUEST} bytes"}
        return await anyio.to_thread.run_sync(_answer, self.registry, line)

    async def stop(self) -> None:
        """Stop listening, let requests in flight finish (a few seconds at most), remove the socket."""
        if self._server is None:
            return
        self._server.close()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=STOP_SECONDS)
            for task in late:
                task.cancel()
        await self._server.wait_closed()
        self._server = None
        assert self.path is not None
        with contextlib.suppress(FileNotFoundError):
            if self.path.lstat().st_ino == self._inode:  # ours, not a later server's
                self.path.unlink()
