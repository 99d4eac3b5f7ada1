"""Read-only copies of stores on disk, one per position of the audit chain, for the SPARQL evaluator
processes: a process can only read a store no one writes (Oxigraph's read-only mode), so each position
a query needs gets its own copy, made by `Store.snapshot` (a RocksDB checkpoint of an on-disk store, a
written-out copy of one in memory, a copy of a remote store read through the protocol). A copy is
removed once it is no longer the newest and no process has it open.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import Hashable
from pathlib import Path

from registry.store.base import Store


class Snapshots:
    """The snapshots of the stores one app serves, in `folder` (a fresh temporary folder when None)."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="registry-sparql-"))
        else:
            shutil.rmtree(folder, ignore_errors=True)  # left by a server that stopped without closing
            folder.mkdir(parents=True)
            self.folder = folder
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}  # one per name: a slow copy holds up only its own store
        self._current: dict[str, tuple[Hashable, str]] = {}  # name -> (key, path of its newest snapshot)
        self._retired: list[str] = []
        self._leases: dict[str, int] = {}  # path -> queries given it and not yet done
        #: how many snapshots were made (tests, logs)
        self.made = 0

    def path(self, name: str, key: Hashable, store: Store) -> str:
        """The snapshot of `store` (known as `name`) at `key`, made now unless the newest one is at `key`.
        The caller holds whatever keeps `store` at `key` meanwhile, and `release`s the path when its query
        is done: until then no `sweep` removes it."""
        with self._lock:
            making = self._making.setdefault(name, threading.Lock())
        with making:
            with self._lock:
                current = self._current.get(name)
                if current is not None and current[0] == key:
                    return self._lease(current[1])
                self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{name}-{uuid.uuid4().hex[:12]}"
            store.snapshot(target)
            made = str(target)
            with self._lock:
                current = self._current.get(name)
                if current is not None:
                    self._retired.append(current[1])
                self._current[name] = (key, made)
                self.made += 1
                return self._lease(made)

    def leased(self, name: str, key: Hashable) -> str | None:
        """The newest snapshot of `name` when it is at `key` (leased, as `path` leases it), else None: a
        check that never waits for a copy being made."""
        with self._lock:
            current = self._current.get(name)
            return self._lease(current[1]) if current is not None and current[0] == key else None

    def _lease(self, path: str) -> str:
        self._leases[path] = self._leases.get(path, 0) + 1
        return path

    def release(self, path: str) -> None:
        """The query given `path` is done with it."""
        with self._lock:
            left = self._leases.get(path, 0) - 1
            if left > 0:
                self._leases[path] = left
            else:
                self._leases.pop(path, None)

    @property
    def retiring(self) -> bool:
        """Whether a snapshot no longer the newest is still there: a `sweep` may remove it (read without the
        lock: one retired meanwhile is seen by the next look)."""
        return bool(self._retired)

    def sweep(self, in_use: set[str]) -> None:
        """Remove the retired snapshots no process has open and no query still holds."""
        with self._lock:
            keep = []
            for p in self._retired:
                if p in in_use or p in self._leases:
                    keep.append(p)
                else:
                    shutil.rmtree(p, ignore_errors=True)
            self._retired = keep

    def close(self) -> None:
        with self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._current.clear()
            self._retired.clear()
            self._leases.clear()
