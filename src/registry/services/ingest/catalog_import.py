"""The catalogue import's entry points (the package registry.services.ingest.catalog holds its parts)."""

from registry.services.ingest.catalog.harvest import CatalogError
from registry.services.ingest.catalog.ids import slugify, stable_id
from registry.services.ingest.catalog.importer import ImportOptions, import_catalog
from registry.services.ingest.catalog.report import ImportReport

__all__ = ["CatalogError", "ImportOptions", "ImportReport", "import_catalog", "slugify", "stable_id"]
