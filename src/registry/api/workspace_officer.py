"""The privacy officer's pages of the workspace: the share-check form and its answer (reasons, conditions
and the basis chain to the statute), past checks with filters, agreements to approve, suspend or
terminate (each with a reason, kept in the audit entry), agreements about to expire and overdue disposals,
the audit log and its verification, and organisations' legal status. Each calls the service its REST route
calls: the legal-basis engine, the ledger, the audit log, the write path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.responses import Response

from registry.api.workspace_frame import OFFICERS, WRITERS, Ws, as_json, choices, page
from registry.domain.model import AGREEMENT, ORGANIZATION
from registry.errors import BadInput, NotFound, PreconditionFailed, ValidationFailed
from registry.iris import is_slug
from registry.services.agreement_status import ACTIONS, change_status
from registry.services.check_history import DECISIONS, FILTERS, find_checks
from registry.services.disposals import Disposals
from registry.services.records import READ_ONLY
from registry.services.reports.transparency import Transparency
from registry.services.stewardship import clean
from registry.web import workspace_forms as forms
from registry.web.workspace_forms import Problems

PAGE = 25


# ------------------------------------------------------------------------------------- share checks
def _proposal(values: forms.Values) -> dict[str, Any]:
    data = forms.record_of(forms.SHARE_CHECK, values)
    data.setdefault("datasets", [])
    return data


@page("/share-check", methods=("GET", "POST"), roles=WRITERS)
def share_check(ws: Ws) -> Response:
    """The form; sent, the engine's answer below it (the check is recorded, as POST /share-checks does)."""
    spec = forms.SHARE_CHECK
    values: forms.Values = {}
    answer, status, problems = None, 200, Problems()
    if ws.request.method == "POST":
        values, _blanks = forms.values_from_form(spec, ws.form)
        if ws.value("action").startswith("more:"):
            values["+datasets"] = 1
        else:
            try:
                answer = ws.registry.share_checks.run(_proposal(values), ws.caller)
            except ValidationFailed as e:
                status, problems = 422, forms.problems(spec, e.violations, values)
    return ws.render("share_check.html", status=status, title=ws.title("share-check"), spec=spec, values=values,
                     problems=problems, options=choices(ws), plain=lambda n: forms.plain_of(spec, n),
                     answer=answer)


@page("/share-checks", roles=OFFICERS)
def past_checks(ws: Ws) -> Response:
    query = ws.request.query_params
    filters = {name: query.get(name, "").strip() for name in FILTERS}
    offset = _number(query.get("offset", "0"), "offset")
    found = find_checks(ws.registry, filters, ws.caller, PAGE, offset)
    return ws.render("share_checks.html", title=ws.title("share-checks"), found=found, filters=filters,
                     decisions=DECISIONS, options=choices(ws), offset=offset, size=PAGE)


def _number(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise BadInput(f"{name} is a whole number", field=name)
    return int(raw)


# --------------------------------------------------------------------------------------- approvals
@page("/approvals", roles=OFFICERS)
def approvals(ws: Ws) -> Response:
    return ws.render("approvals.html", title=ws.title("approvals"), groups=_groups(ws), actions=ACTIONS,
                     done=ws.request.query_params.get("done", ""))


def _groups(ws: Ws) -> dict[str, dict[str, Any]]:
    """Drafts awaiting approval, then agreements in force and suspended ones."""
    groups = {}
    for status in ("draft", "active", "suspended"):
        found = ws.registry.records.list(AGREEMENT, filters={"status": status}, limit=200, full=False)
        groups[status] = {"items": found.items, "total": found.total}
    return groups


@page("/agreements/{rid}/status", methods=("POST",), roles=OFFICERS)
def set_status(ws: Ws, rid: str) -> Response:
    action = ws.value("action")
    try:
        change_status(ws.registry, rid, action, ws.value("reason"), ws.caller)
    except ValidationFailed as e:
        found = Problems()
        for v in e.violations:
            found.add(v.field or "", v)
        return ws.render("approvals.html", status=422, title=ws.title("approvals"), groups=_groups(ws), actions=ACTIONS,
                         failed=rid, problems=found, done="")
    return ws.redirect("/workspace/approvals", done=f"{action}:{rid}")


# --------------------------------------------------------------------------------------- deadlines
@page("/deadlines", roles=OFFICERS)
def deadlines(ws: Ws) -> Response:
    """Agreements in force that end within 90 days (the transparency register's list) and the shares
    overdue for disposal today (the ledger)."""
    today = dt.date.today()
    report = Transparency(ws.registry, ws.registry.views.public).report(today)
    overdue = Disposals(ws.registry).overdue(today, limit=200)
    return ws.render("deadlines.html", title=ws.title("deadlines"), expiring=report.expiring, overdue=overdue)


# ----------------------------------------------------------------------------------------- audit log
@page("/audit", roles=OFFICERS)
def audit_log(ws: Ws) -> Response:
    query = ws.request.query_params
    offset = _number(query.get("offset", "0"), "offset")
    items, total = ws.registry.audit.entries(50, offset)
    verified = ws.registry.audit.verify().as_json() if query.get("verify") == "yes" else None
    return ws.render("audit.html", title=ws.title("audit"), items=items, total=total, offset=offset, size=50,
                     verified=verified)


# ------------------------------------------------------------------------------------- legal status
@page("/organizations", roles=OFFICERS)
def organizations_page(ws: Ws) -> Response:
    items = ws.registry.records.list(ORGANIZATION, limit=500, full=False).items
    return ws.render("organizations.html", title=ws.title("organizations"), items=sorted(items, key=lambda o: o["id"]),
                     saved=ws.request.query_params.get("saved", ""))


@page("/organizations/{rid}/legal-status", methods=("GET", "POST"), roles=OFFICERS)
def legal_status(ws: Ws, rid: str) -> Response:
    """An organisation's legal status (its kind, unit kind, designations, statutes, designation reference),
    written with the rest of its record as it is (only privacy officers and admins set it: Policy)."""
    records = ws.registry.records
    if not is_slug(rid) or not records.exists(ORGANIZATION, rid):
        raise NotFound(f"no organisation {rid[:100]!r}", kind="organization", id=rid[:100])
    current, etag = records.read(ORGANIZATION, rid, full=True)
    current = clean(current)
    spec = forms.LEGAL_STATUS
    status, problems = 200, Problems()
    values = forms.values_of(spec, current)
    if ws.request.method == "POST":
        values, _blanks = forms.values_from_form(spec, ws.form)
        new = forms.carry_over(current, forms.record_of(spec, values), spec, READ_ONLY)
        if not new.get("governed_by"):
            new.pop("governed_by", None)  # none chosen: the default of its kind
        try:
            records.write(ORGANIZATION, new, ws.caller, create=False, rid=rid, if_match=f'"{ws.value("etag")}"')
        except ValidationFailed as e:
            status, problems = 422, forms.problems(spec, e.violations, values)
        except PreconditionFailed:
            status = 409
            values = forms.values_of(spec, current)
        else:
            return ws.redirect("/workspace/organizations", saved=rid)
    return ws.render("legal_status.html", status=status, title=ws.title("legal-status", id=rid), spec=spec,
                     values=values, problems=problems, options=choices(ws), plain=lambda n: forms.plain_of(spec, n),
                     rid=rid, etag=etag, record=current, changed=status == 409, base=as_json(current))
