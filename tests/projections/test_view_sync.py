"""A view on disk records its position while serving once what it holds is on disk, by syncing its
write-ahead log (RocksDB replays it at the next open), not by writing its memtables out as a new table
file at every save; a process that dies right after a save comes back with the view at that position,
holding every record it held, copying nothing again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import test_views
from helpers import WORLD_FILE, load_json, record
from registry.projections import views as views_module
from registry.projections.views import Views
from registry.store import oxigraph as oxigraph_module
from test_views import Disk, state, titles, write_dataset

disk = test_views.disk  # the fixture: a registry on disk with the world loaded, its views beside it

ROOT = Path(__file__).resolve().parents[2]
WORLD = load_json(WORLD_FILE)


def logs(folder: Path) -> dict[str, int]:
    """The view's write-ahead logs and their sizes: RocksDB starts a new one when it writes its memtables
    out (a flush), never otherwise until a memtable fills (compactions write table files, not logs)."""
    return {p.name: p.stat().st_size for p in folder.glob("*.log")}


def public_view(disk: Disk) -> tuple[Views, Path]:
    """The registry's views, the public one built, and the public view's folder."""
    views = disk.views
    assert views is not None
    view = views.public
    view.store()
    assert view.home is not None and view._folder is not None
    return views, view.home / view._folder


def test_a_save_while_serving_syncs_the_log_and_writes_no_table_file(disk: Disk,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    views, folder = public_view(disk)
    synced: list[str] = []
    real = oxigraph_module._fdatasync

    def recording(fd: int) -> None:
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(oxigraph_module, "_fdatasync", recording)
    monkeypatch.setattr(views_module, "SAVE_EVERY_SECONDS", 0.0)
    before = logs(folder)
    write_dataset(disk.registry, "synced-not-flushed", "Synced, not flushed")
    assert "Synced, not flushed" in titles(views.public)
    assert state(disk)["seq"] == disk.registry.audit.head().seq, "the position moved with the write"
    after = logs(folder)
    assert after.keys() == before.keys(), "no memtable written out for the save (a flush starts a new log)"
    assert sum(after.values()) > sum(before.values()), "the write is in the view's log"
    if sys.platform == "linux":
        assert any(Path(p).parent == folder.resolve() and p.endswith(".log") for p in synced), \
            "the view's write-ahead log was synced before its position was recorded"


def test_a_forced_save_writes_the_memtables_out(disk: Disk) -> None:
    """Closing the view (as a server stops) writes what it holds out, so the next start replays no log."""
    views, folder = public_view(disk)
    before = logs(folder)
    write_dataset(disk.registry, "flushed-at-close", "Flushed at close")
    views.public.store()
    views.close()
    assert logs(folder).keys() - before.keys(), "the close wrote the memtables out and started a new log"


CRASH = textwrap.dedent("""
    import json, os, sys
    from registry.config import Settings
    from registry.domain.model import KINDS
    from registry.projections import views as views_module
    from registry.projections.views import Views, views_home
    from registry.services.ingest.loader import SYSTEM
    from registry.services.registry import open_registry
    views_module.SAVE_EVERY_SECONDS = 0.0
    reg = open_registry(Settings(data=sys.argv[1]))
    views = Views(reg.store, reg.iris, reg.audit, home=views_home(reg.store))
    views.public.store()
    kind = KINDS["dataset"]
    for i in range(3):
        record = {**json.loads(sys.argv[2]), "id": f"crash-{i}", "title": f"Written before the crash {i}"}
        reg.records.write(kind, record, SYSTEM, create=True)
        views.public.store()
    os._exit(0)  # no close, no flush, no destructor: the process dies here
""")


def test_a_view_synced_then_killed_comes_back_at_its_position(disk: Disk, monkeypatch: pytest.MonkeyPatch) -> None:
    assert disk.views is not None
    disk.views.public.store()
    data = disk.data
    disk.stop()
    done = subprocess.run([sys.executable, "-c", CRASH, str(data), json.dumps(record(WORLD, "datasets", "ohip-claims"))],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    copied: list[str] = []
    real = views_module.GraphView._update

    def counting(self: views_module.GraphView, graphs: list[str]) -> None:
        copied.extend(g for g in graphs if "/graph/dataset/crash-" in g)
        real(self, graphs)

    monkeypatch.setattr(views_module.GraphView, "_update", counting)
    views = disk.start()
    saved = state(disk)["seq"]
    assert saved == disk.registry.audit.head().seq, "the last save named the last write"
    got = titles(views.public)
    assert {f"Written before the crash {i}" for i in range(3)} <= got
    assert views.public.rebuilds == 0 and copied == [], "the view held them: nothing was copied again"
