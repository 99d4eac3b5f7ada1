"""Who may give an organisation legal status.

An organisation's legal status decides what the legal-basis engine trusts: a data integration unit
designated under FIPPA Part III.1 may collect identifiable personal information indirectly, a prescribed
entity receives health information under PHIPA s. 45. It is set or changed only by privacy officers and
admins (API.md, Records); a steward, who writes its own organisation's records, may not grant it to
them. The check compares JSON forms (what every body, JSON, JSON-LD or Turtle, is read into before it
is written), so it holds for every way of spelling the same record.
"""

from __future__ import annotations

from typing import Any

#: the legal-status fields of an organisation; a field the model gains (governed_by, designation_reference)
#: is one more name here
LEGAL_STATUS_FIELDS: tuple[str, ...] = ("kind", "designated_under")
#: the values of `kind` that are a legal status; the other kinds (ministry, agency, ...) are not
LEGAL_KINDS = frozenset({"data-integration-unit", "prescribed-entity"})
#: the roles that set or change legal status
GRANTORS = ("privacy-officer", "admin")


def _value(name: str, org: dict[str, Any] | None) -> Any:
    """One legal-status field of a record in a comparable form: None for none at all."""
    value = (org or {}).get(name)
    if name == "kind":
        return value if value in LEGAL_KINDS else None
    if isinstance(value, list | tuple | set):
        return tuple(sorted({str(v) for v in value})) or None
    return value if value not in ("", {}) else None


def legal_status_changes(new: dict[str, Any] | None, current: dict[str, Any] | None) -> list[str]:
    """The legal-status fields whose value `new` sets or changes against `current` (None: a record being
    created, or retired), in the order of LEGAL_STATUS_FIELDS."""
    return [f for f in LEGAL_STATUS_FIELDS if _value(f, new) != _value(f, current)]


def may_change_legal_status(role: str) -> bool:
    return role in GRANTORS
