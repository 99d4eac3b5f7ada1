"""The Store contract, run against every backend: one abstract suite, one subclass per store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from registry.store import Store, open_store
from registry.store.base import BadQuads

EX = "http://example.org/"
G1, G2, G3 = EX + "graph/1", EX + "graph/2", EX + "graph/3"
A, B, C = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "c")
P, Q = URIRef(EX + "p"), URIRef(EX + "q")
#: a literal with every character that would end a string or a group if it were pasted into a query
TRICKY = Literal('a "quoted" \'one\'\n } ; DROP ALL # \\ \u00e9\u4e2d')
#: an IRI that would close the IRI and the group if it were pasted into a query
BAD_IRI = URIRef(EX + "x> } ; DROP ALL #")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_DURATION = URIRef("http://www.w3.org/2001/XMLSchema#duration")


def quads(store: Store) -> set[tuple[object, object, object, object]]:
    return set(store.quads())


class StoreContract:
    """What every backend of `Store` must do. Subclasses provide the `store` fixture and say whether the
    store is `in_process`."""

    in_process = True

    @pytest.fixture
    def store(self) -> Iterator[Store]:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def filled(self, store: Store) -> Store:
        store.replace_graphs({
            G1: [(A, P, Literal("one")), (A, Q, B)],
            G2: [(B, P, Literal("two")), (B, Q, C)],
        })
        return store

    # ----------------------------------------------------------- replace_graphs
    def test_replace_graphs_writes_each_graph(self, filled: Store) -> None:
        assert set(filled.graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}
        assert set(filled.graph(G2)) == {(B, P, Literal("two")), (B, Q, C)}

    def test_replace_graphs_replaces_not_adds(self, filled: Store) -> None:
        filled.replace_graphs({G1: [(A, P, Literal("new"))]})
        assert filled.graph(G1) == [(A, P, Literal("new"))]
        assert set(filled.graph(G2)) == {(B, P, Literal("two")), (B, Q, C)}, "other graphs are untouched"

    def test_replace_graphs_with_no_triples_drops_the_graph(self, filled: Store) -> None:
        filled.replace_graphs({G1: []})
        assert filled.graph(G1) == []
        assert not filled.has_graph(G1)
        assert filled.has_graph(G2)

    def test_replace_graphs_of_several_graphs_at_once(self, filled: Store) -> None:
        filled.replace_graphs({G1: [], G2: [(C, P, Literal("c"))], G3: [(A, P, C)]})
        assert not filled.has_graph(G1)
        assert filled.graph(G2) == [(C, P, Literal("c"))]
        assert filled.graph(G3) == [(A, P, C)]

    def test_replace_graphs_keeps_literals_exactly(self, store: Store) -> None:
        triples = [
            (A, P, TRICKY),
            (A, P, Literal("2020-01-01", datatype=XSD_DATE)),
            (A, P, Literal("P7Y", datatype=XSD_DURATION)),
            (A, P, Literal("bonjour", lang="fr")),
            (A, P, Literal(True)),
            (A, P, Literal("")),
        ]
        store.replace_graphs({G1: triples})
        assert set(store.graph(G1)) == set(triples)

    @pytest.mark.parametrize(
        "bad",
        [
            {G2: [(A, P, Literal("changed"))], G3: [(A, P, BAD_IRI)]},  # a bad object in a later graph
            {G1: [(A, P, Literal("changed")), (BAD_IRI, P, Literal("x"))]},  # a bad subject
            {G1: [(A, P, Literal("changed"))], "not an iri> } ; DROP ALL #": [(A, P, B)]},  # a bad graph name
        ],
        ids=["bad-object", "bad-subject", "bad-graph-name"],
    )
    def test_failing_replace_leaves_everything_as_it_was(self, filled: Store, bad: dict) -> None:
        before = quads(filled)
        with pytest.raises(ValueError):
            filled.replace_graphs(bad)
        assert quads(filled) == before
        assert not filled.has_graph(G3)

    def test_invalid_language_tag_is_rejected_before_anything_is_written(self, filled: Store) -> None:
        before = quads(filled)
        with pytest.raises(ValueError):
            filled.replace_graphs({G1: [(A, P, Literal("changed"))], G2: [(A, P, Literal("x", lang="not a tag!"))]})
        assert quads(filled) == before

    def test_add_to_graph_appends_and_is_atomic(self, filled: Store) -> None:
        filled.add_to_graph(G1, [(C, P, Literal("added"))])
        assert (C, P, Literal("added")) in filled.graph(G1)
        assert len(filled.graph(G1)) == 3
        before = quads(filled)
        with pytest.raises(ValueError):
            filled.add_to_graph(G1, [(C, P, Literal("1")), (C, P, Literal("2")), (C, P, BAD_IRI)])
        assert quads(filled) == before

    # ------------------------------------------------------------------ reads
    def test_graph_and_has_graph_of_an_absent_graph(self, filled: Store) -> None:
        assert filled.graph(G3) == []
        assert not filled.has_graph(G3)
        assert filled.has_graph(G1)

    def test_select_over_the_union_of_named_graphs(self, filled: Store) -> None:
        rows = filled.select("SELECT ?s ?o WHERE { ?s <http://example.org/q> ?o } ORDER BY ?s")
        assert rows == [{"s": A, "o": B}, {"s": B, "o": C}]

    def test_select_leaves_unbound_optionals_out_of_the_row(self, filled: Store) -> None:
        rows = filled.select("SELECT ?s ?x WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://example.org/none> ?x } }")
        assert sorted(r["s"] for r in rows) == [A, B]
        assert all("x" not in r for r in rows)

    def test_select_with_bindings(self, filled: Store) -> None:
        rows = filled.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": A, "p": P})
        assert rows == [{"o": Literal("one")}]

    def test_select_limited_to_graphs(self, filled: Store) -> None:
        rows = filled.select("SELECT ?s WHERE { ?s ?p ?o }", graphs=[G2])
        assert {r["s"] for r in rows} == {B}
        assert filled.select("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", graphs=[G2]) != []
        assert filled.select("SELECT ?s WHERE { GRAPH <http://example.org/graph/1> { ?s ?p ?o } }",
                             graphs=[G2]) == []

    def test_bound_literal_is_data_not_query_text(self, filled: Store) -> None:
        """A bound value that would break out of a pasted query is matched as a plain value."""
        filled.replace_graphs({G3: [(C, P, TRICKY)]})
        before = quads(filled)
        rows = filled.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": TRICKY})
        assert rows == [{"s": C}]
        assert filled.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal('x" } ; DROP ALL # ')}) == []
        assert quads(filled) == before

    def test_injection_in_a_bound_iri_is_rejected_not_executed(self, filled: Store) -> None:
        before = quads(filled)
        with pytest.raises(ValueError):
            filled.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": BAD_IRI})
        with pytest.raises(ValueError):
            filled.ask("ASK { ?s ?p ?o }", {"s": BAD_IRI})
        assert quads(filled) == before

    def test_ask(self, filled: Store) -> None:
        assert filled.ask("ASK { ?s ?p ?o }", {"s": A}) is True
        assert filled.ask("ASK { ?s ?p ?o }", {"s": C}) is False
        assert filled.ask("ASK { <http://example.org/b> <http://example.org/q> ?o }") is True

    def test_construct(self, filled: Store) -> None:
        got = filled.construct("CONSTRUCT { ?o <http://example.org/back> ?s } WHERE { ?s <http://example.org/q> ?o }")
        assert set(got) == {(B, URIRef(EX + "back"), A), (C, URIRef(EX + "back"), B)}
        got = filled.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": B, "p": P})
        assert got == [(B, P, Literal("two"))]

    # ------------------------------------------------------------------- bulk
    def test_dump_and_bulk_load_round_trip(self, filled: Store, tmp_path: Path) -> None:
        filled.replace_graphs({G3: [(C, P, TRICKY), (C, P, Literal("2020-01-01", datatype=XSD_DATE)),
                                    (C, P, Literal("fr", lang="fr"))]})
        out = tmp_path / "dump.nq"
        n = filled.dump(out)
        expected = quads(filled)
        assert n == len(expected)
        fresh = open_store("memory")
        try:
            assert fresh.bulk_load(out, "nquads") == n
            assert quads(fresh) == expected
        finally:
            fresh.close()

    def test_bulk_load_trig(self, store: Store, tmp_path: Path) -> None:
        f = tmp_path / "data.trig"
        f.write_text('<http://example.org/graph/1> { <http://example.org/a> <http://example.org/p> "one" . }\n')
        assert store.bulk_load(f, "trig") == 1
        assert store.graph(G1) == [(A, P, Literal("one"))]

    def test_bulk_load_reads_a_file_in_slices_and_reports_progress(self, store: Store, tmp_path: Path) -> None:
        f = tmp_path / "many.nq"
        lines = [f'<{EX}s{i}> <{EX}p> "value {i}" <{EX}graph/{i % 7}> .' for i in range(500)]
        f.write_text("# a comment line\n\n" + "\n".join(lines) + "\n")
        store.slice_bytes = 1000  # type: ignore[attr-defined]  # dozens of slices
        read: list[int] = []
        assert store.bulk_load(f, "nquads", read.append) == 500
        assert sum(read) == f.stat().st_size and len(read) > 10
        assert len(quads(store)) == 500

    def test_a_bad_line_in_a_later_slice_loads_nothing_and_names_the_line(self, filled: Store, tmp_path: Path) -> None:
        before = quads(filled)
        f = tmp_path / "bad.nq"
        good = [f'<{EX}s{i}> <{EX}p> "value {i}" <{EX}graph/new> .' for i in range(300)]
        f.write_text("\n".join(good) + '\n<http://example.org/x> <http://example.org/p> "never closed .\n'
                     + "\n".join(good) + "\n")
        filled.slice_bytes = 500  # type: ignore[attr-defined]  # the bad line is far past the first slice
        with pytest.raises(BadQuads, match=r"bad\.nq: .*line 301\b"):
            filled.bulk_load(f, "nquads")
        assert quads(filled) == before

    def test_bulk_load_refuses_triples_outside_named_graphs_and_loads_nothing(self, filled: Store,
                                                                              tmp_path: Path) -> None:
        before = quads(filled)
        f = tmp_path / "default.nq"
        f.write_text(f'<{EX}a> <{EX}p> "x" <{EX}graph/9> .\n<{EX}a> <{EX}p> "x" .\n')
        with pytest.raises(BadQuads, match="outside named graphs"):
            filled.bulk_load(f, "nquads")
        assert quads(filled) == before

    def test_bulk_load_refuses_an_unknown_format(self, store: Store, tmp_path: Path) -> None:
        f = tmp_path / "data.ttl"
        f.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n")
        with pytest.raises(ValueError):
            store.bulk_load(f, "turtle")
        assert quads(store) == set()

    # ----------------------------------------------------------- graph names
    def test_graph_names_are_the_graphs_that_hold_triples(self, filled: Store) -> None:
        assert filled.graph_names() == [G1, G2]
        filled.replace_graphs({G1: [], G3: [(A, P, B)]})
        assert filled.graph_names() == [G2, G3]

    def test_an_empty_store_has_no_graph_names(self, store: Store) -> None:
        assert store.graph_names() == []

    # ----------------------------------------------------------- copy_graphs
    def test_copy_graphs_replaces_each_graph_in_the_target(self, filled: Store) -> None:
        target = filled.scratch()
        target.replace_graphs({G1: [(C, P, Literal("old"))], G2: [(C, P, Literal("kept"))],
                               G3: [(C, P, Literal("gone"))]})
        assert filled.copy_graphs([G1, G3], into=target) == 2
        assert set(target.graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}
        assert not target.has_graph(G3), "a graph the source lacks is dropped from the target"
        assert target.graph(G2) == [(C, P, Literal("kept"))], "graphs not named are left alone"
        assert set(filled.graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}, "the source is unchanged"

    def test_copy_graphs_keeps_terms_exactly(self, store: Store) -> None:
        triples = [(A, P, TRICKY), (A, P, Literal("2020-01-01", datatype=XSD_DATE)),
                   (A, P, Literal("P7Y", datatype=XSD_DURATION)), (A, P, Literal("fr", lang="fr")),
                   (A, Q, Literal(True))]
        store.replace_graphs({G1: triples})
        target = store.scratch()
        store.copy_graphs([G1], into=target)
        assert set(target.graph(G1)) == set(triples)

    def test_copy_graphs_in_batches_reads_names_as_it_goes(self, store: Store) -> None:
        many = {f"{EX}graph/many/{i}": [(URIRef(f"{EX}s{i}"), P, Literal(f"v{i}"))] for i in range(1200)}
        order = list(many)
        for start in range(0, len(order), 200):  # a server limits the size of one update (Virtuoso's SQL)
            store.replace_graphs({g: many[g] for g in order[start:start + 200]})
        target = store.scratch()
        target.replace_graphs({f"{EX}graph/many/0": [(C, P, Literal("replaced"))]})
        read: list[str] = []

        def names() -> Iterator[str]:
            for g in many:
                read.append(g)
                yield g

        assert store.copy_graphs(names(), into=target, atomic=False) == 1200
        assert read == list(many)
        assert {(g, t) for g in many for t in target.graph(g)} == {(g, t) for g, ts in many.items() for t in ts}
        assert target.graph_names() == sorted(many)
        for start in range(0, len(order), 200):
            store.replace_graphs({g: [] for g in order[start:start + 200]})
        assert target.copy_graphs(iter(order), into=store, atomic=False) == 1200, "and back, in batches"
        assert store.graph_names() == sorted(many)

    def test_copy_graphs_into_this_backend(self, store: Store) -> None:
        source = open_store("memory")
        try:
            source.replace_graphs({G1: [(A, P, TRICKY)], G2: [(B, P, Literal("two"))]})
            store.replace_graphs({G3: [(C, P, Literal("old"))]})
            assert source.copy_graphs([G1, G3], into=store) == 1
            assert store.graph(G1) == [(A, P, TRICKY)] and not store.has_graph(G3) and not store.has_graph(G2)
            assert source.copy_graphs([G2], into=store, atomic=False) == 1
            assert store.graph(G2) == [(B, P, Literal("two"))]
        finally:
            source.close()

    def test_copying_a_store_into_itself_is_refused(self, filled: Store) -> None:
        before = quads(filled)
        for atomic in (True, False):
            with pytest.raises(ValueError, match="itself"):
                filled.copy_graphs([G1], into=filled, atomic=atomic)
        assert quads(filled) == before

    # ----------------------------------------------------------- scratch, snapshot, flush, identity
    def test_scratch_is_a_new_empty_store_in_this_process(self, filled: Store) -> None:
        scratch = filled.scratch()
        try:
            assert scratch.in_process and scratch.graph_names() == [] and list(scratch.quads()) == []
            scratch.replace_graphs({G3: [(A, P, B)]})
            assert scratch.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": A}) == [{"o": B}]
            assert not filled.has_graph(G3), "the scratch store is not the store"
            assert filled.scratch().graph_names() == [], "each scratch store is new"
        finally:
            scratch.close()

    def test_snapshot_is_a_store_on_disk_with_every_quad(self, filled: Store, tmp_path: Path) -> None:
        filled.replace_graphs({G3: [(C, P, TRICKY), (C, P, Literal("P7Y", datatype=XSD_DURATION))]})
        expected = quads(filled)
        target = tmp_path / "snapshot"
        filled.snapshot(target)
        filled.replace_graphs({G1: []})  # later writes are not in it
        copy = open_store(str(target))
        try:
            assert quads(copy) == expected
        finally:
            copy.close()

    def test_snapshot_into_an_existing_folder_is_refused(self, filled: Store, tmp_path: Path) -> None:
        target = tmp_path / "taken"
        target.mkdir()
        (target / "keep").write_text("x")
        with pytest.raises(FileExistsError):
            filled.snapshot(target)
        assert [p.name for p in target.iterdir()] == ["keep"]

    def test_flush_keeps_everything(self, filled: Store) -> None:
        before = quads(filled)
        filled.flush()
        assert quads(filled) == before

    def test_identity_is_stable_and_names_this_store(self, filled: Store) -> None:
        assert filled.identity() == filled.identity() != ""
        scratch = filled.scratch()
        assert scratch.identity() != filled.identity()
        assert scratch.identity() != filled.scratch().identity()

    def test_in_process_says_whether_a_read_waits_on_a_server(self, store: Store) -> None:
        assert store.in_process is self.in_process

    def test_deferred_sync_returns_writes_committed(self, store: Store) -> None:
        with store.deferred_sync():
            store.replace_graphs({G1: [(A, P, B)]})
            with store.deferred_sync():
                store.add_to_graph(G1, [(A, Q, C)])
            assert set(store.graph(G1)) == {(A, P, B), (A, Q, C)}
        assert set(store.graph(G1)) == {(A, P, B), (A, Q, C)}


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = open_store("memory")
        yield s
        s.close()


class TestDiskStore(StoreContract):
    @pytest.fixture
    def location(self, tmp_path: Path) -> Path:
        return tmp_path / "store"

    @pytest.fixture
    def store(self, location: Path) -> Iterator[Store]:
        s = open_store(str(location))
        yield s
        s.close()

    def test_identity_is_kept_across_a_reopen_and_differs_for_another_folder(self, location: Path,
                                                                             tmp_path: Path) -> None:
        s = open_store(str(location))
        first = s.identity()
        s.close()
        again, other = open_store(str(location)), open_store(str(tmp_path / "other"))
        try:
            assert again.identity() == first != other.identity()
        finally:
            again.close()
            other.close()

    def test_a_store_opened_read_only_refuses_copies_into_it_and_snapshots_whole(self, store: Store, location: Path,
                                                                                 tmp_path: Path) -> None:
        store.replace_graphs({G1: [(A, P, TRICKY)]})
        held = open_store(str(location), read_only_fallback=True)  # `store` holds the folder
        try:
            assert held.read_only  # type: ignore[attr-defined]
            with pytest.raises(OSError, match="read-only"):
                store.copy_graphs([G1], into=held)
            with pytest.raises(OSError, match="read-only"):
                store.copy_graphs([G1], into=held, atomic=False)
            held.snapshot(tmp_path / "copy")
        finally:
            held.close()
        copy = open_store(str(tmp_path / "copy"))
        try:
            assert quads(copy) == quads(store)
        finally:
            copy.close()

    def test_data_persists_after_close_and_reopen(self, location: Path) -> None:
        s = open_store(str(location))
        s.replace_graphs({G1: [(A, P, TRICKY), (A, Q, B)], G2: [(B, P, Literal("two"))]})
        s.add_to_graph(G3, [(C, P, Literal("log"))])
        s.replace_graphs({G2: []})
        expected = quads(s)
        s.close()
        again = open_store(str(location))
        try:
            assert quads(again) == expected
            assert not again.has_graph(G2)
            assert set(again.graph(G1)) == {(A, P, TRICKY), (A, Q, B)}
        finally:
            again.close()


@pytest.mark.parametrize(("text", "statements"), [
    ('<http://e.org/a#x> <http://e.org/p> "#not a comment" <http://e.org/g> .\n' * 3, 3),
    ('<http://e.org/a> <http://e.org/p> "no final line end" <http://e.org/g> .', 1),
    ("# a comment\n" + '<http://e.org/a> <http://e.org/p> "x" <http://e.org/g> .\n' * 2, 2),
    ('<http://e.org/a> <http://e.org/p> "x" <http://e.org/g> .\n\n   \n\t# indented comment\n' * 2, 2),
    ('<http://e.org/a> <http://e.org/p> "x" <http://e.org/g> .\r\n\r\n' * 2, 2),
    ('  <http://e.org/a> <http://e.org/p> "led by spaces" <http://e.org/g> .\n' * 2, 2),
    ("", 0),
    ("\n", 0),
])
def test_statements_in_a_slice_are_counted_alike_with_or_without_blank_lines(text: str, statements: int) -> None:
    from registry.store.base import quads_in

    assert quads_in(text.encode()) == statements
