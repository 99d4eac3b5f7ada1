"""The loader: write order of world files, format detection, and bulk loads into an open registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import WORLD_FILE, load_json, record, world_nquads
from registry.domain.model import KINDS
from registry.errors import BadInput, ValidationFailed
from registry.services.ingest.loader import SYSTEM, detect, load_file, world_records
from registry.services.registry import Registry

WORLD = load_json(WORLD_FILE)


def test_world_records_put_parents_and_sources_first() -> None:
    reversed_world = {k: list(reversed(v)) for k, v in WORLD.items()}
    order = [(kind.name, data["id"]) for kind, data in world_records(reversed_world)]
    position = {rec: i for i, rec in enumerate(order)}
    assert len(order) == sum(len(v) for v in WORLD.values())
    assert position[("organization", "moh")] < position[("organization", "moh-idiu")]
    for d in WORLD["datasets"]:
        for src in d["derived_from"]:
            assert position[("dataset", src)] < position[("dataset", d["id"])]
    kinds = [k for k, _ in order]
    assert kinds == sorted(kinds, key=["organization", "dataset", "agreement"].index)


def test_reversed_world_loads(registry: Registry, tmp_path: Path) -> None:
    f = tmp_path / "reversed.json"
    f.write_text(json.dumps({k: list(reversed(v)) for k, v in WORLD.items()}))
    report = load_file(registry, f)
    assert report.created == sum(len(v) for v in WORLD.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [("w.json", "world"), ("w.nq", "nquads"), ("w.nquads", "nquads"), ("w.trig", "trig"), ("w.ttl", "turtle"),
     ("w.jsonld", "json-ld"), ("w.rdf", "xml"), ("w.nt", "nt")],
)
def test_detect(tmp_path: Path, name: str, expected: str) -> None:
    f = tmp_path / name
    f.write_text("{}")
    assert detect(f, None) == expected


def test_detect_json_ld_by_content(tmp_path: Path) -> None:
    f = tmp_path / "records.json"
    f.write_text('{"@context": {}, "@graph": []}')
    assert detect(f, None) == "json-ld"


def test_detect_unknown(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        detect(tmp_path / "records.csv", None)


def test_bulk_load_into_an_open_registry_keeps_its_indexes_in_step(registry: Registry) -> None:
    assert load_file(registry, world_nquads()).quads > 0
    data = record(WORLD, "datasets", "ohip-claims")
    data["derived_from"] = ["health-social-deid"]  # which derives (twice removed) from ohip-claims
    with pytest.raises(ValidationFailed) as exc:
        registry.records.write(KINDS["dataset"], data, SYSTEM, create=False, rid="ohip-claims")
    assert {v.field for v in exc.value.violations} == {"derived_from"}
