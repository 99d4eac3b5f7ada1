"""The records' public forms and the facts of a bulk load's pass (projections/bulk.py): a record's public
graph whose lines all have the common form is read in one go (`BulkBuild._read_graph`: the triples at once,
the facts from the lines that may state one), and the pass stages the same documents, finds the same records
unsure and gathers the same facts as when every record is read quad by quad, for every kind of record,
language tags, escapes, values the store keeps in another form, blank nodes, graphs in pieces across slices
and retired records. (That the documents are those the store's reading gives: test_bulk.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import world_nquads
from projections.test_bulk import hostile, load, synth_file  # noqa: F401 - synth_file is a fixture
from registry.domain.model import KINDS
from registry.projections import bulk as bulk_module
from registry.projections.bulk import BulkBuild, Facts

BASE = "https://registry.example.org"
#: the load's slices: records still cross them (about 40 slices of the synthetic file), each slice costing
#: a settle of Oxigraph's loader (a quarter of the slices of test_bulk.py's loads)
SLICE = 65536


def retired_and_blank(source: Path, out: Path) -> Path:
    """A file with a dataset retired and an organisation whose public graph holds a blank node."""
    lines = source.read_text(encoding="utf-8").splitlines()
    graph = next(line.split(" ")[-2] for line in lines if "/graph/dataset/" in line and "/restricted>" not in line)
    subject = graph.replace("/graph/", "/")
    other = next(line.split(" ")[-2] for line in lines if "/graph/organization/" in line)
    extra = [f'{subject} <https://w3id.org/gov-data-registry/ns#retired> "2024-05-01"^^'
             f'<http://www.w3.org/2001/XMLSchema#date> {graph} .',
             f'{other.replace("/graph/", "/")} <http://www.w3.org/ns/dcat#contactPoint> _:c {other} .',
             f'_:c <http://www.w3.org/2006/vcard/ns#fn> "Blank"@fr {other} .']
    out.write_text("\n".join(lines[:10] + extra + lines[10:]) + "\n", encoding="utf-8")
    return out


def _facts(facts: Facts) -> dict[str, Any]:
    return {"datasets": sorted(map(str, facts.datasets)), "sources": sorted(facts.sources),
            "generated": sorted(facts.generated), "activity_kind": {k: sorted(v) for k, v in facts.activity_kind.items()},
            "pi": sorted(facts.pi), "retired": sorted(facts.retired),
            "typed": {k: sorted(v) for k, v in facts.typed.items()},
            "identifiers": {k: sorted(v) for k, v in facts.identifiers.items()}, "blank": facts.blank}


def pass_of(path: Path, data: Path, monkeypatch: pytest.MonkeyPatch, *, in_one_go: bool) -> dict[str, Any]:
    """What the pass of a bulk load of `path` staged and gathered, just before it builds the projections."""
    seen: dict[str, Any] = {"in_one_go": 0}
    read_graph, finish = BulkBuild._read_graph, BulkBuild.finish

    def counted(self: BulkBuild, *args: Any) -> Any:
        triples = read_graph(self, *args) if in_one_go else None
        seen["in_one_go"] += triples is not None
        return triples

    def snapshot(self: BulkBuild) -> None:
        if self.fast and self._carry is not None:
            self._read_runs([self._carry])
            self._carry = None
        assert self._stage is not None
        seen["stage"] = self._stage.execute("SELECT kind, id, doc FROM stage ORDER BY rowid").fetchall()
        seen["unsure"], seen["facts"], seen["fast"] = sorted(self.unsure), _facts(self.facts), self.fast
        finish(self)

    with monkeypatch.context() as m:
        m.setattr(BulkBuild, "_read_graph", counted)
        m.setattr(BulkBuild, "finish", snapshot)
        load(data, path, build=True, slice_bytes=SLICE)
    return seen


@pytest.mark.parametrize("name", ["world", "synthetic", "hostile", "retired"])
def test_records_read_in_one_go_are_staged_as_read_quad_by_quad(
        name: str, synth_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    path = {"world": world_nquads(), "synthetic": synth_file, "hostile": hostile(synth_file, tmp_path / "hostile.nq"),
            "retired": retired_and_blank(synth_file, tmp_path / "retired.nq")}[name]
    slow = pass_of(path, tmp_path / "slow" / "store", monkeypatch, in_one_go=False)
    fast = pass_of(path, tmp_path / "fast" / "store", monkeypatch, in_one_go=True)
    assert fast["fast"] and slow["fast"]
    for part in ("stage", "unsure", "facts"):
        assert fast[part] == slow[part], part
    assert {kind for kind, _id, _doc in fast["stage"]} == set(KINDS)
    # the mechanism is used: most records of the synthetic files (slices of lines in the common form; the
    # world's file has lines with escapes in most slices) are read in one go
    assert slow["in_one_go"] == 0
    if name != "world":
        assert fast["in_one_go"] >= len(fast["stage"]) // 2
    if name == "retired":
        assert any('"retired":"2024-05-01"' in doc for _k, _i, doc in fast["stage"])
        assert any(kind == "organization" for kind, _id in fast["unsure"])  # its blank node: read from the store


def test_a_graph_name_not_the_records_is_read_quad_by_quad(tmp_path: Path) -> None:
    """Lines whose parts name another graph than the record's (as a carried run may hold) are not read in
    one go."""
    line = f"<{BASE}/dataset/a> <http://purl.org/dc/terms/title> \"A\" <{BASE}/graph/dataset/b> .".encode()
    parts = bulk_module.common_lines(line + b"\n")
    assert parts is not None
    build = BulkBuild.__new__(BulkBuild)
    assert build._read_graph(f"{BASE}/graph/dataset/a", *parts) is None
