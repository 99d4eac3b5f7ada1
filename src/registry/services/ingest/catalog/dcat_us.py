"""DCAT-US 1.1 `data.json` (the US federal catalogues): read as JSON-LD through the bundled copy of its
context (registry/data/dcat-us-1.1-context.json), never fetched, whether the file names the official
context by its URL or names none; then mapped as any DCAT catalogue, `accessLevel` included."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from registry.services.ingest.catalog.dcat import DcatReader, parse_json_ld
from registry.services.ingest.catalog.harvest import CatalogError, Harvest, Harvested

CONTEXT_FILE = Path(str(files("registry") / "data" / "dcat-us-1.1-context.json"))
#: the official context's URL, as data.json files spell it (http or https, with or without www., a final # or /)
OFFICIAL = re.compile(r"\Ahttps?://(www\.)?project-open-data\.cio\.gov/v1\.1/schema/catalog\.jsonld[#/]?\Z",
                      re.IGNORECASE)


def context() -> dict[str, Any]:
    ctx: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    return ctx


def with_bundled_context(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with the official context (named by its URL, or absent) replaced by the bundled copy;
    another remote context is left for the JSON-LD reader to refuse."""
    given = doc.get("@context")
    items = given if isinstance(given, list) else [] if given is None else [given]
    kept = [c for c in items if not (isinstance(c, str) and OFFICIAL.fullmatch(c.strip()))]
    return {**doc, "@context": [context(), *kept]}


def read(doc: Any, lang: str, base: str, catalogue: str | None) -> Harvest:
    """The datasets of a data.json; they belong to the catalogue its `@id` names, else to `catalogue`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("dataset"), list):
        raise CatalogError('not a DCAT-US data.json: expected {"dataset": [datasets]}')
    entries = doc["dataset"]
    if not entries:
        raise CatalogError("the data.json lists no dataset")
    catalogue = doc["@id"].strip() if isinstance(doc.get("@id"), str) and doc["@id"].strip() else catalogue
    unreadable = [Harvested(f"dataset #{i + 1}", {}, unreadable=f"dataset #{i + 1} of the data.json is not an object")
                  for i, d in enumerate(entries) if not isinstance(d, dict)]
    objects = [d for d in entries if isinstance(d, dict)]
    if not objects:
        return Harvest(unreadable)
    g = parse_json_ld(with_bundled_context({**doc, "dataset": objects}), base)
    harvest = DcatReader(g, lang, catalogue).harvest()
    harvest.records += unreadable
    return harvest
