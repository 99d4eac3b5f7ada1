"""The remote SPARQL store against a real Apache Jena Fuseki with a TDB2 database (tests/fuseki.py starts one
on loopback): the remote store's contract (tests/remote_store.py), every casebook case
(test_legal.test_casebook), the records API's round trips (tests/api/test_records_api.py) and remote_store's
registry tests, run unchanged on a Fuseki-backed registry through the fixtures remote_store overrides.
"""

from __future__ import annotations

import pytest

import fuseki
from api.test_records_api import (  # noqa: F401 - collected here again, over Fuseki
    test_delete_retires,
    test_duplicate_post_is_409_and_changes_nothing,
    test_etag_and_if_match,
    test_list_filters_and_search,
    test_list_pages,
    test_post_creates_and_get_reads_back,
    test_post_json_ld_with_our_context,
    test_post_turtle,
    test_put_replaces,
    test_rdf_round_trip_get_then_put,
    test_turtle_and_json_ld_output,
)
from registry.store.sparql_http import SparqlHttpStore
from remote_store import (  # noqa: F401 - fixtures and tests over Fuseki
    RemoteStoreContract,
    registry,
    test_registry_admin_sparql_answers_from_a_local_copy,
    test_registry_ancestors_of_an_organisation_at_every_depth,
    test_registry_export_and_load_between_the_server_and_oxigraph,
    test_registry_keeps_the_audit_chain,
    test_registry_validate_agrees_with_oxigraph,
    wapi,
    world_api,
    world_registry,
)
from test_legal import test_casebook  # noqa: F401 - collected here again, over Fuseki

#: a Fuseki server (and the casebook and records API tests collected again over it)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def remote_location() -> str:
    return fuseki.server().location


class TestFusekiStore(RemoteStoreContract):
    def test_fuseki_is_recognised(self, remote: SparqlHttpStore) -> None:
        assert "fuseki" in remote.server.lower()
        assert remote.hidden_graphs == (), "Fuseki keeps no graphs of its own in the dataset"
