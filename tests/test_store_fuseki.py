"""The remote SPARQL store against a real Apache Jena Fuseki with a TDB2 database (tests/fuseki.py starts one
on loopback): the remote store's contract (tests/remote_store.py), every casebook case
(test_legal.test_casebook), the records API's round trips (tests/api/test_records_api.py) and remote_store's
registry tests, run unchanged on a Fuseki-backed registry through the fixtures remote_store overrides.
"""

from __future__ import annotations

import pytest

import fuseki
from registry.store.sparql_http import SparqlHttpStore
from remote_store import *  # noqa: F403 - fixtures and tests collected again over Fuseki
from remote_store import RemoteStoreContract

#: a Fuseki server (and the casebook and records API tests collected again over it)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def remote_location() -> str:
    return fuseki.server().location


class TestFusekiStore(RemoteStoreContract):
    def test_fuseki_is_recognised(self, remote: SparqlHttpStore) -> None:
        assert "fuseki" in remote.server.lower()
        assert remote.hidden_graphs == (), "Fuseki keeps no graphs of its own in the dataset"
