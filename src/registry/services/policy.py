"""Who may read and write what, written once: the steward's scope (its organisation and its units), whose
restricted fields a caller reads, who writes which records, and who gives an organisation legal status
(only privacy officers and admins: a steward may not grant it to its own records)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rdflib import Graph

from registry.domain.model import RecordKind
from registry.domain.model.organization import governed_by
from registry.errors import Forbidden
from registry.iris import Iris, is_slug
from registry.resources import Resources
from registry.services.auth import Caller
from registry.store.base import Store

#: the legal-status fields of an organisation; a field the model gains is one more name here
LEGAL_STATUS_FIELDS: tuple[str, ...] = ("kind", "designated_under", "governed_by", "designation_reference")
#: the values of `kind` that are a legal status; the other kinds (ministry, agency, ...) are not
LEGAL_KINDS = frozenset({"data-integration-unit", "prescribed-entity"})
#: the roles that set or change legal status
GRANTORS = ("privacy-officer", "admin")
#: the roles that write records at all
WRITER_ROLES = ("admin", "privacy-officer", "steward")
#: the roles that read every record's restricted fields
READERS_OF_ALL = ("privacy-officer", "admin")


def _value(name: str, org: dict[str, Any] | None) -> Any:
    """One legal-status field of a record in a comparable form: None for none at all."""
    value = (org or {}).get(name)
    if name == "kind":
        return value if value in LEGAL_KINDS else None
    if name == "governed_by":  # the default of the kind is no legal status of its own
        kind = (org or {}).get("kind")
        stated = governed_by(kind, value)
        return tuple(stated) if stated != governed_by(kind) else None
    if isinstance(value, list | tuple | set):
        return tuple(sorted({str(v) for v in value})) or None
    return value if value not in ("", {}) else None


def legal_status_changes(new: dict[str, Any] | None, current: dict[str, Any] | None) -> list[str]:
    """The legal-status fields whose value `new` sets or changes against `current` (None: a record being
    created, or retired), in the order of LEGAL_STATUS_FIELDS."""
    return [f for f in LEGAL_STATUS_FIELDS if _value(f, new) != _value(f, current)]


def may_change_legal_status(role: str) -> bool:
    return role in GRANTORS


class Policy:
    """The rules of access over one store: a steward's scope is its organisation and its units."""

    def __init__(self, store: Store, iris: Iris, resources: Resources) -> None:
        self.store, self.iris, self.res = store, iris, resources

    def within(self, org: str, ancestor: str | None) -> bool:
        """Whether `org` is `ancestor` or one of its units (at any depth)."""
        if ancestor is None:
            return False
        if org == ancestor:
            return True
        rows = self.store.select(self.res.query("units-of"), {
            "unit": self.iris.record("organization", org), "org": self.iris.record("organization", ancestor)})
        return bool(rows)

    def authorize_write(self, kind: RecordKind, new: dict[str, Any] | None, current: dict[str, Any] | None,
                        caller: Caller) -> None:
        """A steward writes only records that belong, before and after the change, to its organisation
        or its units, and only draft agreements: approving one is a privacy officer's act. An
        organisation's legal status is set or changed only by privacy officers and admins."""
        if caller.role not in WRITER_ROLES:
            raise Forbidden("writing records needs a steward, privacy-officer or admin token")
        if kind.legal_status and new is not None and not may_change_legal_status(caller.role):
            changed = legal_status_changes(new, current)
            if changed:
                raise Forbidden(f"only a privacy officer or an admin sets or changes an organisation's legal "
                                f"status: {', '.join(changed)}", fields=changed, organization=new.get("id"))
        if caller.role != "steward":
            return
        for state in (current, new):
            if state is None:
                continue
            owner = kind.owner(state)
            if owner is None or not self.within(owner, caller.org):
                raise Forbidden(f"a steward of {caller.org!r} writes only records of that organisation "
                                f"and its units", organization=caller.org)
        if kind.approved_by_officers:
            for state in (current, new):
                if state is not None and state.get("status") not in (None, "draft"):
                    raise Forbidden("only a privacy officer approves or changes an agreement that is not a "
                                    "draft: a steward may save drafts", status=state.get("status"))

    def may_record_disposal(self, recipient: str | None, caller: Caller) -> bool:
        """A disposal is the recipient's act: a steward whose scope holds the agreement's recipient (its
        organisation or one above it, as for the recipient's own records) records it, and privacy officers
        and admins."""
        if caller.role in READERS_OF_ALL:
            return True
        return caller.role == "steward" and recipient is not None and self.within(recipient, caller.org)

    def reads_disposals(self, parties: Iterable[str | None], caller: Caller) -> bool:
        """Who reads an agreement's disposals (attesters' names and e-mails included): privacy officers,
        admins, and stewards whose scope holds either party."""
        if caller.role in READERS_OF_ALL:
            return True
        return caller.role == "steward" and any(p is not None and self.within(p, caller.org) for p in parties)

    def reads_restricted(self, kind: RecordKind, caller: Caller) -> Callable[[str], bool]:
        """Whose restricted fields the caller reads, record by record: a privacy officer's and an admin's
        every record's; a steward's only those of records of its organisation or its units (the records it
        may write, so it can read one, change it and send it back whole); an anonymous caller's none."""
        if caller.role in READERS_OF_ALL:
            return lambda rid: True
        if caller.role != "steward" or caller.org is None:
            return lambda rid: False
        org = caller.org

        def own(rid: str) -> bool:
            if not is_slug(rid):
                return False
            public = self.store.graph(self.iris.public_graph(kind.name, rid))
            if not public:
                return False
            g = Graph()
            for t in public:
                g.add(t)
            owner = kind.owner(kind.from_rdf(g, self.iris.record(kind.name, rid), self.iris))
            return owner is not None and self.within(owner, org)

        return own
