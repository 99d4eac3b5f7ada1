"""HTML pages for people: Jinja2 templates over the public part of the registry, in English and French.

Pages always show the public view, whoever asks (browsers send no bearer token): records are read with
`full=False` (their public graph only) and lists, search and lineage from the public view (views.py).
Every page is served with a Content-Security-Policy that allows nothing from another origin. Interface
text comes from the message catalogues (i18n.py), vocabulary labels from the vocabularies in the reader's
language.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import Graph, URIRef

from registry import __version__
from registry.domain.model import AGREEMENT, DATASET, ORGANIZATION
from registry.domain.model.dcat import EU_LANGUAGE, FREQUENCY, THEME
from registry.errors import NotFound
from registry.namespaces import ACCESS_RIGHT, ACTIVITY_KIND, AGREEMENT_STATUS, ORG_KIND, REG, SENSITIVITY, SKOS, UNIT_KIND
from registry.projections.views import Views
from registry.services.auth import Caller
from registry.services.lineage import lineage_json
from registry.services.reference import authorities, labels_by_language, notation_labels, plain_requirements, purposes
from registry.services.registry import Registry
from registry.services.reports.transparency import Transparency, duration
from registry.web import i18n, schema_org
from registry.web.i18n import LANGUAGES, Here

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")



def environment(lang: str) -> Environment:
    """The templates in one language: `{% trans %}` and `_()` read its catalogue; `local` shows record text
    in it (or in the other language, marked), `plain` the same as plain text."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True  # a message's line breaks and indentation are not part of it
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = lambda value, default=None: i18n.shown(value, lang, default)
    env.filters["named"] = lambda value, default=None: i18n.shown(value, lang, default, marked=False)
    env.filters["plain"] = lambda value: i18n.plain(value, lang)
    env.filters["size"] = lambda value: size_text(value, lang)
    env.globals.update(lang=lang, languages=LANGUAGES, language_names=i18n.NAMES)
    return env


def size_text(n: Any, lang: str) -> str:
    """A distribution's size in bytes as a reader reads it ("2.5 MB", "2,5 Mo"); "" when not a number."""
    if not isinstance(n, int) or isinstance(n, bool):
        return ""
    t = i18n.translations(lang)
    _ = t.gettext
    for limit, unit in ((1 << 30, _("%(size)s GB")), (1 << 20, _("%(size)s MB")), (1 << 10, _("%(size)s kB"))):
        if n >= limit:
            return str(unit) % {"size": format_decimal(n / limit, "0.0", locale=lang)}
    return str(t.ngettext("%(num)d byte", "%(num)d bytes", n)) % {"num": n}


ENVS = {lang: environment(lang) for lang in LANGUAGES}

#: colours of the flow diagram's links and legend, one per authority: Okabe-Ito's hues, darkened where needed so
#: that each has a contrast of 3:1 at least against the page (WCAG 1.4.11), told apart by colour-blind people
PALETTE = ["#0072B2", "#B35900", "#007A5A", "#A8558A", "#6B4FA0", "#8F6B00", "#D55E00", "#5F6B77"]
#: the named query that answers "who receives data from this institution" (sparql/register-recipients.rq)
RECIPIENTS_QUERY = "register-recipients"
#: the register page lists this many agreements at a time, and of each other list (the flow diagram's links,
#: pairs of institutions, agreements ending soon) the largest TOP (the CSV has every agreement)
REGISTER_PAGE, TOP = 50, 50
#: the register's form offers every providing institution in a list up to this many; above, a text field
#: suggests the institutions with the most agreements
PROVIDERS_LISTED = 300


#: how many related records a page lists (the rest are counted)
SHOWN = 100
#: the lineage a dataset page draws and tabulates: steps each way, datasets at most
LINEAGE_DEPTH = 4
LINEAGE_SHOWN = 200


class Listed(list[dict[str, Any]]):
    """Some records of a longer list, and how many there are in all."""

    def __init__(self, items: list[dict[str, Any]], total: int) -> None:
        super().__init__(items)
        self.total = total

    @property
    def more(self) -> int:
        return max(self.total - len(self), 0)


def render(here: Here, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in `here`'s language; its links keep `here`'s prefix (`p` in the templates)."""
    html = ENVS[here.lang].get_template(template).render(version=__version__, here=here, p=here.prefix, **context)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": CSP, "Content-Language": here.lang, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # a bare URL's language comes from Accept-Language; a prefixed one's does not
        "Vary": "Accept" if here.prefix else "Accept, Accept-Language"})


class Pages:
    """Builds each page's data from the public view and the records service."""

    def __init__(self, registry: Registry, views: Views, here: Here) -> None:
        self.registry, self.views, self.iris, self.here = registry, views, registry.iris, here
        res, lang = registry.resources, here.lang
        self.authorities = {a["id"]: self._languages(res.authorities(), a) for a in authorities(res, lang)}
        self.purposes = {p["id"]: p for p in purposes(res, lang)}
        #: the labels of the codes pages show, in the reader's language
        self.labels = {name: notation_labels(res, scheme, lang) for name, scheme in (
            ("access", ACCESS_RIGHT), ("sensitivity", SENSITIVITY), ("status", AGREEMENT_STATUS),
            ("activity", ACTIVITY_KIND), ("org_kind", ORG_KIND), ("unit_kind", UNIT_KIND),
            ("language", EU_LANGUAGE), ("frequency", FREQUENCY), ("theme", THEME))}

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _languages(g: Graph, a: dict[str, Any]) -> dict[str, Any]:
        """An authority whose label, summary and purpose note are maps of language to text (the templates
        show the reader's language, or the other one marked)."""
        s = URIRef(a["iri"])
        for key, prop in (("label", SKOS.prefLabel), ("summary", REG.summary), ("purpose_note", REG.purposeNote)):
            a[key] = labels_by_language(g, s, prop) or None
        return a

    def _get(self, kind: Any, rid: str) -> dict[str, Any] | None:
        if not self.registry.records.exists(kind, rid):
            return None
        return self.registry.records.get(kind, rid, full=False)

    def name(self, org: str | None) -> str | None:
        if not org:
            return None
        rec = self._get(ORGANIZATION, org)
        return (rec or {}).get("name") or org

    def title(self, dataset: str) -> Any:
        """A dataset's title: a text, or a map of languages to texts (the templates show it with `local`)."""
        rec = self._get(DATASET, dataset)
        return (rec or {}).get("title") or dataset

    def _list(self, kind: Any, **filters: str) -> Listed:
        page = self.registry.records.list(kind, filters=filters, limit=SHOWN, full=False)
        return Listed(page.items, page.total)

    # ------------------------------------------------------------------ pages
    def counts(self) -> dict[str, int]:
        """How many records of each kind are not retired (exact totals from the catalogue index)."""
        return {kind.name: self.registry.records.list(kind, limit=1).total for kind in (DATASET, ORGANIZATION, AGREEMENT)}

    def catalog(self) -> dict[str, Any]:
        """The catalogue's landing page: how many datasets it lists, by access (live records' public form)."""
        counts = self.registry.index.counts().get(DATASET.name, {"total": 0, "by": {}})
        return {"total": counts["total"], "by_access": sorted(counts["by"].get("access", {}).items())}

    def dataset(self, rid: str) -> dict[str, Any] | None:
        d = self._get(DATASET, rid)
        if d is None:
            return None
        used_by = [{"id": str(r["id"]), "title": str(r.get("title", r["id"]))} for r in self.views.public.select(
            self.registry.resources.query("web-derived"), {"dataset": self.iris.record("dataset", rid)})]
        gb = d.get("generated_by") or None
        sources = [{"id": s, "title": self.title(s)} for s in d.get("derived_from") or []]
        publisher_name = self.name(d.get("publisher"))
        lineage = self.lineage(rid)
        return {
            "record": d,
            "publisher_name": publisher_name,
            "sources": sources,
            "used_by": used_by,
            "generated_by": gb and {**gb, "by_name": self.name(gb.get("by"))},
            "agreements": self._summaries(self._list(AGREEMENT, dataset=rid)),
            "lineage": lineage,
            "lineage_json": script_json({
                "titles": {n["id"]: i18n.plain(n["title"], self.here.lang) for n in lineage["nodes"]},
                "activities": self.labels["activity"], "prefix": self.here.prefix,
                "text": {"other": self.here.gettext("other or not recorded"), "fit": self.here.gettext("Fit"),
                         "legend": self.here.gettext("Activities"),
                         "help": self.here.gettext("Sources left, derived datasets right; up to 4 steps. "
                                                   "Click a dataset to open it. The table below says the same."),
                         "picture": self.here.gettext("Lineage diagram: %(nodes)s datasets, %(edges)s derivations. "
                                                      "The table below says the same in text.")}}),
            "schema_org": script_json(schema_org.dataset(d, self.here.origin, publisher_name, sources)),
        }

    def lineage(self, rid: str, depth: int = LINEAGE_DEPTH) -> dict[str, Any]:
        """The derivations within `depth` steps of a dataset, both ways (what the lineage picture draws, from
        the same public answer): each with its datasets' titles, the activity, who and when."""
        answer = lineage_json(self.registry, rid, direction="both", depth=depth, full=False, limit=LINEAGE_SHOWN)
        titles = {n["id"]: self.title(n["id"]) for n in answer["nodes"]}
        edges = [{**e, "from_title": titles.get(e["from"], e["from"]), "to_title": titles.get(e["to"], e["to"]),
                  "by_name": self.name(e.get("by"))} for e in answer["edges"]]
        return {"nodes": [{"id": i, "title": t} for i, t in titles.items()], "edges": edges, "depth": depth,
                "more": max(answer["total"] - len(answer["nodes"]), 0)}

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
            "duration": say_duration(self.here, duration(start, end)[0]),
        }

    def authority(self, aid: str) -> dict[str, Any] | None:
        """An authority's page: its summary, what it asks in plain language, the statute's words and how they
        were verified, and the agreements that cite it."""
        a = self.authorities.get(aid)
        if a is None:
            return None
        return {
            "record": a,
            "requirements": plain_requirements(self.registry.resources, a, self.here.lang, self.here.gettext),
            "citing": self._summaries(self._list(AGREEMENT, legal_basis=aid)),
        }

    def authority_list(self) -> dict[str, Any]:
        """The catalogue, grouped by statute."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for a in self.authorities.values():
            groups.setdefault(a.get("statute") or self.here.gettext("Other"), []).append(a)
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

    def transparency(self, on: dt.date | None, provider: str | None = None, offset: int = 0) -> dict[str, Any]:
        """The register as of `on`, its agreements a page from `offset`, the largest flows and pairs (the CSV
        has them all); with `provider`, also which institutions receive data from it, under which law, since
        when (the same active agreements), and the named query that gives that answer."""
        report = Transparency(self.registry, self.views.public).report(on)
        data = self._in_language(report.as_json(offset, REGISTER_PAGE, TOP))
        def page(at: int) -> str:
            given = {"on": on.isoformat() if on else None, "from": provider, "offset": at or None}
            return self.here.prefix + "/transparency?" + urlencode({k: v for k, v in given.items() if v is not None})

        data |= {"previous": page(max(offset - REGISTER_PAGE, 0)) if offset > 0 else None,
                 "next": page(offset + REGISTER_PAGE) if offset + REGISTER_PAGE < data["total"] else None}
        colours = {a["id"]: PALETTE[i % len(PALETTE)] for i, a in enumerate(data["sankey"]["authorities"])}
        data["sankey"]["colours"] = colours
        data["sankey"]["text"] = {"agreements": self.here.gettext("agreements")}
        counted = Counter((e.provider.id, e.provider.name) for e in report.agreements if e.provider)
        listed = [p for p, _n in counted.most_common(PROVIDERS_LISTED)]
        providers = sorted(listed, key=lambda x: (x[1].lower(), x[0]))
        out: dict[str, Any] = {"report": data, "sankey_json": script_json(data["sankey"]), "colours": colours,
                               "providers": providers, "providers_all": len(counted) == len(listed),
                               "chosen": provider, "on_given": on is not None}
        if provider:
            query = self.registry.resources.query(RECIPIENTS_QUERY).rstrip()
            # a link a reader follows: the provider's IRI (an id checked as a slug) given in a VALUES clause
            query += f"\nVALUES ?provider {{ <{self.iris.record('organization', provider)}> }}\n"
            out |= {"chosen_name": self.name(provider),
                    "recipients": self._entries_in_language(
                        [e.as_json() for e in report.agreements if e.provider and e.provider.id == provider]),
                    "sparql_query": query, "sparql_url": "/sparql?" + urlencode({"query": query, "format": "csv"})}
        return out

    def _in_language(self, data: dict[str, Any]) -> dict[str, Any]:
        """The register's labels of authorities and purposes, and its durations, in the reader's language."""
        self._entries_in_language(data["agreements"])
        for a in [*data["by_authority"], *data["sankey"]["authorities"]]:
            a["label"] = self._authority_label(a)
        for link in data["sankey"]["links"]:
            link["label"] = self._authority_label({"id": link["authority"], "label": link["label"]})
        return data

    def _authority_label(self, a: dict[str, Any]) -> str:
        if a.get("id") == "none":
            return self.here.gettext("no authority cited")
        label = (self.authorities.get(str(a.get("id"))) or {}).get("label")
        return i18n.plain(label, self.here.lang) or str(a.get("label") or a.get("id"))

    def _entries_in_language(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Register entries (their own copies) with durations, purposes and authorities in the reader's language."""
        for e in entries:
            e["duration"] = say_duration(self.here, e.get("duration"))
            for pur in e["purposes"]:
                pur["label"] = (self.purposes.get(pur["id"]) or {}).get("label") or pur["label"]
            for a in e["legal_authorities"]:
                a["label"] = self._authority_label(a)
        return entries


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" can close it or open another."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_DURATION = re.compile(r"(\d+) (year|month|day)s?")


def say_duration(here: Here, text: str | None) -> str | None:
    """A duration of the register ("3 years", "18 months", transparency.duration) in the reader's language."""
    m = _DURATION.fullmatch(text or "")
    if m is None:
        return here.gettext("ended before it began") if text == "ended before it began" else text
    n = int(m.group(1))
    if m.group(2) == "year":
        return here.ngettext("%(num)d year", "%(num)d years", n)
    if m.group(2) == "month":
        return here.ngettext("%(num)d month", "%(num)d months", n)
    return here.ngettext("%(num)d day", "%(num)d days", n)


def here_of(request: Request) -> Here:
    """The page a request asks for: its language (a /fr or /en prefix, else Accept-Language) and place."""
    return i18n.here_of(request.url.path, request.url.query, request.headers.get("accept-language"),
                        str(request.base_url).rstrip("/"))


def sparql_page(request: Request, service: Any, caller: Caller) -> HTMLResponse:
    here = here_of(request)
    example = ("PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\n\n"
               "SELECT ?dataset ?title WHERE {\n  ?dataset a dcat:Dataset ; dct:title ?title .\n}\nORDER BY ?title\nLIMIT 25")
    view = service.view_for(caller)
    return render(here, "sparql.html", title=here.gettext("SPARQL endpoint"), example=example, limits=service.limits,
                  view=here.gettext("all graphs") if view is None else
                  {"public": here.gettext("public"), "officer": here.gettext("privacy officer")}.get(view.name, view.name),
                  endpoint=str(URIRef(here.path)))


def not_found(here: Here, message: str) -> HTMLResponse:
    """The error page (404) saying `message`, in the reader's language."""
    return render(here, "error.html", status=404, title=here.gettext("Not found"), message=message)


__all__ = ["CSP", "STATIC", "NotFound", "Pages", "here_of", "not_found", "render", "sparql_page"]
