"""A write on a remote store is whole or absent as a reader sees it, even when the server dies in the middle of
it: threads write records through the API, and the server is killed (SIGKILL) a few milliseconds into one of
their update requests; it is started again on the same database files; `registry audit verify` passes, every
record reads back as exactly one of the versions written (its public and restricted graphs both change with
each version, so a record half of one version and half of another, or with a graph dropped and not yet
written again, matches none), and the next writer sweeps the staging the cut write left. (Both servers roll
back a request a crash cut short; what Virtuoso does not roll back, a request one of whose operations fails,
is remote_store's test_a_write_the_server_fails_part_way_shows_the_old_graphs_or_the_new.)"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import fuseki
import virtuoso
from conftest import Api, world
from helpers import same_record
from registry.cli.main import app
from registry.config import Settings
from registry.services.registry import open_registry
from registry.store import open_store
from registry.store.sparql_http import SparqlHttpStore
from registry.store.sparql_switch import is_staging
from remote_store import open_remote, raw_graph_names

pytestmark = pytest.mark.slow  # kills and restarts the run's Virtuoso and Fuseki

WRITERS = 4
#: the server is killed once this many writes got through (the writers go on until they fail)
KILL_AFTER = 12
#: a guard against a hang, not a measure: the storm takes a few seconds
DEADLINE = 120.0


def version(rid: str, n: int) -> dict[str, Any]:
    """Version n of a dataset: a public field (title, keywords) and restricted ones (steward, retention) change."""
    return {"id": rid, "title": f"Storm {rid} version {n}", "description": "written in a storm", "publisher": "moh",
            "steward": {"name": f"Steward {n}", "email": f"s{n}@example.org"}, "keywords": ["storm", f"v{n}"],
            "access": "non-public", "sensitivity": "low", "personal_information": n % 2 == 0,
            "personal_data_categories": ["health"] if n % 2 == 0 else [], "retention": f"P{n + 1}Y",
            "issued": "2024-01-01", "derived_from": [], "generated_by": None}


def writer(api: Api, rid: str, written: list[dict[str, Any]], ok: list[int], stop: float) -> None:
    """Create `rid`, then replace it with a new version again and again, until a write fails (the server is
    gone) or the deadline. Every version sent is kept in `written`, whether it got through or not."""
    n = 0
    while time.monotonic() < stop:
        body = version(rid, n)
        written.append(body)
        r = (api.client.post("/datasets", json=body, headers=api.auth()) if n == 0 else
             api.client.put(f"/datasets/{rid}", json=body, headers=api.auth()))
        if r.status_code not in (200, 201):
            assert r.status_code == 503, r.text  # the store went away: a bounded problem, never a 500
            return
        ok.append(n)
        n += 1


@pytest.mark.parametrize("kind", ["virtuoso", "fuseki"])
def test_a_server_killed_in_a_write_storm_leaves_only_whole_records(kind: str) -> None:
    server: Any = virtuoso.server() if kind == "virtuoso" else fuseki.server()
    location = server.location
    open_remote(location).close()
    reg = open_registry(Settings(data=location))
    api = Api(reg)
    moh = next(o for o in world()["organizations"] if o["id"] == "moh")
    assert api.client.post("/organizations", json=moh, headers=api.auth()).status_code == 201
    ids = [f"storm-{t}" for t in range(WRITERS)]
    written: dict[str, list[dict[str, Any]]] = {rid: [] for rid in ids}
    ok: list[int] = []
    stop = time.monotonic() + DEADLINE
    errors: list[BaseException] = []

    def guarded(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - handed to the test's thread
                errors.append(e)
        return run

    killed = threading.Event()

    def kill_in_the_middle(request: httpx.Request) -> None:
        """Once the storm is going, the server dies a few milliseconds into an update request: while it is
        writing (staging, switching) rather than while the registry validates the next record."""
        if len(ok) >= KILL_AFTER and not killed.is_set() and request.content.startswith(b"update="):
            killed.set()
            threading.Timer(random.Random(len(ok)).uniform(0.002, 0.03), server.kill).start()

    reg.store._client.event_hooks["request"] = [kill_in_the_middle]  # type: ignore[attr-defined]
    threads = [threading.Thread(target=guarded(lambda rid=rid: writer(api, rid, written[rid], ok, stop)))
               for rid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE)
    api.close()
    reg.close()
    assert not errors, errors
    assert killed.is_set() and len(ok) >= KILL_AFTER, "the storm got going before the kill"
    time.sleep(0.05)  # the timer's kill
    server.kill()  # (nothing when the timer's came first)
    server.start()  # the same database files

    verify = CliRunner().invoke(app, ["audit", "verify", "--data", location], catch_exceptions=False)
    assert verify.exit_code == 0, verify.stdout
    assert json.loads(verify.stdout)["ok"] is True
    after = open_registry(Settings(data=location))
    reader = Api(after)
    try:
        for rid, versions in written.items():
            got = reader.client.get(f"/datasets/{rid}", headers=reader.auth())
            assert got.status_code == 200, f"{rid} was created before the kill ({got.status_code})"
            matches = [n for n, v in enumerate(versions) if _same(v, got.json())]
            assert len(matches) == 1, (rid, got.json(), len(versions))
            assert matches[0] >= len(versions) - 2, "the last version that got through, or the one in flight"
    finally:
        reader.close()
        after.close()
    # what a write cut short left (staging graphs no reader sees) goes with the next write, once it is stale
    sweeper = open_store(location)
    assert isinstance(sweeper, SparqlHttpStore)
    sweeper.stale_after = 0
    try:
        sweeper.replace_graphs({"urn:x-test:after-the-storm": []})
        assert not [g for g in raw_graph_names(sweeper) if is_staging(g)]
    finally:
        sweeper.close()


def _same(written: dict[str, Any], read: dict[str, Any]) -> bool:
    try:
        same_record(written, read)
    except AssertionError:
        return False
    return True
