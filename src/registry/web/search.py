"""The search page: records of one kind that match the words and the facet values chosen, sorted and paged,
with the count of each facet value among them (the catalogue index: public forms only, so a count tells
nothing a reader could not see), and links that add or remove a value."""

from __future__ import annotations

from typing import Any, Literal, get_args
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError

from registry.domain.model import KINDS
from registry.domain.model.dcat import THEME
from registry.errors import BadInput
from registry.iris import is_slug
from registry.services.reference import notation_labels
from registry.web import i18n
from registry.web.pages import Pages

#: the facets each kind's search shows, in order
FACETS = {"dataset": ["publisher", "access", "theme", "keyword", "language"],
          "organization": ["kind", "parent"],
          "agreement": ["status", "provider", "recipient", "purpose", "legal_basis"]}
RecordType = Literal["dataset", "organization", "agreement"]
Sort = Literal["relevance", "title", "newest"]
TYPES: tuple[str, ...] = get_args(RecordType)
SORTS: tuple[str, ...] = get_args(Sort)
PER_PAGE = 20
#: the facets whose values name an organisation
ORGANISATIONS = {"publisher", "parent", "provider", "recipient"}


def facet_filters(kind: str, given: dict[str, str]) -> dict[str, str]:
    """The facet values a request chose for `kind`, checked: codes and ids are slugs, a keyword is text."""
    out = {}
    for name in FACETS[kind]:
        value = given.get(name, "")
        if not value:
            continue
        if len(value) > 200 or (name != "keyword" and not is_slug(value)) or "\x00" in value:
            raise BadInput(f"{name} must be an id or code (lower-case letters, digits, dots, hyphens)", field=name,
                           value=value[:200])
        out[name] = value
    return out


class Search:
    """One search page's data, in the reader's language."""

    def __init__(self, pages: Pages) -> None:
        self.pages, self.here, self.index = pages, pages.here, pages.registry.index

    def titles(self) -> dict[str, str]:
        _ = self.here.gettext
        return {"publisher": _("Publisher"), "access": _("Access"), "theme": _("Theme"), "keyword": _("Keyword"),
                "language": _("Language"), "kind": _("Kind"), "parent": _("Part of"), "status": _("Status"),
                "provider": _("Provider"), "recipient": _("Recipient"), "purpose": _("Purpose"),
                "legal_basis": _("Legal authority")}

    def label(self, facet: str, value: str) -> Any:
        """How a facet value reads: a name, a vocabulary label in the reader's language, a language's name."""
        pages, lang = self.pages, self.here.lang
        if facet in ORGANISATIONS:
            return pages.name(value)
        if facet in ("access", "status"):
            return pages.labels[facet].get(value, value)
        if facet == "kind":
            return pages.labels["org_kind"].get(value, value)
        if facet == "theme":
            return notation_labels(pages.registry.resources, THEME, lang).get(value, value)
        if facet == "purpose":
            return (pages.purposes.get(value) or {}).get("label") or value
        if facet == "legal_basis":
            return i18n.plain((pages.authorities.get(value) or {}).get("label"), lang) or value
        if facet == "language":
            try:
                return Locale.parse(value.replace("-", "_")).get_display_name(lang) or value
            except (ValueError, UnknownLocaleError):
                return value
        return value

    def url(self, params: dict[str, str], offset: int = 0, changes: dict[str, str | None] | None = None) -> str:
        """This search with some parameters changed (None: removed), at `offset` (a change starts again at 0)."""
        merged = {k: v for k, v in {**params, **(changes or {})}.items() if v}
        if offset:
            merged["offset"] = str(offset)
        return self.here.link("/search") + ("?" + urlencode(merged) if merged else "")

    def find(self, q: str, kind_name: str | None, given: dict[str, str], sort: str | None, offset: int) -> dict[str, Any]:
        q = q.strip()
        tabs = [(t, self.pages.registry.records.list(KINDS[t], q=q or None, limit=1).total) for t in TYPES]
        if kind_name is None:  # the first kind with results
            kind_name = next((t for t, n in tabs if n), TYPES[0])
        kind = KINDS[kind_name]
        filters = facet_filters(kind_name, given)
        sort = sort or ("relevance" if q else "title")
        if q and sort == "relevance":
            found, total = self.index.search(kind, filters=filters, q=q, limit=PER_PAGE, offset=offset,
                                             include_retired=False)
        else:
            found, total = self.index.ordered(kind, filters=filters, q=q or None, sort="title" if sort == "relevance"
                                              else sort, lang=self.here.lang, limit=PER_PAGE, offset=offset)
        params = {"q": q, "type": kind_name, **filters, "sort": sort if sort != ("relevance" if q else "title") else ""}
        counts = self.index.facets_of(kind, facets=FACETS[kind_name], filters=filters, q=q or None)
        titles = self.titles()
        facets = []
        for name in FACETS[kind_name]:
            values = [{"value": v, "label": self.label(name, v), "count": n, "selected": filters.get(name) == v,
                       "url": self.url(params, changes={name: v}), "clear": self.url(params, changes={name: None})}
                      for v, n in counts[name]]
            if name in filters and not any(v["selected"] for v in values):  # chosen, yet no longer counted
                values.insert(0, {"value": filters[name], "label": self.label(name, filters[name]), "count": 0,
                                  "selected": True, "url": "", "clear": self.url(params, changes={name: None})})
            if values:
                facets.append({"name": name, "title": titles[name], "values": values,
                               "organisation": name in ORGANISATIONS})
        return {
            "q": q, "type": kind_name, "tabs": [(t, n, self.url({"q": q, "type": t})) for t, n in tabs],
            "results": [self._result(kind_name, rid, record) for rid, record in found],
            "total": total, "offset": offset, "per_page": PER_PAGE, "facets": facets, "chosen": filters,
            "sort": sort, "sorts": [s for s in SORTS if q or s != "relevance"], "params": params,
            "previous": self.url(params, max(offset - PER_PAGE, 0)) if offset > 0 else None,
            "next": self.url(params, offset + PER_PAGE) if offset + PER_PAGE < total else None,
        }

    def _result(self, kind_name: str, rid: str, r: dict[str, Any]) -> dict[str, Any]:
        desc = i18n.pick(r.get("description"), self.here.lang)
        name = self.pages.name
        if kind_name == "dataset":  # (text, whether it is an organisation's name)
            facts = [(name(r.get("publisher")), True), (self.label("access", r.get("access") or ""), False),
                     (r.get("modified") or r.get("issued"), False)]
        elif kind_name == "agreement":
            facts = [(name(r.get("provider")), True), (name(r.get("recipient")), True),
                     (self.label("status", r.get("status") or ""), False)]
        else:
            facts = [(self.label("kind", r.get("kind") or ""), False)]
        return {"kind": kind_name, "id": rid, "label": r.get("title") or r.get("name") or rid,
                "description": desc and {desc.lang: desc.text if len(desc.text) <= 240 else desc.text[:240] + "…"},
                "url": f"/{KINDS[kind_name].collection}/{rid}", "facts": [f for f in facts if f[0]]}
