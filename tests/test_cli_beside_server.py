"""The command line beside a running `registry serve`: read-only commands read the store the server holds,
`registry token ...` goes through the server's control socket, and a first start prints an admin token."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from helpers import world_nquads
from registry.api import create_app
from registry.config import Settings
from registry.errors import BadInput, NotFound
from registry.services.control import ControlChannel, perform
from registry.services.registry import open_registry
from test_durability import cli, server

#: the admin token a first start prints, on a line of its own
FIRST_TOKEN = re.compile(r"^\s+(dsr_\S+)\s*$", re.MULTILINE)


def run(*args: str) -> Any:
    """The command line in this process (the server is in a process of its own, or a TestClient here)."""
    from registry.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ask(sock: Path, raw: bytes) -> dict[str, Any]:
    """Send raw bytes on the control socket; the server's answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(sock))
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer: dict[str, Any] = json.loads(s.makefile("rb").readline())
        return answer


GARBAGE = [b"garbage\n", b"\xff\xfe\x00\n", b"[1, 2]\n", b'{"op": "drop"}\n', b'{"op": "list", "extra": 1}\n',
           b'{"op": "create", "role": "emperor"}\n', b'{"op": "create", "role": "admin", "days": "7"}\n',
           b'{"op": "create", "role": "admin", "days": 99999999}\n', b'{"op": "revoke", "id": "x> } DROP ALL #"}\n',
           b"x" * 100_000 + b"\n", b""]


@dataclass
class Running:
    data: Path
    client: httpx.Client
    admin: str
    log: Path

    @property
    def sock(self) -> Path:
        return self.data.with_name(self.data.name + ".sock")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`registry serve` in a process of its own over the casebook world, and the admin token its first
    start printed."""
    folder = tmp_path_factory.mktemp("beside")
    data, log = folder / "store", folder / "server.log"
    loaded = run("load", str(world_nquads()), "--data", str(data))
    assert loaded.exit_code == 0, loaded.stderr
    with server(data, log) as client:
        (admin,) = FIRST_TOKEN.findall(log.read_text())
        yield Running(data, client, admin, log)


@pytest.mark.slow
def test_read_only_commands_work_beside_a_server(running: Running, tmp_path: Path) -> None:
    org = {"id": "beside-org", "name": "Written while the server runs", "kind": "agency", "parent": None}
    assert running.client.post("/organizations", json=org, headers=auth(running.admin)).status_code == 201

    validated = cli("validate", "--data", str(running.data))
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout)["conforms"] is True
    assert "read as it was at" in validated.stderr, "the command says it read a snapshot"

    exported = cli("export", "--data", str(running.data))
    assert exported.returncode == 0, exported.stderr
    assert "/organization/beside-org>" in exported.stdout, "a write the server committed is seen"
    quads = sum(1 for line in exported.stdout.splitlines() if line.strip())

    verified = cli("audit", "verify", "--data", str(running.data))
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] is True and report["entries_checked"] >= 2  # the first token and the organisation

    backed = cli("backup", str(tmp_path / "backup"), "--data", str(running.data))
    assert backed.returncode == 0, backed.stderr
    assert f"backed up {quads} quads" in backed.stderr

    assert running.client.get("/health").status_code == 200, "the server kept serving"
    assert running.client.get("/organizations/beside-org").status_code == 200


@pytest.mark.slow
def test_token_commands_reach_the_running_server(running: Running) -> None:
    data = str(running.data)
    made = cli("token", "create", "--role", "steward", "--org", "moh", "--data", data)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    token_id = re.search(r"token ([0-9a-f]{12}) for role steward of moh", made.stderr)
    assert secret.startswith("dsr_") and token_id, made.stderr

    # the running server takes the new token at once
    assert running.client.get("/organizations/moh", headers=auth(secret)).status_code == 200

    listed = cli("token", "list", "--data", data)
    assert listed.returncode == 0, listed.stderr
    assert {"id": token_id[1], "role": "steward", "org": "moh"}.items() <= next(
        t for t in json.loads(listed.stdout) if t["id"] == token_id[1]).items()
    assert secret not in listed.stdout

    revoked = cli("token", "revoke", token_id[1], "--data", data)
    assert revoked.returncode == 0, revoked.stderr
    assert running.client.get("/organizations/moh", headers=auth(secret)).status_code == 401

    # audited like the API's token routes, the command line acting
    entries = running.client.get("/audit", params={"limit": 500}, headers=auth(running.admin)).json()["items"]
    mine = [e for e in entries if str(e.get("record", "")).endswith(f"/token/{token_id[1]}")]
    assert sorted(e["action"] for e in mine) == ["create", "revoke"], mine
    assert all("token cli (admin)" in e["agent"] for e in mine), mine

    refused = cli("token", "create", "--role", "steward", "--org", "no-such-org", "--data", data)
    assert refused.returncode == 1 and refused.stdout.strip() == ""
    assert "no organisation 'no-such-org'" in refused.stderr
    unknown = cli("token", "revoke", "000000000000", "--data", data)
    assert unknown.returncode == 1 and "no token" in unknown.stderr


@pytest.mark.slow
def test_a_bad_request_on_the_socket_is_refused_and_the_server_keeps_serving(running: Running) -> None:
    assert stat.S_IMODE(running.sock.stat().st_mode) == 0o600
    for raw in GARBAGE:
        answer = ask(running.sock, raw)
        assert answer["ok"] is False and answer["detail"], (raw[:40], answer)
    assert running.client.get("/health").status_code == 200
    assert running.client.get("/tokens", headers=auth(running.admin)).status_code == 200
    assert ask(running.sock, b'{"op": "list"}\n')["ok"] is True


@pytest.mark.slow
def test_the_first_start_prints_an_admin_token_and_later_starts_none(tmp_path: Path) -> None:
    data = tmp_path / "store"
    sock = data.with_name("store.sock")
    with server(data, tmp_path / "first.log") as client:
        text = (tmp_path / "first.log").read_text()
        (admin,) = FIRST_TOKEN.findall(text)
        assert "admin token" in text
        assert client.get("/tokens", headers=auth(admin)).status_code == 200, "the printed token is an admin's"
        assert sock.exists()
    assert not sock.exists(), "the socket goes with the server"
    with server(data, tmp_path / "second.log") as client:
        assert client.get("/tokens", headers=auth(admin)).status_code == 200
    assert "dsr_" not in (tmp_path / "second.log").read_text()


# ------------------------------------------------------------------- in this process (the inner loop)
def test_tokens_through_the_socket_of_an_app_in_this_process(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    with TestClient(create_app(Settings(data=store))) as client:
        sock = tmp_path / "store.sock"
        assert stat.S_ISSOCK(sock.lstat().st_mode) and stat.S_IMODE(sock.lstat().st_mode) == 0o600
        made = run("token", "create", "--role", "admin", "--data", store)
        assert made.exit_code == 0, made.stderr
        secret = made.stdout.strip().splitlines()[-1]
        assert client.get("/tokens", headers=auth(secret)).status_code == 200
        (listed,) = json.loads(run("token", "list", "--data", store).stdout)
        assert run("token", "revoke", listed["id"], "--data", store).exit_code == 0
        assert client.get("/tokens", headers=auth(secret)).status_code == 401
        for raw in GARBAGE:
            assert ask(sock, raw)["ok"] is False
        assert client.get("/health").status_code == 200
    assert not sock.exists()
    # no server: the command opens the store itself, through the same code
    assert json.loads(run("token", "list", "--data", store).stdout)[0]["revoked"]


def test_a_stale_socket_is_replaced(tmp_path: Path) -> None:
    """A server killed without shutting down leaves its socket file: the next start takes its place, and
    meanwhile the command line opens the store itself."""
    store = str(tmp_path / "store")
    sock = tmp_path / "store.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(sock))  # nobody listens on it
    assert run("token", "create", "--role", "admin", "--data", store).exit_code == 0
    with TestClient(create_app(Settings(data=store))):
        assert len(json.loads(run("token", "list", "--data", store).stdout)) == 1
        assert ask(sock, b'{"op": "list"}\n')["ok"] is True


def test_no_socket_for_a_registry_the_app_does_not_own(tmp_path: Path) -> None:
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    try:
        with TestClient(create_app(registry=reg)):
            assert not (tmp_path / "store.sock").exists()
    finally:
        reg.close()


def test_perform_refuses_what_it_cannot_do() -> None:
    reg = open_registry(Settings(data="memory"))
    try:
        for request in ({"op": "revoke"}, {"op": "create"}, {"op": "create", "role": "steward"},
                        {"op": "create", "role": "admin", "org": "no-such-org"}, {"op": "list", "id": 1}):
            with pytest.raises(BadInput):
                perform(reg, request)
        with pytest.raises(NotFound):
            perform(reg, {"op": "revoke", "id": "000000000000"})
        made = perform(reg, {"op": "create", "role": "admin", "days": 3})
        assert made["token"].startswith("dsr_") and made["expires"]
        assert [t["id"] for t in perform(reg, {"op": "list"})["items"]] == [made["id"]]
    finally:
        reg.close()


def test_a_channel_for_a_store_in_memory_does_nothing() -> None:
    async def start_and_stop() -> Path | None:
        channel = await ControlChannel.start(reg)
        await channel.stop()
        return channel.path

    reg = open_registry(Settings(data="memory"))
    try:
        assert asyncio.run(start_and_stop()) is None
    finally:
        reg.close()
