"""HTML pages for people: Jinja2 templates over the public part of the registry.

Pages always show the public view, whoever asks (browsers send no bearer token): records are read with
`full=False` (their public graph only) and lists, search and lineage from the public view (views.py).
Every page is served with a Content-Security-Policy that allows nothing from another origin.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import URIRef

from registry import __version__
from registry.domain.model import AGREEMENT, DATASET, ORGANIZATION
from registry.errors import NotFound
from registry.projections.views import Views
from registry.services.auth import Caller
from registry.services.reference import authorities, plain_requirements, purposes
from registry.services.registry import Registry
from registry.services.reports.transparency import Transparency, duration

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)

#: colours of the flow diagram's links, one per authority (Okabe-Ito, readable by colour-blind people)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]


#: how many related records a page lists (the rest are counted)
SHOWN = 100


class Listed(list[dict[str, Any]]):
    """Some records of a longer list, and how many there are in all."""

    def __init__(self, items: list[dict[str, Any]], total: int) -> None:
        super().__init__(items)
        self.total = total

    @property
    def more(self) -> int:
        return max(self.total - len(self), 0)


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(version=__version__, **context)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP, "Vary": "Accept",
                                                           "X-Content-Type-Options": "nosniff",
                                                           "Referrer-Policy": "same-origin"})


class Pages:
    """Builds each page's data from the public view and the records service."""

    def __init__(self, registry: Registry, views: Views) -> None:
        self.registry, self.views, self.iris = registry, views, registry.iris
        res = registry.resources
        self.authorities = {a["id"]: a for a in authorities(res)}
        self.purposes = {p["id"]: p for p in purposes(res)}

    # ------------------------------------------------------------------ helpers
    def _get(self, kind: Any, rid: str) -> dict[str, Any] | None:
        if not self.registry.records.exists(kind, rid):
            return None
        return self.registry.records.get(kind, rid, full=False)

    def name(self, org: str | None) -> str | None:
        if not org:
            return None
        rec = self._get(ORGANIZATION, org)
        return (rec or {}).get("name") or org

    def title(self, dataset: str) -> str:
        rec = self._get(DATASET, dataset)
        return str((rec or {}).get("title") or dataset)

    def _list(self, kind: Any, **filters: str) -> Listed:
        page = self.registry.records.list(kind, filters=filters, limit=SHOWN, full=False)
        return Listed(page.items, page.total)

    # ------------------------------------------------------------------ pages
    def counts(self) -> dict[str, int]:
        """How many records of each kind are not retired (exact totals from the catalogue index)."""
        return {kind.name: self.registry.records.list(kind, limit=1).total for kind in (DATASET, ORGANIZATION, AGREEMENT)}

    def search(self, q: str, per_kind: int = 50) -> list[dict[str, Any]]:
        """Records of every kind whose public text matches (the catalogue index: public fields only)."""
        q = q.strip()
        if not q:
            return []
        out = []
        for kind in (DATASET, ORGANIZATION, AGREEMENT):
            for r in self.registry.records.list(kind, q=q, limit=per_kind, full=False).items:
                desc = str(r.get("description") or "")
                out.append({"kind": kind.name, "id": r["id"], "label": r.get("title") or r.get("name") or r["id"],
                            "description": desc if len(desc) <= 240 else desc[:240] + "…",
                            "url": f"/{kind.collection}/{r['id']}"})
        return out

    def dataset(self, rid: str) -> dict[str, Any] | None:
        d = self._get(DATASET, rid)
        if d is None:
            return None
        used_by = [{"id": str(r["id"]), "title": str(r.get("title", r["id"]))} for r in self.views.public.select(
            self.registry.resources.query("web-derived"), {"dataset": self.iris.record("dataset", rid)})]
        gb = d.get("generated_by") or None
        return {
            "record": d,
            "publisher_name": self.name(d.get("publisher")),
            "sources": [{"id": s, "title": self.title(s)} for s in d.get("derived_from") or []],
            "used_by": used_by,
            "generated_by": gb and {**gb, "by_name": self.name(gb.get("by"))},
            "agreements": self._summaries(self._list(AGREEMENT, dataset=rid)),
        }

    def organization(self, rid: str) -> dict[str, Any] | None:
        o = self._get(ORGANIZATION, rid)
        if o is None:
            return None
        return {
            "record": o,
            "parent_name": self.name(o.get("parent")),
            "units": self._list(ORGANIZATION, parent=rid),
            "designations": [self._authority(a) for a in o.get("designated_under") or []],
            "datasets": self._list(DATASET, publisher=rid),
            "provides": self._summaries(self._list(AGREEMENT, provider=rid)),
            "receives": self._summaries(self._list(AGREEMENT, recipient=rid)),
        }

    def agreement(self, rid: str) -> dict[str, Any] | None:
        a = self._get(AGREEMENT, rid)
        if a is None:
            return None

        start = dt.date.fromisoformat(a["valid_from"]) if a.get("valid_from") else None
        end = dt.date.fromisoformat(a["valid_until"]) if a.get("valid_until") else None
        return {
            "record": a,
            "provider_name": self.name(a.get("provider")),
            "recipient_name": self.name(a.get("recipient")),
            "datasets": [{"id": d, "title": self.title(d)} for d in a.get("datasets") or []],
            "purposes": [{"id": p, "label": (self.purposes.get(p) or {}).get("label") or p,
                          "definition": (self.purposes.get(p) or {}).get("definition")} for p in a.get("purposes") or []],
            "authorities": [self._authority(x) for x in a.get("legal_basis") or []],
            "duration": duration(start, end)[0],
        }

    def authority(self, aid: str) -> dict[str, Any] | None:
        """An authority's page: its summary, what it asks in plain language, the statute's words and how they
        were verified, and the agreements that cite it."""
        a = self.authorities.get(aid)
        if a is None:
            return None
        return {
            "record": a,
            "requirements": plain_requirements(self.registry.resources, a),
            "citing": self._summaries(self._list(AGREEMENT, legal_basis=aid)),
        }

    def authority_list(self) -> dict[str, Any]:
        """The catalogue, grouped by statute."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for a in self.authorities.values():
            groups.setdefault(a.get("statute") or "Other", []).append(a)
        return {"groups": sorted(groups.items())}

    def _authority(self, aid: str) -> dict[str, Any]:
        a = self.authorities.get(aid) or {}
        return {"id": aid, "label": a.get("label") or aid, "citation": a.get("citation"), "source": a.get("source"),
                "summary": a.get("summary")}

    def _summaries(self, agreements: Listed) -> Listed:
        return Listed([{**a, "provider_name": self.name(a.get("provider")), "recipient_name": self.name(a.get("recipient"))}
                       for a in agreements], agreements.total)

    def listing(self, kind: Any, q: str | None, offset: int) -> dict[str, Any]:
        page = self.registry.records.list(kind, q=q or None, limit=50, offset=offset, full=False)
        items = page.items
        if kind is not ORGANIZATION:
            for i in items:
                i["publisher_name"] = self.name(i.get("publisher"))
                i["provider_name"] = self.name(i.get("provider"))
                i["recipient_name"] = self.name(i.get("recipient"))
        return {"items": items, "total": page.total, "offset": offset, "limit": 50}

    def transparency(self, on: dt.date | None) -> dict[str, Any]:
        report = Transparency(self.registry, self.views.public).report(on)
        data = report.as_json()
        colours = {a["id"]: PALETTE[i % len(PALETTE)] for i, a in enumerate(data["sankey"]["authorities"])}
        data["sankey"]["colours"] = colours
        return {"report": data, "sankey_json": script_json(data["sankey"]), "colours": colours}


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" can close it or open another."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def sparql_page(request: Request, service: Any, caller: Caller) -> HTMLResponse:
    example = ("PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\n\n"
               "SELECT ?dataset ?title WHERE {\n  ?dataset a dcat:Dataset ; dct:title ?title .\n}\nORDER BY ?title\nLIMIT 25")
    view = service.view_for(caller)
    return render("sparql.html", title="SPARQL endpoint", example=example, limits=service.limits,
                  view="all graphs" if view is None else view.name, endpoint=str(URIRef(str(request.url.path))))


def not_found(what: str) -> HTMLResponse:
    return render("error.html", status=404, title="Not found", message=f"There is no {what} here.")


__all__ = ["CSP", "STATIC", "NotFound", "Pages", "not_found", "render", "sparql_page"]
