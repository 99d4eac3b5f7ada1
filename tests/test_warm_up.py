"""A served registry warms its indexes and public view in the background at start-up. A server stopped
before the warm-up ends stops it, and lets go of the store only once it has: the store's lock is free
at once for the next command, and what was half-built is rolled back, to be built again next time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.synth import synthesize
from fastapi.testclient import TestClient

from conftest import load_world
from registry.api import create_app
from registry.config import Settings
from registry.domain.model import KINDS
from registry.projections.views import Views, views_home
from registry.services.ingest.loader import SYSTEM, load_file
from registry.services.registry import Registry, open_registry
from registry.stopping import Stopped, checkpoint, stoppable
from registry.store import open_store

DATASETS = KINDS["dataset"]


@pytest.fixture
def stopped() -> Iterator[threading.Event]:
    event = threading.Event()
    event.set()
    with stoppable(event):
        yield event


def _all(reg: Registry) -> tuple[list[str], int]:
    rows, total = reg.index.search(DATASETS, filters={}, q=None, limit=10_000, offset=0, include_retired=True)
    return [rid for rid, _ in rows], total


def test_checkpoint_raises_only_in_a_stoppable_thread_whose_event_is_set() -> None:
    checkpoint()  # no event: nothing
    event = threading.Event()
    with stoppable(event):
        checkpoint()  # not set yet
        event.set()
        with pytest.raises(Stopped):
            checkpoint()
        elsewhere: list[BaseException] = []

        def other() -> None:
            try:
                checkpoint()
            except BaseException as e:  # noqa: BLE001
                elsewhere.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert elsewhere == [], "another thread does not see this thread's event"
    checkpoint()  # outside the block again


def test_a_stopped_index_rebuild_leaves_the_index_as_it_was(disk_registry: Registry) -> None:
    load_world(disk_registry)
    before = _all(disk_registry)
    assert before[1] > 0
    event = threading.Event()
    event.set()
    with stoppable(event), pytest.raises(Stopped):
        disk_registry.index.rebuild()
    assert _all(disk_registry) == before
    disk_registry.index.rebuild()  # not stopped: runs to the end
    assert _all(disk_registry) == before


def test_a_stopped_view_build_leaves_no_folder_behind(disk_registry: Registry, stopped: threading.Event) -> None:
    load_world(disk_registry)
    home = views_home(disk_registry.store)
    assert home is not None
    views = Views(disk_registry.store, disk_registry.iris, disk_registry.audit, home=home)
    with pytest.raises(Stopped):
        views.public.store()
    assert not [p for p in home.iterdir() if p.is_dir()], "the half-built view's folder is removed"


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store large enough that warming it takes a while (3,000 synthetic datasets)."""
    folder = tmp_path_factory.mktemp("warm")
    quads = folder / "registry.nq"
    synthesize(quads, 3000, seed=7)
    reg = open_registry(Settings(data=str(folder / "store")))
    try:
        load_file(reg, quads, caller=SYSTEM)
    finally:
        reg.close()
    return folder / "store"


def test_a_server_stopped_while_warming_up_lets_go_of_the_store(
        big_store: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="registry")
    with TestClient(create_app(Settings(data=str(big_store)))) as client:
        assert client.get("/health").json()["ready"] is False, "still warming"
    assert not [t for t in threading.enumerate() if t.name == "warm"], "the warm-up thread has ended"
    messages = [r.getMessage() for r in caplog.records if r.name == "registry"]
    assert any("stopped: the server is shutting down" in m for m in messages), messages
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    open_store(str(big_store)).close()  # the lock is free: a CLI command can open the store now

    # the next start warms up in full, from where the stopped one left things
    with TestClient(create_app(Settings(data=str(big_store)))) as client:
        deadline = time.monotonic() + 120
        while not client.get("/health").json()["ready"]:
            assert time.monotonic() < deadline, "the warm-up ends"
            time.sleep(0.1)
        listed = client.get("/datasets", params={"limit": 1}).json()
        assert listed["total"] == 3000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
