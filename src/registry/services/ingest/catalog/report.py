"""The import's report: what was created, updated, left unchanged, skipped and rejected (with the write
path's reasons), the organisations made for publishers, what is gone from the source, the mapping's
warnings and the source fields the registry has no place for, counted per field."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("created", "updated", "unchanged", "rejected", "skipped", "organizations_created")


@dataclass
class ImportReport:
    source: str
    format: str
    #: the catalogues the records belong to (source.catalogue)
    catalogues: list[str] = field(default_factory=list)
    found: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    organizations_created: list[dict[str, Any]] = field(default_factory=list)
    #: records of this catalogue in the registry that the source no longer lists (kept, never deleted);
    #: None when the source cannot tell (one page of a larger answer, or no catalogue named)
    gone: list[dict[str, Any]] | None = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    not_kept: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "catalogues": self.catalogues, "found": self.found,
                "counts": {k: len(getattr(self, k)) for k in OUTCOMES},
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "skipped": self.skipped,
                "organizations_created": self.organizations_created, "gone": self.gone,
                "warnings": self.warnings, "fields_not_kept": dict(sorted(self.not_kept.items(),
                                                                           key=lambda kv: (-kv[1], kv[0])))}

    def summary(self) -> list[str]:
        """The report in a few lines, for people (the CLI prints them on stderr)."""
        counts = ", ".join(f"{len(getattr(self, k))} {k.replace('_', ' ')}" for k in OUTCOMES)
        lines = [counts]
        if self.gone is None:
            lines.append("gone from the source: not judged (the source is one page of a larger answer, or names "
                         "no catalogue)")
        elif self.gone:
            lines.append(f"gone from the source: {len(self.gone)} (kept in the registry): "
                         + ", ".join(g["id"] for g in self.gone[:10]) + (", ..." if len(self.gone) > 10 else ""))
        if self.warnings:
            by_field = Counter(re.sub(r"\.\d+", "", w.get("field") or "record") for w in self.warnings)
            lines.append("warnings: " + ", ".join(f"{k} ({n})" for k, n in by_field.most_common()))
        if self.not_kept:
            lines.append("fields not kept: " + ", ".join(f"{k} ({n})" for k, n in
                                                         sorted(self.not_kept.items(), key=lambda kv: (-kv[1], kv[0]))))
        return lines
