"""A privacy officer's acts on an agreement: approve a draft (or reinstate a suspended one), suspend an
active one, terminate one, each with the reason given, written through the write path (Policy: only
privacy officers and admins change an agreement that is not a draft) and kept in the change's audit entry."""

from __future__ import annotations

from registry.domain.model import AGREEMENT
from registry.errors import Conflict, NotFound, ValidationFailed, Violation
from registry.iris import is_slug
from registry.services.auth import Caller
from registry.services.records import WriteResult
from registry.services.registry import Registry
from registry.services.stewardship import clean

#: action -> (the statuses it applies to, the status it sets)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"draft", "suspended"}), "active"),
    "suspend": (frozenset({"active"}), "suspended"),
    "terminate": (frozenset({"draft", "active", "suspended"}), "terminated"),
}
MAX_REASON = 1000


def _refuse(field: str, message: str, value: str | None = None) -> ValidationFailed:
    return ValidationFailed([Violation(focus_node="status-change", path=None, field=field, message=message,
                                       value=value)])


def change_status(registry: Registry, aid: str, action: str, reason: str, caller: Caller) -> WriteResult:
    """Apply `action` to agreement `aid`, `reason` kept in the audit entry. 422 for an unknown action or no
    reason, 409 when the agreement's status does not allow the action, 403 for a caller the write rule
    refuses."""
    if action not in ACTIONS:
        raise _refuse("action", f"the action is one of: {', '.join(ACTIONS)}", action[:100])
    reason = reason.strip()
    if not reason:
        raise _refuse("reason", "give the reason for the change: it is kept in the audit log")
    if len(reason) > MAX_REASON:
        raise _refuse("reason", f"the reason is at most {MAX_REASON} characters")
    records = registry.records
    if not is_slug(aid) or not records.exists(AGREEMENT, aid):
        raise NotFound(f"no agreement {aid[:100]!r}", kind="agreement", id=aid[:100])
    current, etag = records.read(AGREEMENT, aid, full=True)
    allowed, status = ACTIONS[action]
    if current.get("status") not in allowed:
        raise Conflict(f"agreement {aid!r} is {current.get('status') or 'without a status'}: it cannot be "
                       f"{'approved' if action == 'approve' else action + 'ed'}", status=current.get("status"))
    # the ETag read here: a change made meanwhile is not overwritten (412)
    return records.write(AGREEMENT, {**clean(current), "status": status}, caller, create=False, rid=aid,
                         if_match=f'"{etag}"', reason=reason)
