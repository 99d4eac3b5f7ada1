"""Our vocabulary's terms and the standard namespaces we use, as code (a typo fails at import)."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ODRL2, ORG, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

NS_ROOT = "https://w3id.org/gov-data-registry/"


class REG(DefinedNamespace):
    """The registry's own terms (ontology/registry.ttl)."""

    _NS = Namespace(NS_ROOT + "ns#")
    _fail = True

    # classes
    DataIntegrationUnit: URIRef
    DataSharingAgreement: URIRef
    LegalAuthority: URIRef
    ShareCheck: URIRef
    LinkageActivity: URIRef
    DeidentificationActivity: URIRef
    AggregationActivity: URIRef
    ExtractionActivity: URIRef
    Steward: URIRef
    ApiToken: URIRef
    # organisations
    orgKind: URIRef
    unitKind: URIRef
    designatedUnder: URIRef
    jurisdiction: URIRef
    governedBy: URIRef
    designationReference: URIRef
    # datasets
    steward: URIRef
    sensitivity: URIRef
    containsPersonalInformation: URIRef
    retentionPeriod: URIRef
    activityKind: URIRef
    activityDate: URIRef
    retired: URIRef
    # agreements
    status: URIRef
    legalBasis: URIRef
    purpose: URIRef
    validFrom: URIRef
    validUntil: URIRef
    deidentifyBeforeUse: URIRef
    onwardDisclosure: URIRef
    deidentify: URIRef
    noticeUrl: URIRef
    noticePublished: URIRef
    enablingAct: URIRef
    consistentPurposeFinding: URIRef
    researchAgreement: URIRef
    # authorities
    statute: URIRef
    statuteAbbreviation: URIRef
    section: URIRef
    citation: URIRef
    summary: URIRef
    purposeNote: URIRef
    permitsPurpose: URIRef
    requiresRecipientKind: URIRef
    requiresProviderKind: URIRef
    requiresDesignation: URIRef
    requiresSameInstitution: URIRef
    requiresDeidentification: URIRef
    requiresConsent: URIRef
    requiresEthicsApproval: URIRef
    prohibitsOnwardDisclosure: URIRef
    appliesToInformation: URIRef
    underStatute: URIRef
    requiresFinding: URIRef
    requiresPublishedNotice: URIRef
    requiresNoticeToIndividual: URIRef
    confinesIdentifiableData: URIRef
    indicatesInformation: URIRef
    verificationStatus: URIRef
    statuteExcerpt: URIRef
    verifiedAgainst: URIRef
    verifiedOn: URIRef
    verificationNote: URIRef
    # share checks
    decision: URIRef
    proposal: URIRef
    requestedBy: URIRef
    requestedAt: URIRef
    provider: URIRef
    recipient: URIRef
    dataset: URIRef
    checkDate: URIRef
    deidentified: URIRef
    answer: URIRef
    # audit
    AuditEntry: URIRef
    sequence: URIRef
    recordKind: URIRef
    previousHash: URIRef
    previousEntry: URIRef
    entryHash: URIRef
    snapshot: URIRef
    snapshotBefore: URIRef
    action: URIRef
    beforeHash: URIRef
    afterHash: URIRef
    tokenRole: URIRef
    tokenOrganization: URIRef
    # tokens
    tokenHash: URIRef
    role: URIRef
    organization: URIRef
    expires: URIRef
    revoked: URIRef
    created: URIRef
    # OpenLineage identifiers of datasets (adms:Identifier nodes)
    lineageNamespace: URIRef
    # disposals
    Disposal: URIRef
    disposalUnder: URIRef
    disposedOf: URIRef
    disposalDate: URIRef
    disposalMethod: URIRef
    attestedBy: URIRef
    disposalNote: URIRef
    recordedBy: URIRef
    recordedOn: URIRef


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
STATUTE = Namespace(NS_ROOT + "vocab/statute/")
DISPOSAL_METHOD = Namespace(NS_ROOT + "vocab/disposal-method/")
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
    "RDFS", "REG", "SENSITIVITY", "SKOS", "STATUTE", "UNIT_KIND", "VCARD", "VOCAB", "XSD",
]
