"""The registry as one object: the store and the services over it, opened from settings."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from registry.audit import AuditLog
from registry.auth import Tokens
from registry.catalog_index import CatalogIndex
from registry.config import Settings
from registry.legal import LegalEngine
from registry.lineage import LineageIndex
from registry.model.common import Iris
from registry.records import Records
from registry.resources import Resources, resources
from registry.share_checks import ShareChecks
from registry.stopping import checkpoint
from registry.store import Store, open_store
from registry.validation import ShaclValidator


@dataclass
class Registry:
    settings: Settings
    store: Store
    iris: Iris
    resources: Resources
    validator: ShaclValidator
    records: Records
    tokens: Tokens
    share_checks: ShareChecks
    audit: AuditLog
    lineage: LineageIndex
    index: CatalogIndex

    def warm(self) -> None:
        """Bring the lineage and catalogue indexes up to date now (the server does it at start-up, so
        the first request after a bulk load does not wait for them)."""
        self.index.sync()
        checkpoint()
        self.lineage.ensure()

    def close(self) -> None:
        self.index.close()
        self.store.close()


def load_reference_graphs(store: Store, iris: Iris, res: Resources) -> None:
    """Reference graphs (ontology, authorities, vocabularies, shapes) come from the repository's
    files at every start, so they are versioned with the code."""
    graphs: dict[str, Graph] = res.reference_graphs()
    store.replace_graphs({iris.reference_graph(name): list(g) for name, g in graphs.items()})


def open_registry(settings: Settings | None = None) -> Registry:
    settings = settings or Settings()
    res = resources(str(settings.resources_dir) if settings.resources_dir else None)
    store = open_store(settings.data)
    iris = Iris(settings.base_iri)
    load_reference_graphs(store, iris, res)
    validator = ShaclValidator(res)
    audit_log = AuditLog(store, iris, res)
    lineage = LineageIndex(store, iris, res, audit_log)
    records = Records(store, iris, res, validator, audit_log, lineage)
    records.index = index = CatalogIndex(settings.index_path(), records, audit_log,
                                                settings.search_rank_limit)  # synced on first use
    return Registry(
        settings=settings,
        store=store,
        iris=iris,
        resources=res,
        validator=validator,
        records=records,
        tokens=Tokens(store, iris, res, audit_log),
        share_checks=ShareChecks(store, iris, res, LegalEngine(store, iris, res, lineage), audit_log, records),
        audit=audit_log,
        lineage=lineage,
        index=index,
    )
