"""The real server on a store folder: what it accepted is still there after it stops and starts again."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import WORLD_FILE, load_json, record

SCRIPT = Path(sys.executable).parent / "registry"
WORLD = load_json(WORLD_FILE)
#: how long to wait for a server to answer /health before giving up (a guard against hanging, not a measure)
START_DEADLINE = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False)


@contextlib.contextmanager
def server(data: Path, log: Path, *options: str) -> Iterator[httpx.Client]:
    """`registry serve` in a process of its own, and a client of it; the server is always stopped on the
    way out. The client ignores proxy settings of the environment: the server is on this machine."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(SCRIPT), "serve", "--data", str(data), "--port", str(port), *options],
                                stdout=out, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if client.get("/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@pytest.mark.slow
def test_the_access_log_can_be_turned_off(tmp_path: Path) -> None:
    data = tmp_path / "store"
    for options, logged in (((), True), (("--no-access-log",), False)):
        log = tmp_path / f"server{len(options)}.log"
        with server(data, log, *options) as client:
            assert client.get("/datasets/no-such-dataset").status_code == 404
        text = log.read_text(errors="replace")
        assert "Application startup complete" in text  # the server's own messages are kept either way
        assert ('"GET /datasets/no-such-dataset HTTP/1.1" 404' in text) is logged, text


def post(client: httpx.Client, path: str, token: str, data: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=data, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.slow
def test_records_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "store"
    log = tmp_path / "server.log"
    made = cli("token", "create", "--data", str(data), "--role", "admin")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    good = record(WORLD, "datasets", "road-collisions")
    broken = {**record(WORLD, "datasets", "collision-summary"), "id": "broken", "access": "secret"}
    del broken["title"]

    with server(data, log) as client:
        assert post(client, "/organizations", token, record(WORLD, "organizations", "mto")).status_code == 201
        created = post(client, "/datasets", token, good)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == "/datasets/road-collisions"
        refused = post(client, "/datasets", token, broken)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert {v["field"] for v in refused.json()["violations"]} == {"title", "access"}
        etag = client.get("/datasets/road-collisions", headers={"Authorization": f"Bearer {token}"}).headers["etag"]

    with server(data, log) as client:
        got = client.get("/datasets/road-collisions", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200
        assert got.json()["title"] == good["title"]
        assert got.json()["steward"] == good["steward"], "restricted fields were kept too"
        assert got.headers["etag"] == etag
        assert client.get("/datasets/broken").status_code == 404
        listed = client.get("/datasets").json()
        assert [i["id"] for i in listed["items"]] == ["road-collisions"]
        # the token was kept as well
        assert post(client, "/organizations", token, record(WORLD, "organizations", "moh")).status_code == 201
