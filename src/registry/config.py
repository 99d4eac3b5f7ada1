"""Settings, read only here, from REGISTRY_* environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the registry reads; each is documented in the README with its default."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    #: where the embedded store lives; "memory" keeps it in memory (tests)
    data: str = "./var/registry"
    #: IRIs of records are {base_iri}/{kind}/{id}
    base_iri: str = "https://registry.example.org"
    #: the largest request body accepted, in bytes
    max_body_bytes: int = 1_000_000
    #: the largest page a list may ask for
    max_page_size: int = 500
    #: text search: up to this many matches are ordered by relevance (all of them when there are no
    #: more; above, the most recently written this many first, then the rest, most recent first)
    search_rank_limit: int = 5000
    #: requests a minute per token (or per client address for anonymous callers); 0 turns the limit off
    rate_per_minute: int = 3000
    #: directory of the repository's reference files (ontology/, shapes/, sparql/); found automatically
    resources_dir: Path | None = None
    #: POST /api/v1/lineage: the organisation (id) that publishes the datasets an event sent with an admin
    #: token names for the first time (a steward's events publish them under the steward's organisation)
    openlineage_publisher: str | None = None
    #: POST /api/v1/lineage: the placeholder steward of datasets first seen in an event, until a steward
    #: completes them (a deployment points the address at the mailbox of its data-governance office)
    openlineage_steward_name: str = "Steward to be assigned"
    openlineage_steward_email: str = "steward-needed@registry.invalid"
    #: /sparql: the longest a query may run, in seconds (503 after)
    sparql_timeout_seconds: float = 10.0
    #: /sparql: the most result rows (or triples) an answer may hold (400 above)
    sparql_max_rows: int = 10_000
    #: /sparql: how many queries of signed-in callers may be running or waiting for an evaluator process at
    #: once (503 beyond)
    sparql_max_concurrent: int = 4
    #: /sparql: the same for anonymous callers, whose queries run in evaluator processes of their own
    sparql_anonymous_max_concurrent: int = 2
    #: /sparql: evaluator processes for each of the two (signed-in, anonymous), at most their
    #: max_concurrent; 0: one per core. A query waits for a free one up to the timeout (503 after)
    sparql_processes: int = 0
    #: /sparql: the memory an evaluator process may use, in MB (besides its 1 GB stack); past it, the
    #: query fails with 400 and the process is replaced
    sparql_memory_mb: int = 2048
    #: /catalog: the catalogue's title and the name of its publisher (the body running the registry)
    catalog_title: str = "Government data-sharing registry"
    catalog_publisher: str = "Registry operator"

    @property
    def in_memory(self) -> bool:
        return self.data == "memory"

    def index_path(self) -> Path | None:
        """The SQLite catalogue index beside an on-disk store: {data}.index.sqlite (None in memory)."""
        if "://" in self.data or self.in_memory:
            return None
        data = Path(self.data)
        return data.with_name(data.name + ".index.sqlite")
