"""Our vocabulary's terms and the standard namespaces we use, as code (a typo fails at import)."""

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ODRL2, ORG, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

NS_ROOT = "https://w3id.org/gov-data-registry/"


class REG(DefinedNamespace):
    """The registry's own terms (ontology/registry.ttl)."""

    _NS = Namespace(NS_ROOT + "ns#")
    _fail = True

    # classes
    DataIntegrationUnit: object
    DataSharingAgreement: object
    LegalAuthority: object
    ShareCheck: object
    LinkageActivity: object
    DeidentificationActivity: object
    AggregationActivity: object
    ExtractionActivity: object
    Steward: object
    ApiToken: object
    # organisations
    orgKind: object
    unitKind: object
    designatedUnder: object
    jurisdiction: object
    # datasets
    steward: object
    sensitivity: object
    containsPersonalInformation: object
    retentionPeriod: object
    activityKind: object
    activityDate: object
    retired: object
    # agreements
    status: object
    legalBasis: object
    purpose: object
    validFrom: object
    validUntil: object
    deidentifyBeforeUse: object
    onwardDisclosure: object
    deidentify: object
    # authorities
    statute: object
    statuteAbbreviation: object
    section: object
    citation: object
    summary: object
    purposeNote: object
    permitsPurpose: object
    requiresRecipientKind: object
    requiresDesignation: object
    requiresSameInstitution: object
    requiresDeidentification: object
    requiresConsent: object
    requiresEthicsApproval: object
    prohibitsOnwardDisclosure: object
    appliesToInformation: object
    # share checks
    decision: object
    proposal: object
    requestedBy: object
    requestedAt: object
    provider: object
    recipient: object
    dataset: object
    checkDate: object
    deidentified: object
    answer: object
    # audit
    AuditEntry: object
    sequence: object
    recordKind: object
    previousHash: object
    previousEntry: object
    entryHash: object
    snapshot: object
    snapshotBefore: object
    action: object
    beforeHash: object
    afterHash: object
    tokenRole: object
    tokenOrganization: object
    # tokens
    tokenHash: object
    role: object
    organization: object
    expires: object
    revoked: object
    created: object
    # OpenLineage identifiers of datasets (adms:Identifier nodes)
    lineageNamespace: object


def _as_attributes(*namespaces: type[DefinedNamespace]) -> None:
    """Make each declared term a plain class attribute. rdflib builds a new IRI on every `DCTERMS.title`
    (through its metaclass's `__getattr__`, 0.7 µs); a record read names some 40 terms."""
    for ns in namespaces:
        for name in ns.__annotations__:
            if not name.startswith("_"):
                type.__setattr__(ns, name, ns[name])


_as_attributes(REG, DCAT, DCTERMS, FOAF, ODRL2, ORG, PROV, RDF, RDFS, SKOS, XSD)

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
VOCAB = Namespace(NS_ROOT + "vocab/")
AUTHORITY = Namespace(NS_ROOT + "authority/")
PURPOSE = Namespace(NS_ROOT + "vocab/purpose/")
ORG_KIND = Namespace(NS_ROOT + "vocab/org-kind/")
UNIT_KIND = Namespace(NS_ROOT + "vocab/unit-kind/")
SENSITIVITY = Namespace(NS_ROOT + "vocab/sensitivity/")
ACTIVITY_KIND = Namespace(NS_ROOT + "vocab/activity-kind/")
AGREEMENT_STATUS = Namespace(NS_ROOT + "vocab/agreement-status/")
PD_CATEGORY = Namespace(NS_ROOT + "vocab/pd-category/")
INFO_KIND = Namespace(NS_ROOT + "vocab/information-kind/")
ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
DPV = Namespace("https://w3id.org/dpv#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

PREFIXES: dict[str, Namespace] = {
    "reg": REG._NS,
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "prov": Namespace(str(PROV)),
    "odrl": Namespace(str(ODRL2)),
    "org": Namespace(str(ORG)),
    "foaf": Namespace(str(FOAF)),
    "vcard": Namespace(str(VCARD)),
    "skos": Namespace(str(SKOS)),
    "dpv": DPV,
    "adms": ADMS,
    "xsd": Namespace(str(XSD)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "auth": AUTHORITY,
    "purpose": PURPOSE,
}

__all__ = [
    "ACCESS_RIGHT", "ADMS", "ACTIVITY_KIND", "AGREEMENT_STATUS", "AUTHORITY", "DCAT", "DCTERMS", "DPV", "FOAF",
    "INFO_KIND", "NS_ROOT", "ODRL2", "ORG", "ORG_KIND", "PD_CATEGORY", "PREFIXES", "PROV", "PURPOSE", "RDF",
    "RDFS", "REG", "SENSITIVITY", "SKOS", "UNIT_KIND", "VCARD", "VOCAB", "XSD",
]
