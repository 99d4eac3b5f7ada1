"""A store that stops answering gives a bounded 503 problem the client may retry, never a 500."""

from __future__ import annotations

import shutil

import pytest

import virtuoso
from conftest import Api
from registry.config import Settings
from registry.services.registry import open_registry

pytestmark = pytest.mark.slow  # starts a Virtuoso server of its own


def test_a_remote_store_going_down_is_a_503_not_a_500() -> None:
    if shutil.which("virtuoso-t") is None:
        pytest.skip(virtuoso.INSTALL_HINT)
    server = virtuoso.VirtuosoServer()  # our own, so stopping it disturbs no other test
    server.start()
    try:
        reg = open_registry(Settings(data=server.location))
        api = Api(reg)
        assert api.client.get("/datasets").status_code == 200
        server.stop()
        for resp in (api.client.get("/datasets/ohip-claims"),
                     api.client.post("/organizations", json={"id": "x", "name": "X", "kind": "ministry"},
                                     headers=api.auth())):
            assert resp.status_code == 503, resp.text
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert resp.headers["retry-after"]
        api.close()
    finally:
        server.stop()
