"""schema.org `Dataset` JSON-LD for a dataset page, so search engines can find it: built from the record's
public form only (the page's own data), with absolute links to this site."""

from __future__ import annotations

from typing import Any


def text(value: Any) -> Any:
    """A text, or a language map as schema.org's language-tagged values."""
    if isinstance(value, dict):
        values = [{"@value": str(v), "@language": str(k)} for k, v in sorted(value.items()) if v]
        return values[0] if len(values) == 1 else values
    return value


def dataset(record: dict[str, Any], origin: str, publisher_name: str | None,
            sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD of one dataset (`record` is its public form)."""
    rid = record["id"]
    page = f"{origin}/datasets/{rid}"
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page,
        "url": page,
        "identifier": rid,
        "name": text(record.get("title") or rid),
    }
    optional = {
        "description": text(record.get("description")),
        "keywords": record.get("keywords") or None,
        "datePublished": record.get("issued"),
        "dateModified": record.get("modified"),
        "license": record.get("license"),
        "inLanguage": record.get("language") or None,
        "version": record.get("version"),
        "sameAs": record.get("landing_page"),
        "spatialCoverage": record.get("spatial") or None,
        "isAccessibleForFree": True if record.get("access") == "public" else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if record.get("publisher"):
        out["publisher"] = {"@type": "Organization", "@id": f"{origin}/organizations/{record['publisher']}",
                            "name": publisher_name or record["publisher"]}
    temporal = record.get("temporal") or {}
    if temporal.get("start") or temporal.get("end"):
        out["temporalCoverage"] = f"{temporal.get('start') or '..'}/{temporal.get('end') or '..'}"
    if sources:
        out["isBasedOn"] = [f"{origin}/datasets/{s['id']}" for s in sources]
    downloads = []
    for d in record.get("distributions") or []:
        url = d.get("download_url") or d.get("access_url")
        if not url:
            continue
        item: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        for key, value in (("name", text(d.get("title"))), ("encodingFormat", d.get("media_type") or d.get("format")),
                           ("contentSize", d.get("byte_size")), ("license", d.get("license"))):
            if value is not None:
                item[key] = value
        downloads.append(item)
    if downloads:
        out["distribution"] = downloads
    return out
