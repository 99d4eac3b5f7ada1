"""The registry as one object: the store and the services over it, opened from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from registry.config import Settings
from registry.iris import Iris
from registry.projections.catalog_index import CatalogIndex
from registry.projections.follower import Follower
from registry.projections.lineage import LineageIndex
from registry.projections.lineage_file import lineage_path
from registry.projections.register import Register
from registry.projections.views import Views, views_home
from registry.resources import Resources, resources
from registry.services.auth import Tokens
from registry.services.legal import LegalEngine
from registry.services.policy import Policy
from registry.services.records import Records
from registry.services.reference import load_reference_graphs
from registry.services.share_checks import ShareChecks
from registry.shacl.validator import ShaclValidator
from registry.store import Store, open_store
from registry.store.audit import AuditLog
from registry.store.oxigraph import OxigraphStore


@dataclass
class Registry:
    settings: Settings
    store: Store
    iris: Iris
    resources: Resources
    validator: ShaclValidator
    records: Records
    policy: Policy
    tokens: Tokens
    share_checks: ShareChecks
    audit: AuditLog
    lineage: LineageIndex
    index: CatalogIndex
    #: what each kind of caller may query by SPARQL (on disk beside an on-disk store)
    views: Views
    #: feeds the projections (catalogue index, lineage graph, views) the audit log's entries
    follower: Follower
    #: what the transparency register reads of each record, kept per record
    register: Register
    #: the store was opened read-only, as it was at that moment (a running server holds it)
    read_only: bool = False

    def warm(self) -> None:
        """Bring the projections up to date now (the server does it at start-up, so the first request
        after a bulk load does not wait for them); stoppable (registry.stopping)."""
        self.follower.warm()

    def close(self) -> None:
        self.follower.close()
        self.store.close()


#: one validator per set of resources for the life of the process: its shapes are compiled once, not per
#: registry, and each validation takes a graph of its own in its scratch store, so registries and threads share it
shared_validator = cache(ShaclValidator)


def open_registry(settings: Settings | None = None, *, read_only_fallback: bool = False) -> Registry:
    """The registry over the store the settings name. With `read_only_fallback`, a store a running server
    holds is opened read-only (for commands that only read): its reference graphs are then the server's,
    and its catalogue index is a scratch one in memory."""
    settings = settings or Settings()
    res = resources(str(settings.resources_dir) if settings.resources_dir else None)
    store = open_store(settings.data, read_only_fallback=read_only_fallback)
    read_only = isinstance(store, OxigraphStore) and store.read_only
    iris = Iris(settings.base_iri)
    if not read_only:
        load_reference_graphs(store, iris, res)
    validator = shared_validator(res)
    audit_log = AuditLog(store, iris, res)
    follower = Follower(audit_log)
    audit_log.subscribe(follower.committed)  # a write is in the projections when it returns
    index = follower.add(CatalogIndex(None if read_only else settings.index_path(), store, iris, res, follower,
                                      settings.search_rank_limit))
    lineage = follower.add(LineageIndex(store, iris, res, follower, lineage_path(store)))
    views = Views(store, iris, audit_log, home=views_home(store), follower=follower)  # built on first use
    register = follower.add(Register(store, iris, res, follower, lineage, index))
    policy = Policy(store, iris, res)
    records = Records(store, iris, res, validator, audit_log, lineage, index, policy)
    return Registry(
        settings=settings,
        store=store,
        iris=iris,
        resources=res,
        validator=validator,
        records=records,
        policy=policy,
        tokens=Tokens(store, iris, res, audit_log, follower),
        share_checks=ShareChecks(store, iris, res, LegalEngine(store, iris, res, lineage), audit_log, records),
        audit=audit_log,
        lineage=lineage,
        index=index,
        views=views,
        follower=follower,
        register=register,
        read_only=read_only,
    )
