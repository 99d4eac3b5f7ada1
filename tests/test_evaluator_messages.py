"""The messages between the SPARQL evaluator pool and its processes (store/evaluator.py): an outcome goes
and comes back whole, and what is not an outcome is refused as data (never unpickled or evaluated)."""

from __future__ import annotations

import socket

import pytest

from registry.store.evaluator import Outcome, decode_outcome, read_message, send_outcome

KINDS = ["ready", "opened", "solutions", "boolean", "triples", "syntax", "failed", "too-large", ""]
PAYLOADS = [b"", b"?s\t?id\n<urn:a>\t\"1\"\n", "é ✓ \x00\xff".encode(), bytes(range(256)) * 300]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("boolean", [False, True])
def test_an_outcome_comes_back_whole(kind: str, boolean: bool) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        for payload in PAYLOADS:
            send_outcome(theirs, Outcome(kind, payload, boolean))
            assert decode_outcome(read_message(ours)) == Outcome(kind, payload, boolean)


@pytest.mark.parametrize("message", [b"", b"\x00", b"\x00\x05abc", b"\x02\x05kinds", b"\x00\x02\xc3\xa9",
                                     b"\xff\x00", b'{"kind": "solutions", "boolean": false}'])
def test_what_is_not_an_outcome_is_refused(message: bytes) -> None:
    with pytest.raises(OSError):
        decode_outcome(message)
