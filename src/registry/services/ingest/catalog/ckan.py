"""CKAN answers: `package_search`, one `package_show`, a JSON list of `package_show` answers (each judged on
its own) and `current_package_list_with_resources`; each package mapped to the registry's JSON, its
resources to distributions (README, "Catalogue import")."""

from __future__ import annotations

import re
from typing import Any

from registry.iris import is_slug
from registry.services.ingest.catalog import values as v
from registry.services.ingest.catalog.harvest import CatalogError, Harvest, Harvested, Publisher
from registry.services.ingest.catalog.ids import dataset_id, slugify

#: data.ontario.ca's access_level: datasets not yet opened are not public
ONTARIO_ACCESS = {"open": "public", "restricted": "restricted", "under_review": "non-public",
                  "to_be_opened": "non-public"}
#: open.canada.ca's subjects -> the registry's themes (the others have no theme of their own)
SUBJECTS = {"agriculture": "agriculture", "economics_and_industry": "economy", "education_and_training": "education",
            "government_and_politics": "government", "health_and_safety": "health", "law": "justice",
            "nature_and_environment": "environment", "science_and_technology": "science",
            "society_and_culture": "society", "transport": "transport"}
#: package fields the mapping reads (any other with a value is counted as not kept)
READS = {"id", "name", "title", "title_translated", "notes", "notes_translated", "keywords", "tags", "groups",
         "license_url", "license_title", "license_id", "access_level", "private", "date_published",
         "metadata_created", "metadata_modified", "maintainer", "maintainer_translated", "maintainer_name",
         "maintainer_email", "author", "author_email", "organization", "owner_org", "url", "language", "frequency",
         "geographic_region", "subject", "time_period_coverage_start", "time_period_coverage_end", "temporal_start",
         "temporal_end", "version", "resources", "type", "state", "num_resources", "num_tags", "revision_id",
         "creator_user_id", "isopen", "relationships_as_object", "relationships_as_subject"}
RESOURCE_READS = {"url", "name", "name_translated", "description", "description_translated", "format", "mimetype",
                  "size", "hash", "download_url", "date_published",
                  "url_type", "language", "id", "package_id", "position", "revision_id", "state", "created",
                  "last_modified", "cache_url", "cache_last_updated", "datastore_active", "mimetype_inner"}


def _unwrap(doc: Any) -> Any:
    return doc["result"] if isinstance(doc, dict) and "result" in doc else doc


def _is_package(x: Any) -> bool:
    return isinstance(x, dict) and ("name" in x or "id" in x) and ("resources" in x or "title" in x)


def packages(doc: Any) -> tuple[list[Any], bool, str | None]:
    """The packages of an answer (each a dict, or what stood in its place), whether the answer is one page
    of more, and the portal's address (from `help`)."""
    if isinstance(doc, dict) and doc.get("success") is False:
        raise CatalogError("the CKAN answer reports a failure (\"success\": false)")
    portal = _portal(doc)
    partial = False
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and "success" in x for x in doc):
        # a list of package_show answers: each judged on its own
        portal = next((p for x in doc if (p := _portal(x))), None)
        found = [_unwrap(x) if x.get("success") is not False else x for x in doc]
        return found, False, portal
    doc = _unwrap(doc)
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        count = doc.get("count")
        partial = isinstance(count, int) and count > len(doc["results"])
        doc = doc["results"]
    elif _is_package(doc):
        doc = [doc]  # one package_show answer
    if not isinstance(doc, list) or not all(isinstance(p, dict) for p in doc):
        raise CatalogError("not a CKAN package_search answer: expected {\"result\": {\"results\": [packages]}}, "
                           "a package_show answer, or a list of them")
    return doc, partial, portal


def _portal(doc: Any) -> str | None:
    help_url = doc.get("help") if isinstance(doc, dict) else None
    if isinstance(help_url, str) and (m := re.match(r"\A(https?://.+?)/api/(\d+/)?action/", help_url, re.IGNORECASE)):
        return m.group(1)
    return None


def read(doc: Any, lang: str, url: str | None) -> Harvest:
    """The packages of a CKAN answer; they belong to the portal its `help` names, else to the portal of
    the URL it was fetched from (up to /api/), else to no catalogue in particular."""
    found, partial, portal = packages(doc)
    if not found:
        raise CatalogError("the CKAN answer lists no package")
    portal = portal or _portal({"help": url})
    records = []
    for i, pkg in enumerate(found):
        if not _is_package(pkg):
            what = "reports a failure" if isinstance(pkg, dict) and pkg.get("success") is False else "is not a package"
            records.append(Harvested(f"package #{i + 1}", {}, unreadable=f"package #{i + 1} of the answer {what}"))
            continue
        records.append(package(pkg, lang, portal))
    return Harvest(records, partial=partial)


def translated(pkg: dict[str, Any], key: str) -> str | dict[str, str] | None:
    """`key_translated` as a language map (without its empty values), else `key`."""
    tr = pkg.get(f"{key}_translated")
    if isinstance(tr, dict):
        found = v.language_map((str(lang), str(t)) for lang, t in sorted(tr.items()) if isinstance(t, str))
        if found is not None:
            return found
    return v.clean(pkg.get(key))


def preferred(value: str | dict[str, str] | None, lang: str) -> str | None:
    if isinstance(value, dict):
        return value.get(lang) or next(iter(value.values()), None)
    return value


def _bilingual(text: str, lang: str) -> str:
    """open.canada.ca names organisations "Health Canada | Santé Canada": the part in `lang`."""
    parts = [p.strip() for p in text.split(" | ")]
    return parts[1] if lang == "fr" and len(parts) == 2 else parts[0]


def _list(value: Any) -> list[str]:
    """The texts of a list (or of a comma-separated text); other values are none."""
    if isinstance(value, str):
        return [x.strip() for x in value.split(",") if x.strip()]
    if isinstance(value, list):
        return [str(x).strip() for x in value if isinstance(x, str | int) and not isinstance(x, bool) and str(x).strip()]
    return []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def package(pkg: dict[str, Any], lang: str, portal: str | None) -> Harvested:
    uuid = v.clean(pkg.get("id")) or v.clean(pkg.get("name")) or ""
    name = v.clean(pkg.get("name"))
    rec = Harvested(uuid, {})
    data = rec.data
    title = translated(pkg, "title")
    data["id"] = dataset_id([name], preferred(title, lang), uuid)
    if title is not None:
        data["title"] = title
    if (notes := translated(pkg, "notes")) is not None:
        data["description"] = notes
    kw = pkg.get("keywords")
    words: list[str]
    if isinstance(kw, dict):
        words = _list(kw.get(lang)) or next((x for x in map(_list, kw.values()) if x), [])
    else:
        words = [x for t in _dicts(pkg.get("tags")) if (x := v.clean(t.get("display_name")) or v.clean(t.get("name")))]
    keywords, themes = set(words), set()
    for gr in _dicts(pkg.get("groups")):  # a group that is no theme of the registry's is a keyword
        code = v.theme(v.clean(gr.get("name")))
        label = v.clean(gr.get("title")) or v.clean(gr.get("display_name")) or v.clean(gr.get("name"))
        if code is not None:
            themes.add(code)
        elif label is not None:
            keywords.add(label)
    if keywords:
        data["keywords"] = sorted(keywords)
    for subject in _list(pkg.get("subject")):
        if str(subject) in SUBJECTS:
            themes.add(SUBJECTS[str(subject)])
        else:
            rec.drop("subject")
    if themes:
        data["themes"] = sorted(themes)
    lic = next((x for k in ("license_url", "license_title", "license_id") if (x := v.clean(pkg.get(k)))), None)
    if lic is not None:
        data["license"] = lic
    if v.clean(pkg.get("access_level")) is not None:
        level = str(pkg["access_level"]).strip()
        data["access"] = ONTARIO_ACCESS.get(level, level)
    elif isinstance(pkg.get("private"), bool):
        data["access"] = "non-public" if pkg["private"] else "public"
    elif pkg.get("private") is not None:
        data["access"] = str(pkg["private"])
    if (issued := v.date(pkg.get("date_published") or pkg.get("metadata_created"), "issued", rec)) is not None:
        data["issued"] = issued
    if (modified := v.date(pkg.get("metadata_modified"), "modified", rec)) is not None:
        data["modified"] = modified
    url = v.clean(pkg.get("url"))
    page = f"{portal}/dataset/{name or uuid}" if portal else None
    if v.is_url(url):
        data["landing_page"] = url
    else:
        if url is not None:
            rec.drop("url")
        if page is not None:
            data["landing_page"] = page
    _language(pkg, rec)
    _frequency(pkg, rec)
    if regions := sorted({str(x).strip() for x in _list(pkg.get("geographic_region")) if str(x).strip()}):
        data["spatial"] = regions
    _temporal(pkg, rec)
    if (version := v.clean(pkg.get("version"))) is not None:
        data["version"] = version
    contact_name = preferred(translated(pkg, "maintainer"), lang) or v.clean(pkg.get("maintainer_name")) \
        or v.clean(pkg.get("author"))
    contact_email = v.email(pkg.get("maintainer_email")) or v.email(pkg.get("author_email"))
    contact = {k: x for k, x in (("name", contact_name), ("email", contact_email)) if x}
    if contact:
        data["contact_point"] = contact
        if "email" in contact:  # the steward the source names: its contact, when it can be reached
            data["steward"] = dict(contact)
    resources = _dicts(pkg.get("resources"))
    if resources:
        data["distributions"] = [resource(r, lang, rec) for r in resources]
    data["source"] = {k: x for k, x in (("catalogue", portal), ("id", uuid), ("url", page)) if x}
    org = pkg.get("organization")
    if isinstance(org, dict) and (org.get("name") or org.get("title")):
        org_title = _bilingual(str(org.get("title") or org.get("name")), lang)
        oid = str(org.get("name") or "")
        rec.publisher = Publisher(oid if is_slug(oid) else slugify(oid or org_title), org_title,
                                  str(org.get("id") or oid))
    for key, value in pkg.items():
        if key not in READS and _has_value(value):
            rec.drop(key)
    return rec


def _has_value(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_value(x) for x in value.values())
    if isinstance(value, list):
        return any(_has_value(x) for x in value)
    return value is not None and value != "" and value is not False


def _language(pkg: dict[str, Any], rec: Harvested) -> None:
    """The package's `language`, else the languages of its resources."""
    given = _list(pkg.get("language"))
    if not given:
        given = [x for r in _dicts(pkg.get("resources")) for x in _list(r.get("language"))]
    langs = sorted({x for g in given if (x := v.language(g))})
    if langs:
        rec.data["language"] = langs


def _frequency(pkg: dict[str, Any], rec: Harvested) -> None:
    raw = v.clean(pkg.get("frequency"))
    if raw is None:
        return
    name = v.frequency(raw)
    if name is None:
        rec.warn("frequency", f"a frequency the registry does not know ({raw[:80]}): not kept")
        rec.drop("frequency")
        return
    rec.data["frequency"] = name


def _temporal(pkg: dict[str, Any], rec: Harvested) -> None:
    span = {}
    for key, names in (("start", ("time_period_coverage_start", "temporal_start")),
                       ("end", ("time_period_coverage_end", "temporal_end"))):
        raw = next((pkg[n] for n in names if v.clean(pkg.get(n)) is not None), None)
        if raw is not None and (d := v.date(raw, "temporal", rec)) is not None:
            span[key] = d
    if span:
        rec.data["temporal"] = span


def resource(r: dict[str, Any], lang: str, rec: Harvested) -> dict[str, Any]:
    """A resource as a distribution: `url` is its access URL (and its download URL when uploaded to the
    portal), `name` its title, `description`, `format`, `mimetype`, `size`, `language`, `date_published`,
    `last_modified`, `hash` (algorithm told by its length)."""
    out: dict[str, Any] = {}
    for key, name in (("title", "name"), ("description", "description")):
        if (text := translated(r, name)) is not None:
            out[key] = text
    url = v.clean(r.get("url"))
    if url is not None:
        out["access_url"] = url
    download = v.clean(r.get("download_url")) or (url if r.get("url_type") == "upload" else None)
    if download is not None:
        out["download_url"] = download
    if (fmt := v.clean(r.get("format"))) is not None:
        out["format"] = fmt
    if (media := v.media_type(r.get("mimetype"))) is not None:
        out["media_type"] = media
    size = r.get("size")
    if isinstance(size, int) and not isinstance(size, bool):
        out["byte_size"] = size
    elif isinstance(size, str) and size.strip().isdigit():
        out["byte_size"] = int(size.strip())
    elif v.clean(size) is not None:
        rec.drop("resources/size")
    if langs := sorted({x for g in _list(r.get("language")) if (x := v.language(g))}):
        out["language"] = langs
    for key in ("issued", "modified"):
        raw = r.get("date_published" if key == "issued" else "last_modified")
        if (d := v.date(raw, f"resources/{key}", rec)) is not None:
            out[key] = d
    if (ck := v.checksum(None, r.get("hash"))) is not None:
        out["checksum"] = ck
    elif v.clean(r.get("hash")) is not None:
        rec.drop("resources/hash")
    for key, value in r.items():
        if key not in RESOURCE_READS and _has_value(value):
            rec.drop("resources/" + key)
    return out
