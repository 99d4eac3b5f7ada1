"""Crashes and backups, with the real server in a process of its own over a store folder.

A write storm from several client threads; the server is killed with SIGKILL in the middle of it (no
shutdown, no flush); after a restart every write that was acknowledged (a 2xx received) is there, and
`registry validate` and `registry audit verify` pass. A backup taken in the middle of the storm is a
consistent store of its own. `registry backup` / `registry restore` give back exactly the same quads,
also for a backup taken while the server runs.

What this shows is durability against a crash of the process: each write is one RocksDB transaction
whose log reaches the operating system before the answer is sent. It does not simulate a power cut
(the log is not fsynced on every write)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from helpers import WORLD_FILE, load_json, record
from test_durability import SCRIPT, START_DEADLINE, free_port

WORLD = load_json(WORLD_FILE)
#: bounds of the storm: it stops at whichever comes first
MAX_REQUESTS = 400
KILL_AFTER_ACKS = 40
KILL_AFTER_SECONDS = 8.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    client: httpx.Client
    base_url: str


@contextlib.contextmanager
def serve(data: Path, log: Path) -> Iterator[Server]:
    """`registry serve` on a free loopback port; stopped (or killed) on the way out if still running."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(SCRIPT), "serve", "--data", str(data), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, trust_env=False, timeout=30)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield Server(proc, client, base)
    finally:
        client.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str) -> Done:
    """The command line in this process (the server is the process of its own here): quicker than a
    process per command, and the same code."""
    from typer.testing import CliRunner

    from registry.cli.main import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Done(result.exit_code, result.stdout, result.stderr)


def dataset(rid: str, title: str) -> dict[str, Any]:
    return {**record(WORLD, "datasets", "ohip-claims"), "id": rid, "title": title}


@dataclass
class Acks:
    """What the server acknowledged (a 2xx received), by kind."""

    created: dict[str, str] = field(default_factory=dict)  # dataset id -> title
    updated: dict[str, int] = field(default_factory=dict)  # dataset id -> last acknowledged version
    attempted: dict[str, int] = field(default_factory=dict)  # dataset id -> last version sent
    checks: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        return len(self.created) + sum(self.updated.values()) + len(self.checks)


def storm(base_url: str, token: str, acks: Acks, stop: threading.Event) -> list[threading.Thread]:
    """Four clients: two create datasets, one updates its own dataset (If-Match), one runs share checks.
    Each stops at the first transport error (the server is gone), at `stop`, or at the request bound."""
    headers = {"Authorization": f"Bearer {token}"}

    def budget() -> bool:
        with acks.lock:
            acks.requests += 1
            return acks.requests <= MAX_REQUESTS and not stop.is_set()

    def creator(n: int) -> None:
        with httpx.Client(base_url=base_url, trust_env=False, timeout=30, headers=headers) as c:
            i = 0
            while budget():
                rid, title = f"storm-{n}-{i}", f"Storm dataset {n}/{i}"
                try:
                    r = c.post("/datasets", json=dataset(rid, title))
                except httpx.TransportError:
                    return
                assert r.status_code == 201, r.text
                with acks.lock:
                    acks.created[rid] = title
                i += 1

    def updater() -> None:
        rid = "storm-updated"
        with httpx.Client(base_url=base_url, trust_env=False, timeout=30, headers=headers) as c:
            version = 0
            while budget():
                try:
                    got = c.get(f"/datasets/{rid}")
                    version += 1
                    with acks.lock:
                        acks.attempted[rid] = version
                    r = c.put(f"/datasets/{rid}", json=dataset(rid, f"version {version}"),
                              headers={"If-Match": got.headers["etag"]})
                except httpx.TransportError:
                    return
                assert r.status_code == 200, r.text
                with acks.lock:
                    acks.updated[rid] = version

    def checker() -> None:
        body = {"datasets": ["storm-updated"], "provider": "moh", "recipient": "mto", "purpose": "research"}
        with httpx.Client(base_url=base_url, trust_env=False, timeout=30, headers=headers) as c:
            while budget():
                try:
                    r = c.post("/share-checks", json=body)
                except httpx.TransportError:
                    return
                assert r.status_code == 201, r.text
                with acks.lock:
                    acks.checks.append(r.json()["id"])

    threads = [threading.Thread(target=f, args=a, daemon=True)
               for f, a in ((creator, (0,)), (creator, (1,)), (updater, ()), (checker, ()))]
    for t in threads:
        t.start()
    return threads


def admin_token(data: Path) -> str:
    made = cli("token", "create", "--data", str(data), "--role", "admin")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def quads(location: Path) -> set[ox.Quad]:
    store = ox.Store.read_only(str(location))
    try:
        return set(store)
    finally:
        del store


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill_mid_storm(tmp_path: Path) -> None:
    data, log = tmp_path / "store", tmp_path / "server.log"
    token = admin_token(data)
    headers = {"Authorization": f"Bearer {token}"}
    acks = Acks()
    stop = threading.Event()
    with serve(data, log) as server:
        c = server.client
        for org in ("moh", "mto"):
            assert c.post("/organizations", json=record(WORLD, "organizations", org), headers=headers).status_code == 201
        assert c.post("/datasets", json=dataset("storm-updated", "version 0"), headers=headers).status_code == 201
        threads = storm(server.base_url, token, acks, stop)
        started = time.monotonic()
        backed_up = False
        while time.monotonic() - started < KILL_AFTER_SECONDS and acks.count() < KILL_AFTER_ACKS:
            halfway = acks.count() >= KILL_AFTER_ACKS // 2 or time.monotonic() - started > KILL_AFTER_SECONDS / 2
            if not backed_up and halfway:
                # a backup in the middle of the storm, while the server writes
                done = cli("backup", str(tmp_path / "mid-storm"), "--data", str(data))
                assert done.returncode == 0, done.stderr
                backed_up = True
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
    assert server.proc.returncode == -signal.SIGKILL
    assert acks.created and acks.updated and acks.checks, f"the storm acknowledged too little: {acks}"

    with serve(data, log) as server:
        c = server.client
        for rid, title in acks.created.items():
            r = c.get(f"/datasets/{rid}", headers=headers)
            assert r.status_code == 200, f"acknowledged {rid} is lost"
            assert r.json()["title"] == title
        version = int(c.get("/datasets/storm-updated").json()["title"].removeprefix("version "))
        # the last acknowledged update is there (or one sent after it that the kill cut off before its answer)
        assert acks.updated["storm-updated"] <= version <= acks.attempted["storm-updated"]
        for check_id in acks.checks:
            assert c.get(f"/share-checks/{check_id}", headers=headers).status_code == 200, f"check {check_id} lost"
        listed = c.get("/datasets", params={"limit": 500}, headers=headers).json()
        assert set(acks.created) <= {d["id"] for d in listed["items"]}, "lists see them too"
        assert c.get("/audit/verify", headers=headers).json()["ok"] is True
        # the server takes writes again
        assert c.post("/datasets", json=dataset("after-restart", "After"), headers=headers).status_code == 201

    for args in (("validate",), ("audit", "verify")):
        done = cli(*args, "--data", str(data))
        assert done.returncode == 0, f"registry {' '.join(args)}: {done.stdout[-2000:]} {done.stderr[-2000:]}"

    # the backup taken mid-storm is a consistent store of its own
    assert backed_up
    restored = tmp_path / "restored"
    done = cli("restore", str(tmp_path / "mid-storm"), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    for args in (("validate",), ("audit", "verify")):
        done = cli(*args, "--data", str(restored))
        assert done.returncode == 0, f"mid-storm backup, registry {' '.join(args)}: {done.stdout[-2000:]}"


@pytest.mark.slow
def test_backup_and_restore_give_back_every_quad(tmp_path: Path) -> None:
    data, log = tmp_path / "store", tmp_path / "server.log"
    load = cli("load", str(WORLD_FILE), "--data", str(data))
    assert load.returncode == 0, load.stderr
    token = admin_token(data)
    headers = {"Authorization": f"Bearer {token}"}

    # a backup of a stopped store, restored elsewhere: the same quads
    done = cli("backup", str(tmp_path / "cold"), "--data", str(data))
    assert done.returncode == 0, done.stderr
    cold = quads(data)
    assert quads(tmp_path / "cold") == cold
    assert cli("restore", str(tmp_path / "cold"), "--data", str(tmp_path / "copy")).returncode == 0
    assert quads(tmp_path / "copy") == cold

    with serve(data, log) as server:
        c = server.client
        assert c.post("/datasets", json=dataset("while-serving", "Written while serving"), headers=headers).status_code == 201
        assert c.post("/share-checks", json={"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                                             "purpose": "program-evaluation"}, headers=headers).status_code == 201
        # a backup while the server runs (and holds the store)
        done = cli("backup", str(tmp_path / "hot"), "--data", str(data))
        assert done.returncode == 0, done.stderr
        # restore refuses to replace a store a server holds, even with --force
        busy = cli("restore", str(tmp_path / "cold"), "--data", str(data), "--force")
        assert busy.returncode == 1 and "in use" in busy.stderr
    live = quads(data)
    assert quads(tmp_path / "hot") == live, "the hot backup holds exactly the store as the server left it"
    assert live != cold

    # restore over an existing store: refused without --force, exact with it
    refused = cli("restore", str(tmp_path / "hot"), "--data", str(tmp_path / "copy"))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert quads(tmp_path / "copy") == cold, "a refused restore changes nothing"
    assert cli("restore", str(tmp_path / "hot"), "--data", str(tmp_path / "copy"), "--force").returncode == 0
    assert quads(tmp_path / "copy") == live
    with serve(tmp_path / "copy", log) as server:
        r = server.client.get("/datasets/while-serving", headers=headers)
        assert r.status_code == 200, "the restored store serves, tokens included"
        assert server.client.get("/audit/verify", headers=headers).json()["ok"] is True

    # a backup never overwrites, and a folder that is not a backup is not restored
    again = cli("backup", str(tmp_path / "hot"), "--data", str(data))
    assert again.returncode == 1 and "exists already" in again.stderr
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("not a store")
    junk = cli("restore", str(tmp_path / "junk"), "--data", str(tmp_path / "other"))
    assert junk.returncode == 1 and "Traceback" not in junk.stderr
