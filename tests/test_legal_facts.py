"""The facts a share check reads: the legal-basis engine reads them in a few queries whatever the number of
datasets (the provider and recipient in one, every dataset in one, their categories of personal information
in one), and what it reads together is what it read one record at a time, answer for answer."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from rdflib import Literal
from rdflib.term import Node

import test_legal
from conftest import Api
from registry.domain.legal import DatasetFacts, OrgFacts, ShareProposal
from registry.errors import ValidationFailed
from registry.namespaces import DCTERMS, SKOS
from registry.services.legal import LegalEngine
from registry.services.registry import Registry
from registry.store.base import Row, Store
from test_legal import CASES

#: the fixture: the casebook world and records for every rule
lab = test_legal.lab

#: the lab's datasets and organisations (test_legal.lab), with the casebook world's
DATASETS = ["ohip-claims", "ow-caseload", "osap-loans", "road-collisions", "collision-summary",
            "linked-health-social", "health-social-deid", "ow-extract", "shelter-usage", "driver-licences",
            "drug-claims", "hospital-stays", "mto-open", "mto-internal", "linked", "deid", "deid-extract", "hop1",
            "hop2"]
ORGS = ["moh", "mof", "mccss", "mto", "mcu", "moh-idiu", "univ-research", "toronto", "tps", "ices", "moh-audit"]
PURPOSES = ["program-evaluation", "program-management", "research", "audit", "statistics", "health-system-analysis"]


class Counting:
    """A store that counts the queries asked of it (the engine only selects)."""

    def __init__(self, store: Store) -> None:
        self.store, self.queries = store, 0

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, **kw: Any) -> list[Row]:
        self.queries += 1
        return self.store.select(query, bindings, **kw)


class OneAtATime(LegalEngine):
    """The engine as it read the store before: each dataset and organisation (and the categories of each
    dataset with personal information) by a query of its own."""

    def _datasets(self, rids: Sequence[str]) -> dict[str, DatasetFacts]:
        return {k: v for rid in rids for k, v in LegalEngine._datasets(self, [rid]).items()}

    def _orgs(self, rids: Sequence[str]) -> dict[str, OrgFacts]:
        return {k: v for rid in rids for k, v in LegalEngine._orgs(self, [rid]).items()}


def engine(reg: Registry, store: Any = None, kind: type[LegalEngine] = LegalEngine) -> LegalEngine:
    return kind(store or reg.store, reg.iris, reg.resources, reg.lineage)


def answer(e: LegalEngine, p: ShareProposal) -> Any:
    try:
        return e.check(p).as_json()
    except ValidationFailed as err:
        return ("422", [v.__dict__ for v in err.violations])


def test_a_check_reads_its_facts_in_a_few_queries_whatever_the_number_of_datasets(lab: Api) -> None:
    reg = lab.registry
    one = ShareProposal.model_validate({"datasets": ["drug-claims"], "provider": "moh", "recipient": "ices",
                                        "purpose": "program-management", "date": "2025-06-01"})
    covered = one.model_copy(update={"datasets": ["drug-claims", "hop2", "mto-open"]})
    many = one.model_copy(update={"datasets": ["drug-claims", "hop2", "hop1", "linked", "deid", "mto-open"]})
    counted = Counting(reg.store)
    e = engine(reg, counted)
    # the organisations, the datasets, their categories, the agreements covering them; when one is not
    # covered, two more for the parties' other agreements (one record at a time took 2 + 6 + 4 + 1 + 2)
    for p, queries in ((one, 4), (covered, 4), (many, 6)):
        counted.queries = 0
        assert e.check(p).decision
        assert counted.queries == queries, p.datasets
    old = Counting(reg.store)
    assert engine(reg, old, OneAtATime).check(many).as_json() == e.check(many).as_json()
    assert old.queries > 6


def test_facts_read_together_are_those_read_one_record_at_a_time(lab: Api) -> None:
    reg = lab.registry
    # titles and names in two languages: the English or untagged title stays the one read
    for rid, title in (("drug-claims", "Demandes de remboursement"), ("ohip-claims", "Réclamations")):
        reg.store.add_to_graph(reg.iris.public_graph("dataset", rid),
                               [(reg.iris.record("dataset", rid), DCTERMS.title, Literal(title, lang="fr"))])
    reg.store.add_to_graph(reg.iris.public_graph("organization", "moh"),
                           [(reg.iris.record("organization", "moh"), SKOS.prefLabel, Literal("Ministère", lang="fr"))])
    together, alone = engine(reg), engine(reg, kind=OneAtATime)
    assert together._datasets(DATASETS) == alone._datasets(DATASETS)
    assert together._datasets(DATASETS)["drug-claims"].title == "Drug Claims"
    assert together._orgs(ORGS) == alone._orgs(ORGS)
    rng = random.Random(18)
    proposals = [c["proposal"] for c in CASES]  # the casebook's, then random ones over every record
    for _ in range(150):
        datasets = rng.sample(DATASETS, rng.randint(1, 6)) + (["no-such-dataset"] if rng.random() < 0.05 else [])
        parties = [rng.choice(ORGS + ["no-such-org"] * (rng.random() < 0.05)) for _ in range(2)]
        proposals.append({
            "datasets": datasets, "provider": parties[0], "recipient": parties[1], "purpose": rng.choice(PURPOSES),
            "date": (dt.date(2023, 6, 1) + dt.timedelta(days=rng.randrange(1200))).isoformat(),
            "deidentified": rng.random() < 0.3, "onward_disclosure": rng.random() < 0.2,
            "consent": rng.random() < 0.2})
    decisions = set()
    for body in proposals:
        p = ShareProposal.model_validate(body)
        old, new = answer(alone, p), answer(together, p)
        assert new == old, p
        decisions.add(new[0] if isinstance(new, tuple) else new["decision"])
    assert decisions == {"422", "permitted", "conditional", "not_permitted"}


@pytest.mark.parametrize("rids", [["hop2", "hop2"], ["linked", "drug-claims"], ["no-such-dataset"]])
def test_repeated_inherited_and_unknown_datasets(lab: Api, rids: list[str]) -> None:
    reg = lab.registry
    assert engine(reg)._datasets(rids) == engine(reg, kind=OneAtATime)._datasets(rids)
