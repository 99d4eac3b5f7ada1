"""The steward's pages of the workspace: the records the caller writes (with their validation state), the
forms that register and edit datasets and draft agreements, and the review queue. Forms write through
`Records.write`, the write path of the REST API: its violations are shown next to their fields, the form
keeps what was typed, and nothing is saved. An edit that crossed another (its ETag changed) shows what
changed and lets the editor merge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from registry.api.workspace_frame import WRITERS, Ws, as_json, choices, page
from registry.domain.model import AGREEMENT, DATASET, RecordKind
from registry.errors import BadInput, Conflict, NotFound, PreconditionFailed, ValidationFailed, Violation
from registry.iris import is_slug
from registry.services.records import READ_ONLY
from registry.services.stewardship import assess, clean, records_of, review_queue
from registry.web import workspace_forms as forms
from registry.web.workspace_forms import Problems, Spec

PAGE = 25


@dataclass(frozen=True)
class Form:
    """A kind of record the workspace edits with a form."""

    kind: RecordKind
    spec: Spec
    new_title: str
    edit_title: str


FORMS = {"datasets": Form(DATASET, forms.DATASET, "new-dataset", "edit-dataset"),
         "agreements": Form(AGREEMENT, forms.AGREEMENT, "new-agreement", "edit-agreement")}


@page("/records", roles=WRITERS)
def records_page(ws: Ws) -> Response:
    """The records the caller writes, each with the write path's verdict on it as stored."""
    offset = _offset(ws)
    lists = {}
    for collection, form in FORMS.items():
        ids, total = records_of(ws.registry, ws.caller, form.kind, PAGE, offset)
        lists[collection] = {"items": [assess(ws.registry, form.kind, rid) for rid in ids], "total": total}
    return ws.render("records.html", title=ws.title("records"), lists=lists, offset=offset, size=PAGE)


@page("/review", roles=WRITERS)
def review_page(ws: Ws) -> Response:
    return ws.render("review.html", title=ws.title("review"), items=review_queue(ws.registry, ws.caller))


def _offset(ws: Ws) -> int:
    raw = ws.request.query_params.get("offset", "0")
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise BadInput("offset is a whole number of records", field="offset")
    return int(raw)


def _show(ws: Ws, form: Form, values: forms.Values, *, status: int = 200, rid: str | None = None,
          problems: Problems | None = None, etag: str = "", base: dict[str, Any] | None = None,
          merge: forms.Merge | None = None, theirs: dict[str, Any] | None = None, saved: bool = False) -> Response:
    """The form of a record, filled with `values`."""
    for s in form.spec.repeats:
        name = s.repeat or ""
        shown = forms.item_count(values, name) + int(values.get("+" + name, 0))
        values["#" + name] = shown
    state = assess(ws.registry, form.kind, rid) if rid is not None and saved else None
    title = ws.title(form.edit_title, id=rid) if rid else ws.title(form.new_title)
    spec = form.spec
    return ws.render("record_form.html", status=status, title=title, spec=spec, values=values,
                     problems=problems or Problems(), options=choices(ws), plain=lambda n: forms.plain_of(spec, n),
                     collection=form.kind.collection, rid=rid, etag=etag, base=as_json(base) if base else "",
                     merge=merge, theirs=theirs or {}, shown=_shown_value, top=lambda k: forms.top_label(spec, k),
                     state=state, saved=saved)


def _shown_value(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _more(ws: Ws, values: forms.Values, blanks: dict[str, int]) -> bool:
    """The form's "add another" buttons: one more blank item (nothing is saved)."""
    action = ws.value("action")
    for name, n in blanks.items():
        values["+" + name] = n
    if action.startswith("more:"):
        name = action[5:]
        values["+" + name] = int(values.get("+" + name, 0)) + 1
        return True
    return False


def _posted(ws: Ws, form: Form) -> tuple[forms.Values, dict[str, int], bool]:
    values, blanks = forms.values_from_form(form.spec, ws.form)
    more = _more(ws, values, blanks)
    return values, blanks, more


def _new_record(ws: Ws, form: Form, values: forms.Values) -> dict[str, Any]:
    data = forms.record_of(form.spec, values)
    if form.kind is AGREEMENT:
        data["status"] = "draft"  # a new agreement is a draft; privacy officers approve it (Approvals)
    return data


def _create(ws: Ws, collection: str) -> Response:
    form = FORMS[collection]
    if ws.request.method == "GET":
        return _show(ws, form, {})
    values, _blanks, more = _posted(ws, form)
    if more:
        return _show(ws, form, values)
    data = _new_record(ws, form, values)
    try:
        result = ws.registry.records.write(form.kind, data, ws.caller, create=True)
    except ValidationFailed as e:
        return _show(ws, form, values, status=422, problems=forms.problems(form.spec, e.violations, values))
    except Conflict as e:
        found = Problems()
        found.add("id", Violation(focus_node="form", path=None, field="id", message=e.detail))
        return _show(ws, form, values, status=409, problems=found)
    return ws.redirect(f"/workspace/{collection}/{result.record['id']}/edit", saved="yes")


def _current(ws: Ws, form: Form, rid: str) -> tuple[dict[str, Any], str]:
    """The record as stored and its ETag, for a caller who may write it (the write rule, Policy)."""
    records = ws.registry.records
    if not is_slug(rid) or not records.exists(form.kind, rid):
        raise NotFound(f"no {form.kind.name} {rid[:100]!r}", kind=form.kind.name, id=rid[:100])
    record, etag = records.read(form.kind, rid, full=True)
    record = clean(record)
    records.policy.authorize_write(form.kind, record, record, ws.caller)
    return record, etag


def _edit(ws: Ws, collection: str, rid: str) -> Response:
    form = FORMS[collection]
    current, etag = _current(ws, form, rid)
    if ws.request.method == "GET":
        saved = ws.request.query_params.get("saved") == "yes"
        return _show(ws, form, forms.values_of(form.spec, current), rid=rid, etag=etag, base=current, saved=saved)
    values, _blanks, more = _posted(ws, form)
    base = _base(ws, current)
    if more:
        return _show(ws, form, values, rid=rid, etag=ws.value("etag"), base=base)
    mine = forms.carry_over(base, forms.record_of(form.spec, values, _blanks), form.spec, READ_ONLY)
    mine["id"] = rid
    for key in [k[len("merge."):] for k in ws.form if k.startswith("merge.")]:
        if ws.value(f"merge.{key}") == "theirs":  # after a conflict: the saved value, as the editor chose
            if key in base:
                mine[key] = base[key]
            else:
                mine.pop(key, None)
    try:
        ws.registry.records.write(form.kind, mine, ws.caller, create=False, rid=rid, if_match=f'"{ws.value("etag")}"')
    except ValidationFailed as e:
        return _show(ws, form, values, status=422, rid=rid, etag=ws.value("etag"), base=base,
                     problems=forms.problems(form.spec, e.violations, values))
    except PreconditionFailed:
        current, etag = _current(ws, form, rid)
        merged = forms.merge(base, mine, current, set(base) | set(mine) | set(current))
        return _show(ws, form, forms.values_of(form.spec, merged.merged), status=409, rid=rid, etag=etag,
                     base=current, merge=merged, theirs=current)
    return ws.redirect(f"/workspace/{collection}/{rid}/edit", saved="yes")


def _base(ws: Ws, current: dict[str, Any]) -> dict[str, Any]:
    """The version of the record the form started from (sent back with it): only shown to its editor and
    used to tell their changes from others'; the current record when it is missing or unreadable."""
    try:
        base = json.loads(ws.value("base"))
    except ValueError:
        return current
    return base if isinstance(base, dict) else current


def _register(collection: str) -> None:
    def create(ws: Ws) -> Response:
        return _create(ws, collection)

    def edit(ws: Ws, rid: str) -> Response:
        return _edit(ws, collection, rid)

    create.__name__, edit.__name__ = f"new_{collection}", f"edit_{collection}"
    page(f"/{collection}/new", methods=("GET", "POST"), roles=WRITERS)(create)
    page(f"/{collection}/{{rid}}/edit", methods=("GET", "POST"), roles=WRITERS)(edit)


for _collection in FORMS:
    _register(_collection)
