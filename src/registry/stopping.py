"""Stopping long background work early: a server that shuts down while it is still warming its
indexes must not close the store under them.

The thread that does the work runs it inside `stoppable(event)`; the long loops it goes through
(index and view rebuilds) call `checkpoint()` between batches, which raises `Stopped` once the event
is set. In any other thread (a request, a CLI command) `checkpoint()` does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


class Stopped(Exception):  # noqa: N818 - a signal, not an error
    """The work was asked to stop (the process is shutting down)."""


@contextmanager
def stoppable(event: threading.Event) -> Iterator[None]:
    """Make `checkpoint()` in this thread raise `Stopped` once `event` is set."""
    previous = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = previous


def checkpoint() -> None:
    event: threading.Event | None = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise Stopped("stopped: the process is shutting down")
