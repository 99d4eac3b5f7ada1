"""Record kinds: pydantic input models and their mapping to and from RDF, one module per kind."""

from registry.domain.model.agreement import AGREEMENT
from registry.domain.model.common import RecordKind
from registry.domain.model.dataset import DATASET
from registry.domain.model.organization import ORGANIZATION
from registry.iris import Iris

KINDS: dict[str, RecordKind] = {k.name: k for k in (ORGANIZATION, DATASET, AGREEMENT)}
BY_COLLECTION: dict[str, RecordKind] = {k.collection: k for k in KINDS.values()}

__all__ = ["AGREEMENT", "BY_COLLECTION", "DATASET", "KINDS", "ORGANIZATION", "Iris", "RecordKind"]
