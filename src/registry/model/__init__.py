"""Record kinds: pydantic input models and their mapping to and from RDF, one module per kind."""

from registry.model.agreement import AGREEMENT
from registry.model.common import Iris, RecordKind
from registry.model.dataset import DATASET
from registry.model.organization import ORGANIZATION

KINDS: dict[str, RecordKind] = {k.name: k for k in (ORGANIZATION, DATASET, AGREEMENT)}
BY_COLLECTION: dict[str, RecordKind] = {k.collection: k for k in KINDS.values()}

__all__ = ["AGREEMENT", "BY_COLLECTION", "DATASET", "KINDS", "ORGANIZATION", "Iris", "RecordKind"]
