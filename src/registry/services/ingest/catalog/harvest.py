"""What a reader hands the import: each source dataset mapped to the registry's JSON, with its publisher,
the warnings its mapping raised and the source fields it had no place for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from registry.errors import BadInput


class CatalogError(BadInput):
    """The catalogue could not be read at all (not found, not reachable, not valid in its format, empty)."""


@dataclass
class Publisher:
    """An organisation to register for a publisher the source names."""

    id: str
    name: str
    source: str  #: the publisher's IRI or id in the source


@dataclass
class Harvested:
    """One dataset of the source, mapped to the registry's JSON."""

    source_id: str
    data: dict[str, Any]
    publisher: Publisher | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    #: source fields (by name) with a value the registry has no place for, and how many values
    not_kept: Counter[str] = field(default_factory=Counter)
    #: why the record could not be read at all (it is rejected, the others are imported)
    unreadable: str | None = None

    def warn(self, fld: str, message: str) -> None:
        self.warnings.append({"field": fld, "message": message})

    def drop(self, fld: str, count: int = 1) -> None:
        self.not_kept[fld] += count


@dataclass
class Harvest:
    """Every dataset of one source (each names its catalogue in `data["source"]`)."""

    records: list[Harvested]
    #: one page of a larger answer: records it does not list are not gone from the source
    partial: bool = False

    def catalogues(self) -> list[str]:
        return sorted({c for h in self.records if isinstance(c := h.data.get("source", {}).get("catalogue"), str)})
