"""The synthetic registry (`python -m bench.synth`): deterministic, valid, and in exactly the write path's layout."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from bench.synth import HUB, MAX_DEPTH, Synth, main, synthesize
from bench.workloads import largest_hub

from registry.config import Settings
from registry.domain.model import KINDS
from registry.services.ingest.loader import SYSTEM, load_file
from registry.services.registry import Registry, open_registry

N = 300
SEED = 7


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "registry.nq"
    synthesize(out, N, SEED)
    return out


@pytest.fixture
def synth_registry(registry: Registry, synth_file: Path) -> Registry:
    load_file(registry, synth_file, caller=SYSTEM)
    return registry


def test_same_seed_same_bytes_and_different_seed_different_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.nq", tmp_path / "b.nq", tmp_path / "c.nq"
    ra = synthesize(a, 200, seed=1)
    synthesize(b, 200, seed=1)
    synthesize(c, 200, seed=2)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert ra.quads == a.read_text().count("\n")


def test_no_hub_is_the_default_below_a_million_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    a, b = tmp_path / "a.nq", tmp_path / "b.nq"
    synthesize(a, 200, seed=1)
    synthesize(b, 200, seed=1, hub=0)
    assert Synth(datasets=200, seed=1).hub == 0 and a.read_bytes() == b.read_bytes()


def test_a_hub_has_about_as_many_datasets_downstream_as_asked_and_the_rest_of_the_plan_stays() -> None:
    plain, hub = Synth(datasets=3000, seed=4, hub=0), Synth(datasets=3000, seed=4, hub=400)
    assert largest_hub(plain)[1] < 400
    top, below = largest_hub(hub)
    assert top == HUB and 400 <= below <= 420
    assert (hub.ds_id, hub.ds_publisher, hub.ds_access, hub.ds_depth) == (
        plain.ds_id, plain.ds_publisher, plain.ds_access, plain.ds_depth)
    assert [a.__dict__ for a in hub.agreements] == [a.__dict__ for a in plain.agreements]
    changed = [i for i in range(3000) if hub.ds_sources[i] != plain.ds_sources[i]]
    assert changed and all(hub.ds_sources[i] == (*plain.ds_sources[i], HUB) for i in changed)
    assert all(plain.ds_sources[i] for i in changed), "only derived datasets gain the hub as a source"
    # asked for more than there are derived datasets: every one of them
    everything = Synth(datasets=300, seed=4, hub=10_000)
    assert largest_hub(everything) == (HUB, sum(1 for x in everything.ds_sources if x))


def test_the_cli_takes_a_hub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.nq", tmp_path / "b.nq"
    main(["--datasets", "300", "--seed", "5", "--hub", "50", "--out", str(a)])
    synthesize(b, 300, seed=5, hub=50)
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(SystemExit):
        main(["--datasets", "300", "--hub", "-1", "--out", str(a)])
    assert "--hub" in capsys.readouterr().err


def test_a_registry_with_a_hub_validates_with_no_violations(registry: Registry, tmp_path: Path) -> None:
    nq = tmp_path / "hub.nq"
    synthesize(nq, N, SEED, hub=60)
    load_file(registry, nq, caller=SYSTEM)
    assert [v.as_json() for v in registry.records.validate_all() if v.severity == "Violation"] == []
    assert len(registry.lineage.downstream(Synth(datasets=N, seed=SEED, hub=60).ds_id[HUB])) >= 60


def test_base_iri_names_every_record(tmp_path: Path) -> None:
    out = tmp_path / "x.nq"
    synthesize(out, 50, seed=1, base_iri="https://data.example.gov/")
    text = out.read_text()
    assert "https://registry.example.org" not in text
    assert "<https://data.example.gov/graph/dataset/" in text


def test_shape_of_the_registry() -> None:
    s = Synth(datasets=4000, seed=3)
    r = s.report()
    assert r.datasets == 4000
    assert 90 <= r.organizations <= 110  # about N/40
    assert 350 <= r.agreements <= 450  # about a tenth of the datasets
    assert 1.7 <= r.mean_in_degree <= 2.3
    assert 8 <= r.max_depth <= MAX_DEPTH
    kinds = Counter(o.kind for o in s.orgs)
    assert {"ministry", "agency", "data-integration-unit", "prescribed-entity", "external", "municipality"} <= set(kinds)
    assert all(o.designated_under == ("fippa-part-3.1",) and o.unit_kind for o in s.orgs
               if o.kind == "data-integration-unit")
    public = sum(1 for a in s.ds_access if a == "public") / r.datasets
    assert 0.3 <= public <= 0.5
    activities = Counter(a[0] for a in s.ds_activity if a is not None)
    assert activities["deidentification"] > 0 and activities["linkage"] > 0
    statuses = Counter(a.status for a in s.agreements)
    assert set(statuses) == {"active", "draft", "suspended", "terminated"}
    by_id = {s.ds_id[i]: s.orgs[s.ds_publisher[i]].id for i in range(r.datasets)}
    assert all(by_id[d] == a.provider for a in s.agreements for d in a.datasets)
    assert all(sources and max(s.ds_depth[x] for x in sources) < s.ds_depth[i]
               for i, sources in enumerate(s.ds_sources) if sources)  # a DAG: sources are shallower


def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.nq"
    main(["--datasets", "40", "--seed", "5", "--out", str(out)])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["datasets"] == 40 and summary["quads"] == out.read_text().count("\n")


def test_synthetic_registry_validates_with_no_violations(synth_registry: Registry) -> None:
    found = synth_registry.records.validate_all()
    violations = [v.as_json() for v in found if v.severity == "Violation"]
    assert violations == []
    assert synth_registry.records.list(KINDS["dataset"], limit=1).total == N


def _graphs(registry: Registry, kind: str, rid: str) -> tuple[set[object], set[object]]:
    pub, res = registry.iris.graphs(kind, rid)
    return set(registry.store.graph(pub)), set(registry.store.graph(res))


def _sample(s: Synth) -> list[tuple[str, str]]:
    """Records of every shape: each kind of organisation, base and derived datasets (with and without
    an activity, with personal data or not), agreements with and without conditions and end dates."""
    picked: list[tuple[str, str]] = []
    seen_kinds: set[str] = set()
    for o in s.orgs:
        if o.kind not in seen_kinds:
            seen_kinds.add(o.kind)
            picked.append(("organization", o.id))
    wants = {
        "base, personal": lambda i: not s.ds_sources[i] and s.ds_pi[i],
        "base, public": lambda i: not s.ds_sources[i] and s.ds_access[i] == "public",
        "derived, activity": lambda i: bool(s.ds_sources[i]) and s.ds_activity[i] is not None,
        "derived, no activity": lambda i: bool(s.ds_sources[i]) and s.ds_activity[i] is None,
        "derived, linkage": lambda i: len(s.ds_sources[i]) > 1 and (s.ds_activity[i] or ("",))[0] == "linkage",
        "derived, deidentified": lambda i: (s.ds_activity[i] or ("",))[0] == "deidentification",
    }
    for test in wants.values():
        i = next(i for i in range(s.datasets) if test(i))
        if ("dataset", s.ds_id[i]) not in picked:
            picked.append(("dataset", s.ds_id[i]))
    agreements = {
        "conditions": lambda a: a.conditions is not None and a.conditions["deidentify_before_use"],
        "no conditions": lambda a: a.conditions is None,
        "open-ended": lambda a: a.valid_until is None,
        "onward allowed or unsaid": lambda a: a.conditions is not None and a.conditions["onward_disclosure"] is not False,
    }
    for test in agreements.values():
        a = next((a for a in s.agreements if test(a)), None)
        if a is not None and ("agreement", a.id) not in picked:
            picked.append(("agreement", a.id))
    return picked


def test_synthetic_records_are_exactly_what_the_write_path_stores(
        synth_registry: Registry, synth_file: Path, tmp_path: Path) -> None:
    s = Synth(datasets=N, seed=SEED)
    sample = _sample(s)
    assert len([k for k, _ in sample if k == "agreement"]) >= 3
    expected = {(k, rid): _graphs(synth_registry, k, rid) for k, rid in sample}
    records = {(k, rid): synth_registry.records.get(KINDS[k], rid, full=True) for k, rid in sample}
    # A fresh registry holding every synthetic record except the sample, which then goes through
    # the write path (parse, SHACL, commit) from its JSON.
    skip = set()
    for k, rid in sample:
        skip.update(f"<{g}>" for g in synth_registry.iris.graphs(k, rid))
    rest = tmp_path / "rest.nq"
    with synth_file.open() as f, rest.open("w") as out:
        out.writelines(line for line in f if line.rsplit(" ", 2)[-2] not in skip)
    fresh = open_registry(Settings(data="memory"))
    try:
        load_file(fresh, rest, caller=SYSTEM)
        order = {"organization": 0, "dataset": 1, "agreement": 2}
        index = {rid: i for i, rid in enumerate(s.ds_id)}
        for k, rid in sorted(sample, key=lambda x: (order[x[0]], index.get(x[1], 0))):
            assert not fresh.records.exists(KINDS[k], rid)
            result = fresh.records.write(KINDS[k], records[(k, rid)], SYSTEM, create=True)
            assert result.created
        for k, rid in sample:
            public, restricted = _graphs(fresh, k, rid)
            assert public == expected[(k, rid)][0], f"public graph of {k} {rid}"
            assert restricted == expected[(k, rid)][1], f"restricted graph of {k} {rid}"
            assert public, f"{k} {rid} has an empty public graph"
    finally:
        fresh.close()


def test_share_checks_run_on_the_synthetic_registry(synth_registry: Registry) -> None:
    s = Synth(datasets=N, seed=SEED)
    decisions: Counter[str] = Counter()
    for a in s.agreements[:25]:
        proposal = {"datasets": a.datasets, "provider": a.provider, "recipient": a.recipient,
                    "purpose": a.purposes[0], "date": a.valid_from}
        body = synth_registry.share_checks.run(proposal, SYSTEM, record=False)
        assert body["decision"] in ("permitted", "conditional", "not_permitted")
        assert body["reasons"], body
        decisions[body["decision"]] += 1
    open_data = next(s.ds_id[i] for i in range(s.datasets) if s.ds_access[i] == "public" and not s.ds_pi[i]
                     and not s.ds_sources[i])
    body = synth_registry.share_checks.run({"datasets": [open_data], "provider": s.orgs[0].id,
                                            "recipient": s.orgs[1].id, "purpose": "research"}, SYSTEM)
    decisions[body["decision"]] += 1
    assert decisions["conditional"] > 0 and decisions["not_permitted"] > 0 and decisions["permitted"] > 0
