"""A synthetic registry for benchmarks and tests, written as N-Quads in the write path's own layout.

`python -m bench.synth --datasets N --seed S --out FILE.nq` writes about N/40 organisations, N datasets
(with stewards, keywords, themes, access levels, personal-information flags and categories,
retention, dates and a lineage DAG of derivations up to 15 deep) and agreements for about a tenth
of the datasets. Every record becomes exactly the quads `registry.services.records.write` would store for
it: the same predicates, the same public and restricted graphs, the same literal datatypes and the
same node IRIs ({dataset}/steward, {dataset}/activity, {agreement}/permission/...). Audit graphs
are not written, and neither are the reference graphs (the app loads those at start-up).

Generation is deterministic for a seed (the same seed gives the same bytes) and streams string
templates rather than building rdflib graphs, so large registries are quick to make.
`tests/test_synth.py` checks the layout against the write path record by record.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from registry.domain.model.organization import governed_by
from registry.namespaces import (
    ACCESS_RIGHT,
    ACTIVITY_KIND,
    AGREEMENT_STATUS,
    AUTHORITY,
    DCAT,
    DCTERMS,
    DPV,
    ODRL2,
    ORG,
    ORG_KIND,
    PD_CATEGORY,
    PROV,
    PURPOSE,
    RDF,
    REG,
    SENSITIVITY,
    SKOS,
    STATUTE,
    UNIT_KIND,
    VCARD,
    XSD,
)

MAX_DEPTH = 15
#: the dataset a `hub` option makes a hub of (one of the first twenty, which are never derived)
HUB = 0
#: from this many datasets on, the default registry has a hub with this many datasets downstream
HUB_FROM, HUB_SIZE = 1_000_000, 10_000


def _i(term: Any) -> str:
    return f"<{term}>"


# --------------------------------------------------------------------------- terms, as N-Quads text
A = _i(RDF.type)
T_DATASET, T_ORG, T_UNIT = _i(DCAT.Dataset), _i(ORG.Organization), _i(ORG.OrganizationalUnit)
T_DIU, T_DSA, T_AGREEMENT = _i(REG.DataIntegrationUnit), _i(REG.DataSharingAgreement), _i(ODRL2.Agreement)
T_ACTIVITY, T_STEWARD, T_INDIVIDUAL = _i(PROV.Activity), _i(REG.Steward), _i(VCARD.Individual)
T_PERMISSION, T_DUTY, T_PROHIBITION = _i(ODRL2.Permission), _i(ODRL2.Duty), _i(ODRL2.Prohibition)
P_ID, P_TITLE, P_DESC = _i(DCTERMS.identifier), _i(DCTERMS.title), _i(DCTERMS.description)
P_PUBLISHER, P_ISSUED, P_MODIFIED = _i(DCTERMS.publisher), _i(DCTERMS.issued), _i(DCTERMS.modified)
P_ACCESS, P_KEYWORD, P_THEME = _i(DCTERMS.accessRights), _i(DCAT.keyword), _i(DCAT.theme)
P_SENSITIVITY, P_PI = _i(REG.sensitivity), _i(REG.containsPersonalInformation)
P_PD_CAT, P_RETENTION = _i(DPV.hasPersonalDataCategory), _i(REG.retentionPeriod)
P_STEWARD, P_CONTACT, P_FN, P_EMAIL = _i(REG.steward), _i(DCAT.contactPoint), _i(VCARD.fn), _i(VCARD.hasEmail)
P_DERIVED, P_GENERATED, P_USED = _i(PROV.wasDerivedFrom), _i(PROV.wasGeneratedBy), _i(PROV.used)
P_ASSOCIATED, P_ACT_KIND, P_ACT_DATE = _i(PROV.wasAssociatedWith), _i(REG.activityKind), _i(REG.activityDate)
P_LABEL, P_ORG_KIND, P_JURISDICTION = _i(SKOS.prefLabel), _i(REG.orgKind), _i(REG.jurisdiction)
P_SUBORG, P_UNIT_OF, P_UNIT_KIND, P_DESIGNATED = (_i(ORG.subOrganizationOf), _i(ORG.unitOf), _i(REG.unitKind),
                                                 _i(REG.designatedUnder))
P_GOVERNED = _i(REG.governedBy)
P_ASSIGNER, P_ASSIGNEE, P_TARGET = _i(ODRL2.assigner), _i(ODRL2.assignee), _i(ODRL2.target)
P_PURPOSE, P_LEGAL_BASIS, P_STATUS = _i(REG.purpose), _i(REG.legalBasis), _i(REG.status)
P_VALID_FROM, P_VALID_UNTIL = _i(REG.validFrom), _i(REG.validUntil)
P_PERMISSION, P_PROHIBITION, P_ACTION, P_CONSTRAINT = (_i(ODRL2.permission), _i(ODRL2.prohibition),
                                                       _i(ODRL2.action), _i(ODRL2.constraint))
P_LEFT, P_OPERATOR, P_RIGHT, P_DUTY = _i(ODRL2.leftOperand), _i(ODRL2.operator), _i(ODRL2.rightOperand), _i(ODRL2.duty)
P_DEID, P_ONWARD = _i(REG.deidentifyBeforeUse), _i(REG.onwardDisclosure)
O_USE, O_PURPOSE, O_IS_ANY_OF, O_DATETIME = _i(ODRL2.use), _i(ODRL2.purpose), _i(ODRL2.isAnyOf), _i(ODRL2.dateTime)
O_GTEQ, O_LTEQ, O_DISTRIBUTE, O_DELETE = _i(ODRL2.gteq), _i(ODRL2.lteq), _i(ODRL2.distribute), _i(ODRL2.delete)
O_ELAPSED, O_DEIDENTIFY = _i(ODRL2.elapsedTime), _i(REG.deidentify)
DT_DATE, DT_DURATION, DT_BOOLEAN = f"^^<{XSD.date}>", f"^^<{XSD.duration}>", f"^^<{XSD.boolean}>"
TRUE, FALSE = f'"true"{DT_BOOLEAN}', f'"false"{DT_BOOLEAN}'
ACCESS_IRI = {"public": _i(ACCESS_RIGHT.PUBLIC), "restricted": _i(ACCESS_RIGHT.RESTRICTED),
              "non-public": _i(ACCESS_RIGHT.NON_PUBLIC)}
ACTIVITY_CLASS = {"linkage": _i(REG.LinkageActivity), "deidentification": _i(REG.DeidentificationActivity),
                  "aggregation": _i(REG.AggregationActivity), "extraction": _i(REG.ExtractionActivity)}


def _code(namespace: Any, code: str) -> str:
    return f"<{namespace}{code}>"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


# --------------------------------------------------------------------------------- the word lists
@dataclass(frozen=True)
class Domain:
    name: str  # a theme, too
    ministry: str
    abbreviation: str
    subjects: tuple[str, ...]
    keywords: tuple[str, ...]
    categories: tuple[str, ...]  # personal data categories typical of the domain
    agencies: tuple[str, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain("Health", "Ministry of Health", "moh",
           ("hospital admissions", "emergency department visits", "physician claims", "drug benefit claims",
            "long-term care placements", "home care services", "immunization records", "cancer screening",
            "mental health services", "laboratory results", "ambulance dispatches", "surgical wait times"),
           ("health", "hospitals", "primary care", "pharmacy", "wait times", "public health", "claims"),
           ("health", "identifier", "demographic"),
           ("Health Quality Agency", "Cancer Care Agency", "Public Health Agency", "Blood Services Board",
            "Ambulance Services Agency", "eHealth Agency")),
    Domain("Social services", "Ministry of Children, Community and Social Services", "mccss",
           ("social assistance caseload", "disability support payments", "child welfare investigations",
            "youth justice placements", "child care subsidies", "shelter occupancy", "family support payments",
            "developmental services"),
           ("social assistance", "children", "families", "disability", "income support", "housing"),
           ("social", "financial", "family"),
           ("Social Benefits Tribunal", "Family Responsibility Office", "Child Welfare Agency")),
    Domain("Education", "Ministry of Education", "edu",
           ("school enrolment", "graduation rates", "student assessments", "special education plans",
            "teacher certification", "school board finances", "french immersion enrolment"),
           ("education", "schools", "students", "teachers", "assessment"),
           ("education", "demographic", "identifier"),
           ("Education Quality Office", "Teachers College Agency", "School Facilities Agency")),
    Domain("Higher education", "Ministry of Colleges and Universities", "mcu",
           ("student loans", "college applications", "university enrolment", "apprenticeship registrations",
            "graduate outcomes", "research grants"),
           ("postsecondary", "student aid", "apprenticeship", "universities", "colleges", "loans"),
           ("education", "financial", "employment"),
           ("Student Assistance Agency", "Apprenticeship Authority", "Postsecondary Quality Board")),
    Domain("Transportation", "Ministry of Transportation", "mto",
           ("motor vehicle collisions", "driver licences", "vehicle registrations", "highway traffic volumes",
            "transit ridership", "commercial vehicle inspections", "road condition reports"),
           ("transportation", "roads", "vehicles", "transit", "safety", "highways"),
           ("identifier", "location", "contact"),
           ("Transit Agency", "Road Safety Board", "Licensing Services Agency")),
    Domain("Justice", "Ministry of the Solicitor General", "solgen",
           ("court case outcomes", "correctional admissions", "probation caseload", "victim services referrals",
            "police occurrence reports", "coroner investigations", "fire incidents"),
           ("justice", "courts", "corrections", "policing", "public safety", "victims"),
           ("criminal", "identifier", "location"),
           ("Provincial Police Service", "Parole Board", "Forensic Pathology Service", "Fire Marshal Office")),
    Domain("Finance", "Ministry of Finance", "mof",
           ("tax credits", "employer health tax returns", "property assessments", "retail sales tax audits",
            "pension plan filings", "insurance regulation filings"),
           ("finance", "tax", "revenue", "pensions", "insurance", "economy"),
           ("financial", "identifier", "contact"),
           ("Financial Services Regulator", "Property Assessment Corporation", "Pension Authority")),
    Domain("Labour", "Ministry of Labour, Immigration, Training and Skills Development", "mltsd",
           ("employment services outcomes", "workplace inspections", "workplace injury claims",
            "immigrant nominee applications", "skills training placements", "labour market survey"),
           ("labour", "employment", "training", "immigration", "workplace safety", "jobs"),
           ("employment", "financial", "demographic"),
           ("Workplace Safety Board", "Labour Relations Board", "Employment Standards Office")),
    Domain("Environment", "Ministry of the Environment, Conservation and Parks", "mecp",
           ("air quality readings", "drinking water tests", "spills reports", "environmental approvals",
            "park visitor counts", "waste diversion rates", "species at risk sightings"),
           ("environment", "water", "air quality", "parks", "climate", "waste"),
           ("location", "contact"),
           ("Conservation Authority", "Water Agency", "Parks Agency")),
    Domain("Housing", "Ministry of Municipal Affairs and Housing", "mmah",
           ("social housing waitlist", "building permits", "rent subsidies", "homelessness enumeration",
            "land use plans", "municipal finance returns"),
           ("housing", "municipalities", "planning", "homelessness", "rent"),
           ("financial", "location", "family"),
           ("Housing Services Corporation", "Land Tribunal", "Building Code Commission")),
    Domain("Agriculture", "Ministry of Agriculture, Food and Agribusiness", "omafa",
           ("farm business registrations", "crop insurance claims", "livestock inspections",
            "food safety inspections", "farm income statistics"),
           ("agriculture", "food safety", "farms", "rural", "crops"),
           ("financial", "contact"),
           ("Agricorp Agency", "Food Safety Board", "Farm Products Commission")),
)

MEASURES = ("by region", "by month", "by age group", "by facility", "by municipality", "by program",
            "annual summary", "quarterly extract", "detailed records", "by fiscal year", "by sex and age",
            "trends", "linked cohort", "registry", "snapshot")
QUALIFIERS = ("", "", "", ", 2015-2024", ", provincial", ", northern Ontario", ", Greater Toronto Area",
              ", pilot sites", ", historical")
DESC_OPENINGS = ("Records of", "Counts of", "A monthly extract of", "Administrative data on",
                 "A linked file describing", "Summary statistics on", "Case-level data on", "Indicators of")
DESC_USES = ("used for program planning and evaluation", "reported to the legislature each year",
             "collected under the program's governing statute", "maintained for service delivery",
             "refreshed nightly from the operational system", "published for transparency and research",
             "used to monitor outcomes and equity", "validated against source systems every quarter")
FIRST_NAMES = ("alex", "jordan", "sam", "taylor", "morgan", "casey", "jamie", "robin", "avery", "riley",
               "priya", "wei", "fatima", "omar", "marie", "luc", "aisha", "chen", "nadia", "diego")
LAST_NAMES = ("smith", "tremblay", "singh", "nguyen", "wilson", "martin", "li", "brown", "roy", "patel",
              "gagnon", "chan", "kim", "cote", "ali", "wong", "lee", "white", "kaur", "campbell")
CITIES = ("Toronto", "Ottawa", "Hamilton", "London", "Sudbury", "Thunder Bay", "Kingston", "Windsor",
          "Barrie", "Guelph", "Waterloo", "Peterborough", "Sault Ste. Marie", "North Bay", "Timmins")
EXTERNALS = (("Government of Canada", "Canada"), ("Statistics Canada", "Canada"),
             ("University Population Research Centre", "Ontario"), ("Northern Health Research Institute", "Ontario"),
             ("Canada Revenue Agency", "Canada"), ("Institute for Social Policy Research", "Ontario"))
PRESCRIBED = ("Institute for Clinical Evaluative Sciences", "Cancer Registry Entity", "Cardiac Care Network",
              "Health Information Institute")
RETENTIONS = ("P2Y", "P5Y", "P7Y", "P7Y", "P10Y", "P10Y", "P25Y")
AGREEMENT_RETENTIONS = ("P1Y", "P2Y", "P3Y", "P3Y", "P5Y")
STATUSES = ("active",) * 13 + ("draft",) * 3 + ("suspended",) + ("terminated",) * 3
SENSITIVITY_BY_ACCESS = {"public": ("unclassified", "unclassified", "low"), "restricted": ("low", "medium", "medium"),
                         "non-public": ("medium", "high", "high")}

START = dt.date(2005, 1, 1).toordinal()
END = dt.date(2025, 10, 31).toordinal()


@dataclass
class SynthReport:
    """What was written, with the shape of the lineage."""

    organizations: int = 0
    datasets: int = 0
    agreements: int = 0
    quads: int = 0
    derived: int = 0
    max_depth: int = 0
    mean_in_degree: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Org:
    id: str
    name: str
    kind: str
    parent: int | None = None
    unit_kind: str | None = None
    designated_under: tuple[str, ...] = ()
    jurisdiction: str = "Ontario"
    domain: int = 0


@dataclass
class Agreement:
    id: str
    title: str
    provider: str
    recipient: str
    datasets: list[str]
    purposes: list[str]
    legal_basis: list[str]
    valid_from: str
    valid_until: str | None
    status: str
    issued: str
    conditions: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """The agreement as the REST API's JSON (API.md)."""
        out = dict(self.__dict__)
        if self.conditions is None:
            del out["conditions"]
        return out


@dataclass
class Synth:
    """A synthetic registry: the plan (organisations, datasets, agreements), then its quads."""

    datasets: int
    seed: int = 0
    base_iri: str = "https://registry.example.org"
    #: about how many datasets derive from dataset HUB, directly or not (0: as the plan has it; None:
    #: HUB_SIZE from HUB_FROM datasets on, else 0)
    hub: int | None = None
    orgs: list[Org] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    # per dataset, in parallel lists (cheap at a million datasets)
    ds_id: list[str] = field(default_factory=list)
    ds_publisher: list[int] = field(default_factory=list)
    ds_domain: list[int] = field(default_factory=list)
    ds_subject: list[int] = field(default_factory=list)
    ds_access: list[str] = field(default_factory=list)
    ds_pi: list[bool] = field(default_factory=list)
    ds_issued: list[int] = field(default_factory=list)
    ds_sources: list[tuple[int, ...]] = field(default_factory=list)
    ds_activity: list[tuple[str, int, int] | None] = field(default_factory=list)  # (kind, by org, date)
    ds_depth: list[int] = field(default_factory=list)
    _dataset_quads: int = 0

    def __post_init__(self) -> None:
        self.base_iri = self.base_iri.rstrip("/")
        self._dates = [dt.date.fromordinal(d).isoformat() for d in range(START - 1, END + 3 * 366)]
        self._plan()

    def date(self, ordinal: int) -> str:
        k = ordinal - START + 1
        return self._dates[k] if 0 <= k < len(self._dates) else dt.date.fromordinal(ordinal).isoformat()

    # ------------------------------------------------------------------------------------- plan
    def _plan(self) -> None:
        rng = random.Random(self.seed)
        self._plan_orgs(rng)
        self._plan_datasets(rng)
        self._plan_agreements(rng)
        if self.hub is None:
            self.hub = HUB_SIZE if self.datasets >= HUB_FROM else 0
        if self.hub > 0:
            self._plan_hub(self.hub)

    def _plan_hub(self, size: int) -> None:
        """Make dataset HUB a hub (a person index, a census): derived datasets not yet downstream of it,
        the latest first (they have the fewest derived from them), also name it as a source until about
        `size` datasets are downstream of it (at most every derived dataset). Drawn after the rest of the
        plan, which stays as it was."""
        if self.datasets <= HUB:
            return
        children: dict[int, list[int]] = {}
        for i, sources in enumerate(self.ds_sources):
            for src in sources:
                children.setdefault(src, []).append(i)
        below: set[int] = set()

        def take(frontier: list[int]) -> None:
            while frontier:
                for c in children.get(frontier.pop(), ()):
                    if c not in below:
                        below.add(c)
                        frontier.append(c)

        take([HUB])
        for i in range(self.datasets - 1, HUB, -1):
            if len(below) >= size:
                break
            if self.ds_sources[i] and i not in below:
                self.ds_sources[i] = (*self.ds_sources[i], HUB)
                below.add(i)
                take([i])
        self._mean_in = sum(map(len, self.ds_sources)) / self._derived if self._derived else 0.0

    def _plan_orgs(self, rng: random.Random) -> None:
        target = max(16, round(self.datasets / 40))
        orgs = self.orgs
        n_ministries = min(len(DOMAINS), max(4, target // 8))
        for d in range(n_ministries):
            dom = DOMAINS[d]
            orgs.append(Org(dom.abbreviation, dom.ministry, "ministry", domain=d))
        ministries = list(range(n_ministries))
        # a few data integration units designated under FIPPA Part III.1
        n_units = max(2, min(8, target // 60))
        for u in range(n_units):
            parent = ministries[u % n_ministries]
            kind = "inter-ministerial" if u % 3 == 0 else "ministry"
            label = "Inter-Ministerial" if kind == "inter-ministerial" else "Ministry"
            suffix = "" if u < n_ministries else f" {u // n_ministries + 1}"
            orgs.append(Org(f"{orgs[parent].id}-diu{'' if u < n_ministries else u // n_ministries + 1}",
                            f"{orgs[parent].name} {label} Data Integration Unit{suffix}", "data-integration-unit",
                            parent=parent, unit_kind=kind, designated_under=("fippa-part-3.1",),
                            domain=orgs[parent].domain))
        n_prescribed = max(1, min(len(PRESCRIBED), target // 400))
        for p in range(n_prescribed):
            orgs.append(Org(f"pe-{p + 1}", PRESCRIBED[p], "prescribed-entity", domain=0))
        n_external = max(2, min(len(EXTERNALS) * 4, target // 25))
        for e in range(n_external):
            name, where = EXTERNALS[e % len(EXTERNALS)]
            if e >= len(EXTERNALS):
                name = f"{name} ({CITIES[e % len(CITIES)]} office {e // len(EXTERNALS)})"
            orgs.append(Org(f"ext-{e + 1}", name, "external", jurisdiction=where,
                            domain=rng.randrange(len(DOMAINS))))
        n_municipal = max(1, target // 10)
        for m in range(n_municipal):
            city = CITIES[m % len(CITIES)]
            label = f"City of {city}" if m < len(CITIES) else f"{city} District Services Board {m // len(CITIES)}"
            orgs.append(Org(f"mun-{m + 1}", label, "municipality", domain=9))
        a = 0
        while len(orgs) < target:
            parent = ministries[a % n_ministries]
            dom = DOMAINS[orgs[parent].domain]
            base = dom.agencies[(a // n_ministries) % len(dom.agencies)]
            round_ = a // (n_ministries * len(dom.agencies))
            name = base if round_ == 0 else f"{base}, {CITIES[round_ % len(CITIES)]} Region {round_}"
            orgs.append(Org(f"{dom.abbreviation}-ag{a + 1}", name, "agency", parent=parent, domain=orgs[parent].domain))
            a += 1
        # who publishes: weights by kind (externals rarely, units mostly derived data)
        weight = {"ministry": 12, "agency": 4, "municipality": 3, "data-integration-unit": 2,
                  "prescribed-entity": 2, "external": 1}
        self._publishers: list[int] = []
        for i, o in enumerate(orgs):
            self._publishers += [i] * weight[o.kind]
        self._units = [i for i, o in enumerate(orgs) if o.kind == "data-integration-unit"]

    def _plan_datasets(self, rng: random.Random) -> None:
        n = self.datasets
        r = rng.random
        pubs, units, orgs = self._publishers, self._units, self.orgs
        derived_window: list[int] = []  # recent derived datasets, for long chains
        derived_all: list[int] = []
        base_all: list[int] = []
        total_in = 0
        span = END - START - 2 * 365
        for i in range(n):
            derived = i >= 20 and r() < 0.3
            sources: tuple[int, ...] = ()
            depth = 0
            activity = None
            if derived:
                x = r()
                pool: list[int] = derived_window if x < 0.4 else derived_all if x < 0.6 else base_all
                primary = pool[int(r() * len(pool))] if pool else base_all[int(r() * len(base_all))]
                if self.ds_depth[primary] >= MAX_DEPTH:
                    primary = base_all[int(r() * len(base_all))]
                y = r()
                k = 1 if y < 0.3 else 2 if y < 0.7 else 3
                chosen = [primary]
                for _ in range(k - 1):
                    far = derived_all if derived_all and r() >= 0.7 else base_all
                    s = far[int(r() * len(far))]
                    if s not in chosen and self.ds_depth[s] < MAX_DEPTH:
                        chosen.append(s)
                sources = tuple(chosen)
                total_in += len(sources)
                depth = 1 + max(self.ds_depth[s] for s in sources)
                src_pi = any(self.ds_pi[s] for s in sources)
                z = r()
                kind = ("linkage" if len(sources) > 1 and z < 0.45 else "deidentification" if z < 0.7
                        else "aggregation" if z < 0.88 else "extraction")
                if kind == "linkage" and r() < 0.6:
                    publisher = units[int(r() * len(units))]
                else:
                    publisher = self.ds_publisher[primary]
                if kind == "deidentification":
                    pi = False
                    access = "public" if r() < 0.45 else "restricted"
                elif kind == "aggregation":
                    pi = src_pi and r() < 0.3  # aggregates are often (wrongly) flagged non-personal
                    access = "public" if not src_pi and r() < 0.7 else "restricted"
                else:
                    pi = src_pi and r() < 0.92
                    access = "non-public" if pi else ("public" if r() < 0.5 else "restricted")
                start = max(self.ds_issued[s] for s in sources)
                issued = min(END, start + 1 + int(r() * 540))
                # one in ten derived datasets names its sources without describing the activity
                if r() < 0.9:
                    activity = (kind, publisher, max(start, issued - int(r() * 30)))
                derived_all.append(i)
                if depth < MAX_DEPTH:
                    derived_window.append(i)
                    if len(derived_window) > 48:
                        derived_window.pop(0)
            else:
                publisher = pubs[int(r() * len(pubs))]
                x = r()
                access = "public" if x < 0.45 else "restricted" if x < 0.68 else "non-public"
                pi = r() < (0.03 if access == "public" else 0.55 if access == "restricted" else 0.85)
                issued = START + int(r() * span)
                base_all.append(i)
            dom = orgs[publisher].domain if r() < 0.85 else int(r() * len(DOMAINS))
            self.ds_publisher.append(publisher)
            self.ds_domain.append(dom)
            self.ds_subject.append(int(r() * len(DOMAINS[dom].subjects)))
            self.ds_access.append(access)
            self.ds_pi.append(pi)
            self.ds_issued.append(issued)
            self.ds_sources.append(sources)
            self.ds_activity.append(activity)
            self.ds_depth.append(depth)
            subject = DOMAINS[dom].subjects[self.ds_subject[-1]]
            self.ds_id.append(f"{subject.replace(' ', '-')}-{i + 1}")
        self._derived = len(derived_all)
        self._mean_in = total_in / len(derived_all) if derived_all else 0.0

    def _plan_agreements(self, rng: random.Random) -> None:
        r = rng.random
        orgs = self.orgs
        by_publisher: dict[int, list[int]] = {}
        candidates: list[int] = []
        for i in range(self.datasets):
            by_publisher.setdefault(self.ds_publisher[i], []).append(i)
            if self.ds_access[i] != "public" and orgs[self.ds_publisher[i]].kind != "external":
                candidates.append(i)
        if not candidates:
            return
        by_kind: dict[str, list[int]] = {}
        children: dict[int, list[int]] = {}
        for j, o in enumerate(orgs):
            by_kind.setdefault(o.kind, []).append(j)
            if o.parent is not None:
                children.setdefault(o.parent, []).append(j)
        government = by_kind.get("ministry", []) + by_kind.get("agency", [])
        n = round(self.datasets * 0.10)
        today = dt.date(2025, 11, 1).toordinal()

        def pick(xs: list[int]) -> int:
            return xs[int(r() * len(xs))]

        for k in range(n):
            first = pick(candidates)
            provider = self.ds_publisher[first]
            pool = by_publisher[provider]
            chosen = [first]
            for _ in range(int(r() * 3.2)):
                c = pick(pool)
                if c not in chosen and self.ds_access[c] != "public":
                    chosen.append(c)
            pkind = orgs[provider].kind
            health = DOMAINS[self.ds_domain[first]].name == "Health"
            x = r()
            deid: bool | None = None
            onward: bool | None = False
            if pkind == "municipality":
                basis, purposes = "mfippa-32-c", ["service-delivery"]
                recipient = pick(government)
            elif health and x < 0.35 and "prescribed-entity" in by_kind:
                basis, purposes = "phipa-45", _some(r, ["program-planning", "program-evaluation", "statistics",
                                                        "resource-management"])
                recipient = pick(by_kind["prescribed-entity"])
            elif health and x < 0.5:
                basis, purposes = "phipa-44", ["research"]
                recipient = pick(by_kind["external"])
                deid = r() < 0.5
            elif x < 0.55:
                basis, purposes = "fippa-part-3.1", _some(r, ["resource-management", "program-planning",
                                                              "program-evaluation"])
                # now and then an agreement names a recipient that is not designated (the check flags it)
                recipient = pick(self._units) if r() < 0.93 else pick(government)
                deid = True
            elif x < 0.72:
                basis, purposes = "fippa-42-1-c", ["service-delivery"] if r() < 0.6 else ["program-management"]
                recipient = pick(government)
            elif x < 0.8:
                basis, purposes = "fippa-42-1-e", ["service-delivery"] if r() < 0.7 else ["audit"]
                recipient = pick(government + by_kind["external"])
            elif x < 0.86 and children.get(provider):
                basis, purposes = "fippa-42-1-d", ["program-management"]
                recipient = pick(children[provider])
                onward = None
            elif x < 0.91:
                basis, purposes = "fippa-42-1-g", ["law-enforcement"]
                recipient = pick(government)
            elif x < 0.95:
                basis, purposes = "fippa-42-1-h", ["health-and-safety"]
                recipient = pick(government)
            elif x < 0.98:
                basis, purposes = "fippa-42-1-n", ["audit"]
                recipient = pick(by_kind["external"])
            else:
                basis, purposes = "fippa-42-1-b", ["service-delivery"]
                recipient = pick(government + by_kind["external"])
                onward = True
            if recipient == provider:
                recipient = pick([g for g in government if g != provider] or government)
            status = STATUSES[int(r() * len(STATUSES))]
            start = today - 365 * 7 + int(r() * 365 * 7)
            if status == "draft":
                start = today - 60 + int(r() * 240)
            until: int | None = start + 365 * (1 + int(r() * 5)) - 1
            if status == "terminated":
                until = min(until, today - 1 - int(r() * 200)) if until is not None else None
                start = min(start, (until or today) - 30)
            elif r() < 0.08:
                until = None
            conditions: dict[str, Any] | None = None
            if r() < 0.95:
                conditions = {"deidentify_before_use": deid if deid is not None else r() < 0.2,
                              "onward_disclosure": onward,
                              "retention": AGREEMENT_RETENTIONS[int(r() * len(AGREEMENT_RETENTIONS))]}
            p = orgs[provider].name
            subject = DOMAINS[self.ds_domain[first]].subjects[self.ds_subject[first]]
            year = dt.date.fromordinal(start).year
            self.agreements.append(Agreement(
                id=f"dsa-{year}-{k + 1:05d}",
                title=f"{subject.capitalize()} from the {p} to the {orgs[recipient].name} for "
                      f"{purposes[0].replace('-', ' ')}",
                provider=orgs[provider].id,
                recipient=orgs[recipient].id,
                datasets=[self.ds_id[c] for c in chosen],
                purposes=purposes,
                legal_basis=[basis],
                valid_from=self.date(start),
                valid_until=self.date(until) if until is not None else None,
                status=status,
                issued=self.date(start - int(r() * 45)),
                conditions=conditions,
            ))

    def report(self) -> SynthReport:
        return SynthReport(organizations=len(self.orgs), datasets=self.datasets, agreements=len(self.agreements),
                           derived=self._derived, max_depth=max(self.ds_depth, default=0),
                           mean_in_degree=round(self._mean_in, 3))

    # -------------------------------------------------------------------------------- N-Quads
    def iri(self, kind: str, rid: str) -> str:
        return f"<{self.base_iri}/{kind}/{rid}>"

    def organization_quads(self, o: Org) -> str:
        s = self.iri("organization", o.id)
        g = f" <{self.base_iri}/graph/organization/{o.id}> .\n"
        out = [f"{s} {A} {T_ORG}{g}{s} {P_ID} {_lit(o.id)}{g}{s} {P_LABEL} {_lit(o.name)}{g}"
               f"{s} {P_ORG_KIND} {_code(ORG_KIND, o.kind)}{g}{s} {P_JURISDICTION} {_lit(o.jurisdiction)}{g}"]
        out += [f"{s} {P_GOVERNED} {_code(STATUTE, x)}{g}" for x in governed_by(o.kind)]
        parent = self.iri("organization", self.orgs[o.parent].id) if o.parent is not None else None
        if parent is not None:
            out.append(f"{s} {P_SUBORG} {parent}{g}")
        if o.kind == "data-integration-unit" or o.unit_kind or o.designated_under:
            out.append(f"{s} {A} {T_DIU}{g}{s} {A} {T_UNIT}{g}")
            if parent is not None:
                out.append(f"{s} {P_UNIT_OF} {parent}{g}")
            if o.unit_kind:
                out.append(f"{s} {P_UNIT_KIND} {_code(UNIT_KIND, o.unit_kind)}{g}")
            for a in o.designated_under:
                out.append(f"{s} {P_DESIGNATED} {_code(AUTHORITY, a)}{g}")
        return "".join(out)

    def dataset_chunks(self, start: int, stop: int, rng: random.Random) -> Iterator[str]:
        """The quads of datasets start..stop-1. Text is drawn from `rng`, which the caller seeds."""
        base = self.base_iri
        r = rng.random
        org_iri = [self.iri("organization", o.id) for o in self.orgs]
        org_names = [o.name for o in self.orgs]
        access_iri = ACCESS_IRI
        sens_iri = {k: [_code(SENSITIVITY, s) for s in v] for k, v in SENSITIVITY_BY_ACCESS.items()}
        cat_iri = [[_code(PD_CATEGORY, c) for c in d.categories] for d in DOMAINS]
        themes = [_lit(d.name) for d in DOMAINS]
        kw_lits = [[_lit(k) for k in d.keywords] for d in DOMAINS]
        kind_iri = {k: _code(ACTIVITY_KIND, k) for k in ACTIVITY_CLASS}
        retention = [f'"{x}"{DT_DURATION}' for x in RETENTIONS]
        dates = self._dates
        off = 1 - START
        ds_id, ds_dom, ds_subj = self.ds_id, self.ds_domain, self.ds_subject
        n_meas, n_qual, n_open, n_use = len(MEASURES), len(QUALIFIERS), len(DESC_OPENINGS), len(DESC_USES)
        n_first, n_last, n_ret = len(FIRST_NAMES), len(LAST_NAMES), len(RETENTIONS)
        for i in range(start, stop):
            rid = ds_id[i]
            dom_i = ds_dom[i]
            dom = DOMAINS[dom_i]
            subject = dom.subjects[ds_subj[i]]
            s = f"<{base}/dataset/{rid}>"
            g = f" <{base}/graph/dataset/{rid}> .\n"
            rg = f" <{base}/graph/dataset/{rid}/restricted> .\n"
            pub = self.ds_publisher[i]
            access = self.ds_access[i]
            measure = MEASURES[int(r() * n_meas)]
            title = f"{subject[0].upper()}{subject[1:]} {measure}{QUALIFIERS[int(r() * n_qual)]}"
            desc = (f"{DESC_OPENINGS[int(r() * n_open)]} {subject} {measure}, held by the {org_names[pub]} and "
                    f"{DESC_USES[int(r() * n_use)]}.")
            issued = self.ds_issued[i]
            kws = kw_lits[dom_i]
            k0 = int(r() * len(kws))
            k1 = (k0 + 1 + int(r() * (len(kws) - 1))) % len(kws)
            sens = sens_iri[access]
            out = (f"{s} {A} {T_DATASET}{g}{s} {P_ID} \"{rid}\"{g}{s} {P_TITLE} {_lit(title)}@en{g}"
                   f"{s} {P_DESC} {_lit(desc)}@en{g}{s} {P_PUBLISHER} {org_iri[pub]}{g}"
                   f"{s} {P_KEYWORD} {kws[k0]}{g}{s} {P_KEYWORD} {kws[k1]}{g}{s} {P_THEME} {themes[dom_i]}{g}"
                   f"{s} {P_ACCESS} {access_iri[access]}{g}{s} {P_SENSITIVITY} {sens[int(r() * len(sens))]}{g}"
                   f"{s} {P_ISSUED} \"{dates[issued + off]}\"{DT_DATE}{g}")
            n = 11 + 7  # the public lines above, and the restricted ones every dataset has (below)
            if r() < 0.5:
                out += f"{s} {P_MODIFIED} \"{dates[issued + off + 1 + int(r() * 700)]}\"{DT_DATE}{g}"
                n += 1
            sources = self.ds_sources[i]
            if sources:
                srcs = [f"<{base}/dataset/{ds_id[x]}>" for x in sources]
                out += "".join(f"{s} {P_DERIVED} {x}{g}" for x in srcs)
                n += len(srcs)
                act = self.ds_activity[i]
                if act is not None:
                    kind, by, when = act
                    a = f"<{base}/dataset/{rid}/activity>"
                    out += (f"{s} {P_GENERATED} {a}{g}{a} {A} {T_ACTIVITY}{g}{a} {P_ACT_KIND} {kind_iri[kind]}{g}"
                            f"{a} {A} {ACTIVITY_CLASS[kind]}{g}{a} {P_ASSOCIATED} {org_iri[by]}{g}"
                            f"{a} {P_ACT_DATE} \"{dates[when + off]}\"{DT_DATE}{g}")
                    out += "".join(f"{a} {P_USED} {x}{g}" for x in srcs)
                    n += 6 + len(srcs)
            # restricted
            st = f"<{base}/dataset/{rid}/steward>"
            first, last = FIRST_NAMES[int(r() * n_first)], LAST_NAMES[int(r() * n_last)]
            out += (f"{s} {P_PI} {TRUE if self.ds_pi[i] else FALSE}{rg}"
                    f"{s} {P_STEWARD} {st}{rg}{s} {P_CONTACT} {st}{rg}{st} {A} {T_STEWARD}{rg}"
                    f"{st} {A} {T_INDIVIDUAL}{rg}{st} {P_FN} \"{first.capitalize()} {last.capitalize()}\"{rg}"
                    f"{st} {P_EMAIL} <mailto:{first}.{last}@{self.orgs[pub].id}.example.org>{rg}")
            if self.ds_pi[i]:
                cats = cat_iri[dom_i]
                c0 = int(r() * len(cats))
                out += f"{s} {P_PD_CAT} {cats[c0]}{rg}"
                n += 1
                if r() < 0.5 and len(cats) > 1:
                    out += f"{s} {P_PD_CAT} {cats[(c0 + 1) % len(cats)]}{rg}"
                    n += 1
            if r() < 0.9:
                out += f"{s} {P_RETENTION} {retention[int(r() * n_ret)]}{rg}"
                n += 1
            self._dataset_quads += n
            yield out

    def agreement_quads(self, a: Agreement) -> str:
        s = self.iri("agreement", a.id)
        g = f" <{self.base_iri}/graph/agreement/{a.id}> .\n"
        rg = f" <{self.base_iri}/graph/agreement/{a.id}/restricted> .\n"
        targets = [self.iri("dataset", d) for d in a.datasets]
        purposes = [_code(PURPOSE, p) for p in a.purposes]
        out = [f"{s} {A} {T_DSA}{g}{s} {A} {T_AGREEMENT}{g}{s} {P_ID} {_lit(a.id)}{g}{s} {P_TITLE} {_lit(a.title)}{g}"
               f"{s} {P_ASSIGNER} {self.iri('organization', a.provider)}{g}"
               f"{s} {P_ASSIGNEE} {self.iri('organization', a.recipient)}{g}"]
        out += [f"{s} {P_TARGET} {t}{g}" for t in targets]
        out += [f"{s} {P_PURPOSE} {p}{g}" for p in purposes]
        out += [f"{s} {P_LEGAL_BASIS} {_code(AUTHORITY, b)}{g}" for b in a.legal_basis]
        out.append(f"{s} {P_VALID_FROM} \"{a.valid_from}\"{DT_DATE}{g}")
        if a.valid_until is not None:
            out.append(f"{s} {P_VALID_UNTIL} \"{a.valid_until}\"{DT_DATE}{g}")
        out.append(f"{s} {P_STATUS} {_code(AGREEMENT_STATUS, a.status)}{g}")
        out.append(f"{s} {P_ISSUED} \"{a.issued}\"{DT_DATE}{g}")
        perm = f"<{self.base_iri}/agreement/{a.id}/permission>"
        out.append(f"{s} {P_PERMISSION} {perm}{g}{perm} {A} {T_PERMISSION}{g}{perm} {P_ACTION} {O_USE}{g}")
        out += [f"{perm} {P_TARGET} {t}{g}" for t in targets]
        if purposes:
            c = f"<{self.base_iri}/agreement/{a.id}/permission/purpose>"
            out.append(f"{perm} {P_CONSTRAINT} {c}{g}{c} {P_LEFT} {O_PURPOSE}{g}{c} {P_OPERATOR} {O_IS_ANY_OF}{g}")
            out += [f"{c} {P_RIGHT} {p}{g}" for p in purposes]
        for name, op, value in (("from", O_GTEQ, a.valid_from), ("until", O_LTEQ, a.valid_until)):
            if value is not None:
                c = f"<{self.base_iri}/agreement/{a.id}/permission/{name}>"
                out.append(f"{perm} {P_CONSTRAINT} {c}{g}{c} {P_LEFT} {O_DATETIME}{g}{c} {P_OPERATOR} {op}{g}"
                           f"{c} {P_RIGHT} \"{value}\"{DT_DATE}{g}")
        cond = a.conditions
        if cond is not None:
            deid, onward, retention = cond["deidentify_before_use"], cond["onward_disclosure"], cond["retention"]
            if deid is not None:
                out.append(f"{s} {P_DEID} {TRUE if deid else FALSE}{rg}")
                if deid:
                    d = f"<{self.base_iri}/agreement/{a.id}/duty/deidentify>"
                    out.append(f"{perm} {P_DUTY} {d}{rg}{d} {A} {T_DUTY}{rg}{d} {P_ACTION} {O_DEIDENTIFY}{rg}")
            if onward is not None:
                out.append(f"{s} {P_ONWARD} {TRUE if onward else FALSE}{rg}")
                if not onward:
                    pro = f"<{self.base_iri}/agreement/{a.id}/prohibition/onward-disclosure>"
                    out.append(f"{s} {P_PROHIBITION} {pro}{rg}{pro} {A} {T_PROHIBITION}{rg}"
                               f"{pro} {P_ACTION} {O_DISTRIBUTE}{rg}")
                    out += [f"{pro} {P_TARGET} {t}{rg}" for t in targets]
            if retention is not None:
                dur = f'"{retention}"{DT_DURATION}'
                d = f"<{self.base_iri}/agreement/{a.id}/duty/delete>"
                c = f"<{self.base_iri}/agreement/{a.id}/duty/delete/elapsed>"
                out.append(f"{s} {P_RETENTION} {dur}{rg}{perm} {P_DUTY} {d}{rg}{d} {A} {T_DUTY}{rg}"
                           f"{d} {P_ACTION} {O_DELETE}{rg}{d} {P_CONSTRAINT} {c}{rg}{c} {P_LEFT} {O_ELAPSED}{rg}"
                           f"{c} {P_OPERATOR} {O_LTEQ}{rg}{c} {P_RIGHT} {dur}{rg}")
        return "".join(out)

    def chunks(self, batch: int = 500) -> Iterator[str]:
        """The whole registry as N-Quads text, in chunks: organisations, datasets, agreements."""
        for text, _quads in self._counted_chunks(batch):
            yield text

    def _counted_chunks(self, batch: int = 500) -> Iterator[tuple[str, int]]:
        """(text, its number of quads): datasets count their lines as they make them (cheaper than
        counting newlines in hundreds of megabytes); the few organisations and agreements are counted."""
        text = "".join(self.organization_quads(o) for o in self.orgs)
        yield text, text.count("\n")
        # text is drawn from its own generator, so the plan never depends on how text is drawn
        text_rng = random.Random(self.seed * 1_000_003 + 7)
        for start in range(0, self.datasets, batch):
            self._dataset_quads = 0
            text = "".join(self.dataset_chunks(start, min(self.datasets, start + batch), text_rng))
            yield text, self._dataset_quads
        for start in range(0, len(self.agreements), batch):
            text = "".join(self.agreement_quads(a) for a in self.agreements[start:start + batch])
            yield text, text.count("\n")

    def write(self, out: Path) -> SynthReport:
        """Write the N-Quads to `out`. A writer thread overlaps the disk writes (which release the
        GIL) with generation, so a large file costs about as long as the disk takes to take it."""
        report = self.report()
        quads = 0
        queue: Queue[bytes | None] = Queue(maxsize=8)
        failed: list[BaseException] = []

        def writer() -> None:
            try:
                with out.open("wb") as f:
                    while (data := queue.get()) is not None:
                        f.write(data)
            except BaseException as e:  # re-raised in the caller's thread
                failed.append(e)
                while queue.get() is not None:
                    pass

        thread = threading.Thread(target=writer, name="synth-writer", daemon=True)
        thread.start()
        try:
            for chunk, n in self._counted_chunks():
                quads += n
                queue.put(chunk.encode("utf-8"))
        finally:
            queue.put(None)
            thread.join()
        if failed:
            raise failed[0]
        report.quads = quads
        return report


def _some(r: Any, options: list[str]) -> list[str]:
    """One to all of `options`, in their order."""
    k = 1 + int(r() * len(options))
    start = int(r() * len(options))
    picked = {options[(start + j) % len(options)] for j in range(k)}
    return [o for o in options if o in picked]


def synthesize(out: Path, datasets: int, seed: int = 0, base_iri: str = "https://registry.example.org",
               hub: int | None = None) -> SynthReport:
    """Write a synthetic registry of `datasets` datasets to `out` (N-Quads); `hub`: see `Synth.hub`."""
    if datasets < 1:
        raise ValueError("a synthetic registry needs at least one dataset")
    return Synth(datasets=datasets, seed=seed, base_iri=base_iri, hub=hub).write(out)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.synth`: write a synthetic registry (load it with `registry load`); its figures as
    JSON on the last line."""
    import argparse
    import json
    import sys
    import time

    from registry.config import Settings

    ap = argparse.ArgumentParser(prog="python -m bench.synth", description=main.__doc__)
    ap.add_argument("--out", type=Path, required=True, help="the N-Quads file to write")
    ap.add_argument("--datasets", type=int, default=1000, help="how many datasets")
    ap.add_argument("--seed", type=int, default=0, help="the same seed gives the same file")
    ap.add_argument("--base-iri", default=None, help="IRI base of the records (default: REGISTRY_BASE_IRI)")
    ap.add_argument("--hub", type=int, default=None,
                    help=f"about how many datasets derive from one hub (default {HUB_SIZE:,} from {HUB_FROM:,} "
                         "datasets on, else none; 0: none)")
    args = ap.parse_args(argv)
    if args.datasets < 1:
        ap.error("--datasets must be at least 1")
    if args.hub is not None and args.hub < 0:
        ap.error("--hub must not be negative")
    started = time.perf_counter()
    report = synthesize(args.out, args.datasets, args.seed, args.base_iri or Settings().base_iri, args.hub)
    seconds = time.perf_counter() - started
    print(f"wrote {report.quads} quads to {args.out} in {seconds:.2f} s "
          f"({report.datasets / seconds:,.0f} datasets/s)", file=sys.stderr)
    print(json.dumps({**report.as_json(), "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
