"""The one follower of the audit log: it feeds each projection the entries past its position, rebuilds a
projection whose position the chain no longer continues from, and locks each while it changes or is read."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from registry.projections.base import Entry, Head, Projection
from registry.stopping import checkpoint
from registry.store.audit import AuditLog

log = logging.getLogger("registry")

P = TypeVar("P", bound=Projection)


class Follower:
    """Keeps projections in step with one audit log. A read catches its projection up first (writes of
    another process or replica over the same store included); a commit of this process is applied at once
    to every projection that is one entry behind (`committed`, subscribed to the log by the registry)."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._guard = threading.Lock()
        self._projections: dict[str, tuple[Projection, threading.RLock]] = {}

    # ---------------------------------------------------------------- projections
    def add(self, projection: P) -> P:
        with self._guard:
            if projection.name in self._projections:
                raise ValueError(f"a projection named {projection.name!r} follows this log already")
            self._projections[projection.name] = (projection, threading.RLock())
        return projection

    def remove(self, projection: Projection) -> None:
        """Close the projection and stop feeding it."""
        with self._lock(projection):
            projection.close()
        with self._guard:
            self._projections.pop(projection.name, None)

    def projections(self) -> list[Projection]:
        with self._guard:
            return [p for p, _lock in self._projections.values()]

    def _lock(self, projection: Projection) -> threading.RLock:
        with self._guard:
            found = self._projections.get(projection.name)
        if found is None or found[0] is not projection:
            raise KeyError(f"the projection {projection.name!r} does not follow this log")
        return found[1]

    def head(self) -> Head:
        """The head of the log (a projection's rebuild starts from it)."""
        return self.audit.head()

    # ---------------------------------------------------------------- following
    @contextmanager
    def reading(self, projection: Projection) -> Iterator[None]:
        """Bring `projection` up to date with the log, and hold it there while the block reads it."""
        with self._lock(projection):
            self._catch_up(projection, self.head(), ())
            yield

    def catch_up(self, projections: Iterable[Projection] | None = None) -> None:
        """Bring these projections (all by default) up to date, reading the log once past the lowest
        position. Stoppable between projections (`registry.stopping`), and within a rebuild."""
        chosen = self.projections() if projections is None else list(projections)
        head = self.head()
        behind: list[int] = []
        for p in chosen:
            with self._lock(p):
                pos = p.position()
            if pos is not None and pos.seq < head.seq:
                behind.append(pos.seq)
        entries = self.audit.since(min(behind), head.seq) if behind else []
        for p in chosen:
            checkpoint()
            with self._lock(p):
                self._catch_up(p, head, entries)

    def committed(self, entry: Entry) -> None:
        """`entry` was just appended by this process: apply it at once to each projection one entry behind
        whose lock is free. The others (busy, not open, further behind) catch up at their next read."""
        seq = entry.seq
        for p in self.projections():
            lock = self._lock(p)
            if not lock.acquire(blocking=False):
                continue
            try:
                pos = p.position()
                if pos is None or pos.seq != seq - 1:
                    continue
                if entry.previous == pos.hash:
                    p.apply([entry])
            except Exception:  # noqa: BLE001 - the write is committed: the next read catches up, or rebuilds
                log.warning("the %s index could not apply audit entry %d at once", p.name, seq, exc_info=True)
            finally:
                lock.release()

    def _catch_up(self, p: Projection, head: Head, entries: Sequence[Entry]) -> None:
        """Under p's lock: open it if it has no position, rebuild it if the log does not continue from its
        position (the chain went backwards, or was replaced: the hashes differ), apply what follows."""
        pos = p.position()
        if pos is None:
            p.open()
            pos = p.position()
        if pos is None:
            self._rebuild(p, "it holds nothing yet")
            return
        if pos == head:
            return
        if pos.seq >= head.seq:
            latest = self.head()  # `head` may be older than the position (read before the lock was taken)
            if latest != head:
                self._catch_up(p, latest, entries)
            else:
                self._rebuild(p, "the audit chain went back or was replaced")
            return
        todo = [e for e in entries if pos.seq < e.seq <= head.seq]
        if len(todo) != head.seq - pos.seq:
            todo = self.audit.since(pos.seq, head.seq)
        if not _continues(todo, pos, head):
            self._rebuild(p, "the audit chain does not continue from its position")
            return
        p.apply(todo)

    def _rebuild(self, p: Projection, why: str) -> None:
        log.info("rebuilding the %s index: %s", p.name, why)
        p.rebuild()
        pos, head = p.position(), self.head()
        if pos is not None and pos.seq < head.seq:  # written while it was rebuilt
            todo = self.audit.since(pos.seq, head.seq)
            if _continues(todo, pos, head):
                p.apply(todo)

    # ---------------------------------------------------------------- all of them
    def warm(self) -> None:
        """Bring every projection up to date now (a server at start-up, so no request waits for a build)."""
        self.catch_up()

    def invalidate(self) -> None:
        """Forget every projection's position (after a bulk load, which writes no audit entries)."""
        for p in self.projections():
            with self._lock(p):
                p.invalidate()

    def close(self, projections: Iterable[Projection] | None = None) -> None:
        """Close these projections (all by default); a later read opens them again."""
        for p in self.projections() if projections is None else projections:
            with self._lock(p):
                p.close()


def _continues(entries: Sequence[Entry], pos: Head, head: Head) -> bool:
    """Whether `entries` are the whole chain after `pos` up to `head`, the first one following `pos`."""
    return (bool(entries) and entries[0].previous == pos.hash and entries[-1].hash == head.hash
            and [e.seq for e in entries] == list(range(pos.seq + 1, head.seq + 1)))
