"""Every record kind's `to_rdf` makes exactly the triples it made when a record's graphs were rdflib Graphs:
the same terms, in the same public and restricted parts, none twice. Checked against
tests/data/record-rdf.json, the sets (their audit hashes, `audit.state_hash`) and sizes that the Graph-based
code made for varied records of every kind: the demo registry, the casebook's world, the DCAT records, a
small bench.synth registry read back from its quads, and hand-made records with every optional field,
repeated values, language maps and odd characters. Regenerate the file only for a deliberate change of the
model's RDF: `python tests/domain/test_record_rdf.py --write`."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset, URIRef

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.synth import Synth  # noqa: E402

from helpers import DATA, DEMO_FILE, WORLD_FILE, load_json  # noqa: E402
from registry.domain.model import BY_COLLECTION, KINDS, Iris, RecordKind  # noqa: E402
from registry.domain.model.common import Triples  # noqa: E402
from registry.domain.model.disposal import DISPOSAL, Disposal  # noqa: E402
from registry.store import audit  # noqa: E402

IRIS = Iris("https://registry.example.org")
EXPECTED = DATA / "record-rdf.json"
COLLECTIONS = ("organizations", "datasets", "agreements")

#: records with every optional field, repeated values (a Graph kept one of each), language maps, odd text
HAND_MADE: list[tuple[str, dict[str, Any]]] = [
    ("dataset", {
        "id": "every-field", "title": {"en": "Claims", "fr": "Réclamations", "en-ca": "Claims"},
        "description": "Line one\nline two \u00e9\u4e2d", "publisher": "moh",
        "steward": {"name": "A  Steward", "email": "a steward@moh.example.org"},
        "keywords": ["claims", "claims", "health", "Claims"], "themes": ["health", "Health", "health",
                                                                        "http://publications.europa.eu/resource/authority/data-theme/TRAN"],
        "access": "non-public", "sensitivity": "high", "personal_information": True,
        "personal_data_categories": ["health", "health", "financial"], "retention": "P7Y6M",
        "issued": "2020-02-29", "modified": "2024-12-31", "derived_from": ["a", "b", "a"],
        "generated_by": {"kind": "deidentification", "by": "ices", "date": "2021-01-01"},
        "openlineage": [{"namespace": "postgres://db:5432", "name": "public.claims"},
                        {"namespace": "postgres://db:5432", "name": "public.claims"},
                        {"namespace": "s3://bucket", "name": "claims/2020"}],
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "distributions": [
            {"title": "CSV", "access_url": "https://example.org/a", "download_url": "https://example.org/a.csv",
             "media_type": "text/csv", "format": "CSV", "byte_size": 1024, "license": "Open Government Licence",
             "checksum": {"algorithm": "sha256", "value": "ab" * 32}, "language": ["en", "fr", "en"],
             "issued": "2020-01-01", "modified": "2020-02-01"},
            {"title": {"en": "Parquet", "fr": "Parquet"}, "access_url": "https://example.org/a",
             "format": "a format of our own", "media_type": "application/vnd.apache.parquet"},
            {"access_url": "https://example.org/a"},
        ],
        "landing_page": "https://example.org/claims", "language": ["en", "fr", "fr"], "frequency": "annual",
        "spatial": ["Ontario", "http://sws.geonames.org/6093943/", "Ontario", "Toronto"],
        "temporal": {"start": "2000-01-01", "end": "2020-12-31"}, "version": "2.1",
        "conforms_to": ["https://example.org/std", "https://example.org/std"],
        "contact_point": {"name": "Team", "email": "team@moh.example.org"},
        "source": {"catalogue": "CKAN", "id": "abc-123", "url": "https://ckan.example.org/dataset/abc"},
    }),
    ("dataset", {"id": "licence-spelling", "licence": "Crown copyright", "temporal": {"end": "2021-01-01"},
                 "generated_by": {"kind": "linkage"}, "contact_point": {"email": "x@y.example.org"},
                 "source": {"id": "1"}, "steward": {"email": "s@y.example.org"}}),
    ("dataset", {"id": "bare"}),
    ("dataset", {"id": "unknown-codes", "access": "nonsense", "sensitivity": "nonsense", "frequency": "weekly-ish",
                 "generated_by": {"kind": "made-up", "by": "x"}, "personal_information": False}),
    ("organization", {"id": "bare-org"}),
    ("organization", {"id": "unit", "name": "A unit", "kind": "data-integration-unit", "parent": "moh",
                      "unit_kind": "ministry", "designated_under": ["fippa-49-2", "fippa-49-2"],
                      "governed_by": ["fippa", "phipa", "fippa"], "designation_reference": "O. Reg. 1/2020",
                      "jurisdiction": "Ontario"}),
    ("agreement", {"id": "bare-agreement"}),
]

DISPOSALS: list[dict[str, Any]] = [
    {"id": "d1", "agreement": "a1", "recorded_by": "officer", "recorded_on": dt.date(2024, 5, 1)},
    {"id": "d2", "agreement": "a1", "recipient": "ices", "datasets": ["x", "y", "x"], "date": "2024-04-30",
     "method": "secure-deletion", "attested_by": {"name": "Pat", "email": "pat@ices.example.org"},
     "note": "All copies\ndestroyed.", "recorded_by": "officer", "recorded_on": "2024-05-01"},
    {"id": "d3", "agreement": "a2", "attested_by": {}, "recorded_by": "x", "recorded_on": "2024-05-01"},
]


def _agreement_variants() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each casebook agreement with its lists doubled (a Graph kept one of each)."""
    for rec in load_json(WORLD_FILE)["agreements"]:
        doubled = {k: (v + v if isinstance(v, list) else v) for k, v in rec.items()}
        yield "agreement", dict(doubled, id=rec["id"] + "-doubled")


def _synth_records() -> Iterator[tuple[str, dict[str, Any]]]:
    """The records of a small bench.synth registry, read back from its quads as the write path would get them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synth.nq"
        Synth(datasets=120, seed=1, base_iri=IRIS.base).write(path)
        ds = Dataset()
        ds.parse(path, format="nquads")
    records: dict[tuple[str, str], list[Any]] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        named = IRIS.parse(g) if g is not None else None
        if named is not None and named.graph and named.kind in KINDS:
            records.setdefault((named.kind, named.id), []).append((s, p, o))
    for (kind_name, rid), triples in sorted(records.items()):
        kind = KINDS[kind_name]
        data = kind.from_rdf(Triples(triples), URIRef(IRIS.record(kind_name, rid)), IRIS)  # type: ignore[arg-type]
        yield kind_name, {k: v for k, v in data.items() if v is not None and k != "retired"}


@cache
def cases() -> list[tuple[str, RecordKind, Any]]:
    """(label, kind, validated input) of every record the test checks."""
    out: list[tuple[str, RecordKind, Any]] = []
    for label, path in (("demo", DEMO_FILE), ("world", WORLD_FILE), ("dcat", DATA / "dcat-records.json")):
        world = load_json(path)
        for collection in COLLECTIONS:
            for rec in world.get(collection, []):
                kind = BY_COLLECTION[collection]
                out.append((f"{label}-{kind.name}-{rec['id']}", kind, kind.model.model_validate(rec)))
    for label, source in (("synth", _synth_records()), ("varied", iter(HAND_MADE)), ("doubled", _agreement_variants())):
        for kind_name, rec in source:
            kind = KINDS[kind_name]
            out.append((f"{label}-{kind_name}-{rec['id']}", kind, kind.model.model_validate(rec)))
    for rec in DISPOSALS:
        out.append((f"varied-disposal-{rec['id']}", DISPOSAL, Disposal.model_validate(rec)))
    return out


def made(kind: RecordKind, rec: Any) -> dict[str, Any]:
    """What `to_rdf` makes of a record: each part's audit hash and size (a triple made twice counts twice)."""
    rg = kind.to_rdf(rec, IRIS)
    public, restricted = list(rg.public), list(rg.restricted)
    return {"public": [audit.state_hash(public), len(public)], "restricted": [audit.state_hash(restricted),
                                                                               len(restricted)],
            "iri": str(rg.iri)}


def test_the_cases_cover_every_kind_and_source() -> None:
    labels = [label for label, _, _ in cases()]
    assert len(labels) == len(set(labels))
    for prefix in ("demo-dataset", "demo-agreement", "demo-organization", "world-", "dcat-dataset", "synth-dataset",
                   "synth-agreement", "synth-organization", "varied-dataset", "varied-disposal", "doubled-"):
        assert any(label.startswith(prefix) for label in labels), prefix
    assert set(expected()) == set(labels)


@cache
def expected() -> dict[str, Any]:
    return dict(json.loads(EXPECTED.read_text(encoding="utf-8")))


@pytest.mark.parametrize("case", range(len(cases())), ids=[label for label, _, _ in cases()])
def test_to_rdf_makes_the_same_triples(case: int) -> None:
    label, kind, rec = cases()[case]
    assert made(kind, rec) == expected()[label]


def test_a_changed_triple_is_caught() -> None:
    """The comparison sees one term changed (the check the test above rests on)."""
    label, kind, rec = next(c for c in cases() if c[0].startswith("varied-dataset-every-field"))
    rg = kind.to_rdf(rec, IRIS)
    public = list(rg.public)
    s, p, o = public[-1]
    changed = [*public[:-1], (s, p, URIRef(str(o) + "x"))]
    assert audit.state_hash(changed) != made(kind, rec)["public"][0]
    rg.public.add(public[0])  # adding a triple it holds keeps one of it, as a Graph did
    assert len(list(rg.public)) == len(public)


def main() -> None:
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/domain/test_record_rdf.py --write")
    out = {label: made(kind, rec) for label, kind, rec in cases()}
    EXPECTED.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(out)} records written to {EXPECTED}")


if __name__ == "__main__":
    main()
