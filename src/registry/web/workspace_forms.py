"""The workspace's forms: which fields each form has (labels, hints and the plain-language rule of each, as
messages of the catalogues), how a form's fields become the JSON record the REST API takes and back, where
each violation of the write path belongs in the form, and how an edit that crossed another one is merged.
Nothing here validates: records go through the same write path (SHACL) as the API's."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rdflib import Namespace

from registry.domain.model.dcat import CHECKSUM_ALGORITHMS, FREQUENCY, THEME
from registry.errors import Violation
from registry.namespaces import (
    ACCESS_RIGHT,
    ACTIVITY_KIND,
    AGREEMENT_STATUS,
    ORG_KIND,
    PD_CATEGORY,
    SENSITIVITY,
    STATUTE,
    UNIT_KIND,
)
from registry.resources import Resources
from registry.services.reference import notation_labels


def _(message: str) -> str:
    """Marks a message for the catalogues (python -m registry.web.catalogues); it is translated where shown."""
    return message


#: form values: a field's text, or the values of a field that takes several
Values = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One field of a form. `name` is its place in the JSON record (dotted: `steward.email`, `title.fr`);
    `widget`: text, textarea, email, url, date, number, select, checks (several codes), bool (yes, no or
    not stated), words (a list, comma-separated), lines (a list, one per line), list (a list, one input
    each), check (a box: true or false). `options` names the choices' list; `plain` says in plain words
    what the field takes (shown beside a violation); `lang`: the language of the text typed."""

    name: str
    label: str
    widget: str = "text"
    hint: str | None = None
    plain: str | None = None
    options: str | None = None
    lang: str | None = None

    @property
    def multiple(self) -> bool:
        return self.widget in ("checks", "list")


@dataclass(frozen=True)
class Section:
    """A fieldset: its legend and fields; `repeat` names a list of objects (one fieldset per item)."""

    legend: str
    fields: tuple[Field, ...]
    repeat: str | None = None
    #: the name of a repeated item's fields: {repeat}.{n}.{field}
    item_label: str | None = None


@dataclass(frozen=True)
class Spec:
    sections: tuple[Section, ...]

    @property
    def fields(self) -> list[Field]:
        return [f for s in self.sections if s.repeat is None for f in s.fields]

    @property
    def repeats(self) -> list[Section]:
        return [s for s in self.sections if s.repeat is not None]

    @property
    def covers(self) -> set[str]:
        """The record's top-level fields the form edits (the others are kept as they are)."""
        return {f.name.split(".")[0] for f in self.fields} | {s.repeat for s in self.repeats if s.repeat}


DATE_HINT = _("A date such as 2025-03-31.")
URL_PLAIN = _("Give a web address that starts with http:// or https://.")
EMAIL_PLAIN = _("Give an e-mail address such as name@example.org.")
DATE_PLAIN = _("Give a real date, written year-month-day: 2025-03-31.")
ID_PLAIN = _("Use lower-case letters, digits, dots and hyphens, starting with a letter or a digit.")

def bilingual(title_rule: str) -> tuple[Field, ...]:
    """A title and a description, each in English and in French."""
    description_rule = _("Give one description in each language, or leave it empty.")
    return (Field("title.en", _("Title in English"), lang="en", plain=title_rule),
            Field("title.fr", _("Title in French"), lang="fr", plain=title_rule),
            Field("description.en", _("Description in English"), "textarea", lang="en", plain=description_rule),
            Field("description.fr", _("Description in French"), "textarea", lang="fr", plain=description_rule))


DATASET = Spec((
    Section(_("The dataset"), (
        Field("id", _("Identifier"), hint=_("Lower-case letters, digits, dots and hyphens; it never changes."),
              plain=ID_PLAIN),
        *bilingual(_("Give a title in English, in French or in both.")),
        Field("publisher", _("Publisher"), "select", options="own_organizations",
              plain=_("Choose the organisation that publishes the dataset: yours or one of its units.")),
        Field("keywords", _("Keywords"), "words", hint=_("Separated by commas."),
              plain=_("Give keywords separated by commas.")),
        Field("themes", _("Themes"), "checks", options="themes", plain=_("Choose themes from the list.")),
        Field("issued", _("Issued on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
        Field("modified", _("Last modified on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
        Field("version", _("Version"), plain=_("Give the version as a short text, such as 2.1.")),
    )),
    Section(_("Publication"), (
        Field("landing_page", _("Landing page"), "url", plain=URL_PLAIN),
        Field("license", _("Licence"), hint=_("The web address of the licence, or its name."),
              plain=_("Give one licence: the web address of its text, or its name.")),
        Field("language", _("Languages of the data"), "words", hint=_("Language tags separated by commas: en, fr."),
              plain=_("Give language tags the registry knows, separated by commas: en, fr, iu, cr, oj.")),
        Field("frequency", _("Update frequency"), "select", options="frequency",
              plain=_("Choose how often the data is updated from the list.")),
        Field("spatial", _("Places covered"), "lines", hint=_("One place per line: a name or a web address."),
              plain=_("Give one place per line: its name, or a web address that starts with http:// or https://.")),
        Field("temporal.start", _("Period covered: start"), "date", hint=DATE_HINT,
              plain=_("Give the first day of the period covered; it cannot come after the last day.")),
        Field("temporal.end", _("Period covered: end"), "date", hint=DATE_HINT,
              plain=_("Give the last day of the period covered; it cannot come before the first day.")),
        Field("conforms_to", _("Standards it conforms to"), "lines", hint=_("One web address per line."),
              plain=_("Give the web address of each standard, one per line.")),
    )),
    Section(_("Contacts"), (
        Field("contact_point.name", _("Public contact: name"),
              plain=_("Give the public contact a name or an e-mail address.")),
        Field("contact_point.email", _("Public contact: e-mail address"), "email", plain=EMAIL_PLAIN),
        Field("steward.name", _("Steward: name"), hint=_("Restricted: never shown on the public pages."),
              plain=_("Give the name of the person who answers for the dataset.")),
        Field("steward.email", _("Steward: e-mail address"), "email", plain=EMAIL_PLAIN),
    )),
    Section(_("Access and personal information"), (
        Field("access", _("Access"), "select", options="access", plain=_("Choose who may have the data.")),
        Field("sensitivity", _("Sensitivity"), "select", options="sensitivity",
              plain=_("Choose how sensitive the data is.")),
        Field("personal_information", _("Holds personal information"), "bool",
              hint=_("Restricted: never shown on the public pages."),
              plain=_("Say whether the dataset holds information about identifiable individuals.")),
        Field("personal_data_categories", _("Categories of personal information"), "checks", options="pd",
              plain=_("Choose the categories of personal information the dataset holds: at least one when it "
                      "holds personal information, none when it does not.")),
        Field("retention", _("Retention period"), hint=_("An ISO 8601 duration: P7Y is seven years, P18M eighteen months."),
              plain=_("Give the retention period as an ISO 8601 duration, such as P7Y for seven years.")),
    )),
    Section(_("Lineage"), (
        Field("derived_from", _("Derived from"), "list", options="datasets",
              hint=_("The identifiers of the datasets it was made from."),
              plain=_("Name registered datasets it was made from; a dataset cannot be derived from itself or from "
                      "one of the datasets made from it.")),
        Field("generated_by.kind", _("How it was made"), "select", options="activity",
              plain=_("Choose how the dataset was made; naming its sources comes first.")),
        Field("generated_by.by", _("Made by"), "select", options="organizations",
              plain=_("Choose the organisation that made the dataset.")),
        Field("generated_by.date", _("Made on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
    )),
    Section(_("Source record"), (
        Field("source.catalogue", _("Catalogue it came from"),
              plain=_("Name the catalogue the record came from.")),
        Field("source.id", _("Its identifier there"), plain=_("Give the record's identifier in that catalogue.")),
        Field("source.url", _("Its page there"), "url", plain=URL_PLAIN),
    )),
    Section(_("Distributions"), (
        *bilingual(_("Give one title in each language, or none.")),
        Field("access_url", _("Access address"), "url", plain=URL_PLAIN),
        Field("download_url", _("Download address"), "url", plain=URL_PLAIN),
        Field("media_type", _("Media type"), hint=_("Such as text/csv."),
              plain=_("Give a media type such as text/csv or application/json.")),
        Field("format", _("Format"), hint=_("Such as CSV."), plain=_("Give the file format, such as CSV.")),
        Field("byte_size", _("Size in bytes"), "number", plain=_("Give the size as a whole number of bytes.")),
        Field("license", _("Licence"), plain=_("Give one licence: the web address of its text, or its name.")),
        Field("checksum.algorithm", _("Checksum algorithm"), "select", options="checksum",
              plain=_("Choose the algorithm of the checksum.")),
        Field("checksum.value", _("Checksum"), hint=_("Hexadecimal digits."),
              plain=_("Give the checksum in hexadecimal digits, as many as the algorithm makes.")),
        Field("language", _("Languages of the data"), "words", hint=_("Language tags separated by commas: en, fr."),
              plain=_("Give language tags the registry knows, separated by commas: en, fr, iu, cr, oj.")),
        Field("issued", _("Issued on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
        Field("modified", _("Last modified on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
        Field("remove", _("Remove this distribution"), "check"),
    ), repeat="distributions", item_label=_("Distribution %(num)d")),
))

AGREEMENT = Spec((
    Section(_("The agreement"), (
        Field("id", _("Identifier"), hint=_("Lower-case letters, digits, dots and hyphens; it never changes."),
              plain=ID_PLAIN),
        Field("title", _("Title"), plain=_("Give the agreement a title.")),
        Field("provider", _("Provider"), "select", options="own_organizations",
              plain=_("Choose the organisation that discloses the data: yours or one of its units.")),
        Field("recipient", _("Recipient"), "select", options="organizations",
              plain=_("Choose the organisation that receives the data.")),
        Field("datasets", _("Datasets"), "list", options="datasets",
              plain=_("Name registered datasets of the provider.")),
        Field("purposes", _("Purposes"), "checks", options="purposes", plain=_("Choose at least one purpose.")),
        Field("legal_basis", _("Legal authorities"), "checks", options="authorities",
              plain=_("Choose the provisions the disclosure rests on.")),
        Field("valid_from", _("In force from"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
        Field("valid_until", _("In force until"), "date", hint=DATE_HINT,
              plain=_("Give the last day the agreement is in force; it cannot come before the first.")),
        Field("issued", _("Signed on"), "date", hint=DATE_HINT, plain=DATE_PLAIN),
    )),
    Section(_("Conditions"), (
        Field("conditions.deidentify_before_use", _("De-identify before use"), "bool",
              plain=_("Say whether the recipient must de-identify the data before using it.")),
        Field("conditions.onward_disclosure", _("Onward disclosure allowed"), "bool",
              plain=_("Say whether the recipient may disclose the data to others.")),
        Field("conditions.retention", _("Retention period"),
              hint=_("An ISO 8601 duration: P7Y is seven years, P18M eighteen months."),
              plain=_("Give the retention period as an ISO 8601 duration, such as P7Y for seven years.")),
    )),
    Section(_("Findings and notice"), (
        Field("notice.url", _("Public notice: web address"), "url",
              plain=_("Give both the web address and the date of the public notice.")),
        Field("notice.published", _("Public notice: published on"), "date", hint=DATE_HINT,
              plain=_("Give both the web address and the date of the public notice.")),
        Field("enabling_act", _("Act, agreement or treaty complied with"), "textarea",
              plain=_("Name the Act, agreement or treaty the disclosure complies with.")),
        Field("consistent_purpose_finding", _("Finding of a consistent purpose"), "textarea",
              plain=_("Say why the disclosure is for the purpose of collection or a consistent one.")),
        Field("research_agreement", _("Researcher agreement"),
              plain=_("Name the agreement the researcher signed.")),
    )),
))

LEGAL_STATUS = Spec((
    Section(_("Legal status"), (
        Field("kind", _("Kind of organisation"), "select", options="org_kind",
              plain=_("Choose the kind of organisation.")),
        Field("unit_kind", _("Kind of unit"), "select", options="unit_kind",
              plain=_("Only a data integration unit has a kind of unit.")),
        Field("designated_under", _("Designated under"), "checks", options="authorities",
              plain=_("Only a data integration unit or a prescribed entity is designated under a provision.")),
        Field("governed_by", _("Governed by"), "checks", options="statutes",
              hint=_("None chosen: the statutes of its kind."),
              plain=_("Choose the statutes that govern the organisation as a discloser.")),
        Field("designation_reference", _("Designation reference"),
              plain=_("Name the regulation or instrument that designates the organisation.")),
    )),
))

SHARE_CHECK = Spec((
    Section(_("The proposed share"), (
        Field("datasets", _("Datasets"), "list", options="datasets", plain=_("Name at least one registered dataset.")),
        Field("provider", _("Provider"), "select", options="organizations",
              plain=_("Choose the organisation that would disclose the data.")),
        Field("recipient", _("Recipient"), "select", options="organizations",
              plain=_("Choose the organisation that would receive the data.")),
        Field("purpose", _("Purpose"), "select", options="purposes", plain=_("Choose the purpose of the share.")),
        Field("date", _("Date of the share"), "date", hint=_("Empty: today."), plain=DATE_PLAIN),
        Field("deidentified", _("The data is de-identified"), "check"),
        Field("onward_disclosure", _("The recipient would disclose it onward"), "check"),
        Field("consent", _("The individuals have consented"), "check"),
        Field("ethics_approval", _("A research ethics board has approved the use"), "check"),
    )),
))

TOKEN = Spec((
    Section(_("New token"), (
        Field("role", _("Role"), "select", options="roles", plain=_("Choose a role.")),
        Field("org", _("Organisation (stewards)"), "select", options="organizations",
              plain=_("A steward's token needs the organisation it writes for.")),
        Field("days", _("Valid for (days)"), "number", hint=_("Empty: until revoked."),
              plain=_("Give a whole number of days, from 1 to 3650.")),
    )),
))

#: a message for a violation of a field the form does not show
OTHER = _("The record breaks this rule.")
FORM_LEVEL = ""


# ------------------------------------------------------------------------------------------ values
def _get(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _shown(f: Field, value: Any) -> Any:
    """A record's value as the form shows it."""
    if f.multiple:
        return [str(v) for v in value] if isinstance(value, list) else []
    if value is None:
        return ""
    if f.widget == "bool":
        return "yes" if value is True else "no" if value is False else ""
    if f.widget == "check":
        return "yes" if value else ""
    if f.widget == "words":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if f.widget == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _text_of(data: Any, name: str) -> Any:
    """A field's value in a record; `title.en` reads a plain text title as English."""
    parts = name.split(".")
    value = _get(data, parts)
    if value is None and parts[-1] == "en" and len(parts) >= 2:
        whole = _get(data, parts[:-1])
        if isinstance(whole, str):
            return whole
    return value


def values_of(spec: Spec, record: Mapping[str, Any]) -> Values:
    """What the form shows of a record."""
    out: Values = {f.name: _shown(f, _text_of(record, f.name)) for f in spec.fields}
    for s in spec.repeats:
        assert s.repeat is not None
        items = record.get(s.repeat) or []
        for n, item in enumerate(items if isinstance(items, list) else []):
            for f in s.fields:
                out[f"{s.repeat}.{n}.{f.name}"] = _shown(f, _text_of(item, f.name))
    return out


def _blank(f: Field, value: Any) -> bool:
    return value in ("", None, []) or (f.widget == "check" and value != "yes")


def values_from_form(spec: Spec, form: Mapping[str, list[str]]) -> tuple[Values, dict[str, int]]:
    """What a posted form says, field by field (text as typed), and how many blank items of each repeated
    list it had (their items renumbered from 0, blank and removed ones left out)."""
    out: Values = {}
    for f in spec.fields:
        sent = form.get(f.name) or []
        out[f.name] = [v.strip() for v in sent if v.strip()] if f.multiple else (sent[0] if sent else "")
    blanks: dict[str, int] = {}
    for s in spec.repeats:
        assert s.repeat is not None
        pattern = re.compile(rf"\A{re.escape(s.repeat)}\.(\d{{1,4}})\.")
        indices = sorted({int(m.group(1)) for name in form if (m := pattern.match(name))})
        kept = 0
        blanks[s.repeat] = 0
        for i in indices:
            item = {f.name: (form.get(f"{s.repeat}.{i}.{f.name}") or [""])[0] for f in s.fields}
            if item.get("remove") == "yes":
                continue
            if all(_blank(f, item[f.name]) for f in s.fields):
                blanks[s.repeat] += 1
                continue
            for f in s.fields:
                out[f"{s.repeat}.{kept}.{f.name}"] = item[f.name]
            kept += 1
    return out, blanks


def _typed(f: Field, value: Any) -> Any:
    """A form value as the JSON record takes it (None: not given)."""
    if f.multiple:
        return [str(v) for v in value] if value else None
    text = str(value).strip() if value is not None else ""
    if f.widget in ("textarea",):
        text = str(value).replace("\r\n", "\n").strip()
    if not text:
        return False if f.widget == "check" else None
    if f.widget == "bool":
        return {"yes": True, "no": False}.get(text, text)
    if f.widget == "check":
        return text == "yes"
    if f.widget == "number":
        return int(text) if re.fullmatch(r"-?\d{1,30}", text) else text
    if f.widget == "words":
        return [w.strip() for w in text.split(",") if w.strip()]
    if f.widget == "lines":
        return [w.strip() for w in text.splitlines() if w.strip()]
    return text


def _put(out: dict[str, Any], name: str, value: Any) -> None:
    parts = name.split(".")
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def record_of(spec: Spec, values: Values, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The JSON record a form's values stand for (fields left empty are absent)."""
    out: dict[str, Any] = {}
    for f in spec.fields:
        v = _typed(f, values.get(f.name))
        if v is not None:
            _put(out, f.name, v)
    for s in spec.repeats:
        assert s.repeat is not None
        items = []
        for n in range(item_count(values, s.repeat)):
            item: dict[str, Any] = {}
            for f in s.fields:
                v = _typed(f, values.get(f"{s.repeat}.{n}.{f.name}"))
                if v is not None and f.name != "remove":
                    _put(item, f.name, v)
            if item:
                items.append(item)
        if items or (counts is not None and s.repeat in counts):
            out[s.repeat] = items
    return out


def item_count(values: Values, repeat: str) -> int:
    pattern = re.compile(rf"\A{re.escape(repeat)}\.(\d+)\.")
    found = [int(m.group(1)) for name in values if (m := pattern.match(name))]
    return max(found) + 1 if found else 0


def carry_over(current: Mapping[str, Any] | None, edited: dict[str, Any], spec: Spec,
               read_only: Iterable[str] = ()) -> dict[str, Any]:
    """The record to write: the form's fields as edited, every other field of the current record as it is
    (a form never drops what it does not show), and the texts of a title or description in languages the
    form does not show."""
    if current is None:
        return edited
    covered = spec.covers
    out = {k: v for k, v in current.items() if k not in covered and k not in read_only and v is not None}
    out.update(edited)
    for name in ("title", "description"):
        before = current.get(name)
        if name in covered and isinstance(before, dict):
            others = {k: v for k, v in before.items() if k not in ("en", "fr")}
            if others:
                now = out.get(name)
                out[name] = {**others, **(now if isinstance(now, dict) else {"en": now} if now else {})}
    return out


# -------------------------------------------------------------------------------------- violations
@dataclass
class Problems:
    """The violations of a write, by the form field each belongs to ("" for the form as a whole)."""

    by_field: dict[str, list[Violation]] = field(default_factory=dict)

    def add(self, name: str, v: Violation) -> None:
        self.by_field.setdefault(name, []).append(v)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def field_of(spec: Spec, name: str | None, values: Values) -> str:
    """The form field a violation's `field` names (`title` -> `title.en`, `steward` -> `steward.name`,
    `distributions.0` -> its first field, `licence` -> `license`); "" when the form shows none."""
    if not name:
        return FORM_LEVEL
    name = "license" if name == "licence" else name
    names = [f.name for f in spec.fields]
    for s in spec.repeats:
        names += [k for k in values if k.startswith(f"{s.repeat}.")]
        names += [f"{s.repeat}.{n}.{f.name}" for n in range(item_count(values, s.repeat or "")) for f in s.fields]
    if name in names:
        return name
    for s in spec.repeats:
        if name == s.repeat:
            return name
    return next((n for n in names if n.startswith(name + ".")), FORM_LEVEL)


def problems(spec: Spec, violations: Iterable[Violation], values: Values) -> Problems:
    """The violations by form field; one about a whole group (`steward`) is left out when another names the
    field of that group at fault (`steward.email`): it says the same."""
    found = list(violations)
    named = {v.field for v in found if v.field}
    out = Problems()
    for v in found:
        if v.field and any(n.startswith(v.field + ".") for n in named):
            continue
        out.add(field_of(spec, v.field, values), v)
    return out


def plain_of(spec: Spec, name: str) -> str:
    """The plain-language rule of a form field (a message to translate)."""
    bare = re.sub(r"\.\d+\.", ".", name)
    for f in spec.fields:
        if f.name == name:
            return f.plain or OTHER
    for s in spec.repeats:
        for f in s.fields:
            if f"{s.repeat}.{f.name}" == bare:
                return f.plain or OTHER
    return OTHER


# ----------------------------------------------------------------------------------------- merging
@dataclass
class Merge:
    """An edit that crossed another: what the other one changed, where both changed the same field, and
    the record with the changes of both where they do not collide (the editor's own where they do)."""

    merged: dict[str, Any]
    theirs: list[str]
    conflicts: list[str]


def merge(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any],
          fields: Iterable[str]) -> Merge:
    """Three-way merge of the top-level `fields`: the editor's change wins where only they changed a field,
    the saved one where only it changed; both changed differently: a conflict, the editor's kept."""
    merged = dict(theirs)
    changed, conflicts = [], []
    for k in sorted(set(fields)):
        b, m, t = _norm(base.get(k)), _norm(mine.get(k)), _norm(theirs.get(k))
        if t != b:
            changed.append(k)
        if m == b:
            value = t
        elif t == b or m == t:
            value = m
        else:
            conflicts.append(k)
            value = m
        if value is None:
            merged.pop(k, None)
        else:
            merged[k] = value
    return Merge(merged, changed, conflicts)


def _norm(value: Any) -> Any:
    """A value as the record means it: empty is absent, a text in English alone is that text."""
    if isinstance(value, dict):
        out = {k: n for k, v in value.items() if (n := _norm(v)) is not None}
        if set(out) == {"en"} and isinstance(out["en"], str):
            return out["en"]
        return out or None
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        return items or None
    return None if value == "" else value


# ------------------------------------------------------------------------------------- vocabularies
@cache
def vocabulary_labels(res: Resources, lang: str) -> dict[str, dict[str, str]]:
    """The labels of the codes the workspace shows and offers, in `lang`, by vocabulary."""
    schemes: dict[str, Namespace] = {
        "access": ACCESS_RIGHT, "sensitivity": SENSITIVITY, "status": AGREEMENT_STATUS, "activity": ACTIVITY_KIND,
        "org_kind": ORG_KIND, "unit_kind": UNIT_KIND, "themes": THEME, "frequency": FREQUENCY, "pd": PD_CATEGORY,
        "statutes": STATUTE,
    }
    out = {name: dict(notation_labels(res, scheme, lang)) for name, scheme in schemes.items()}
    out["checksum"] = {name: name for name in CHECKSUM_ALGORITHMS}
    return out


# ----------------------------------------------------------------------------------- page words
#: each role's name as the workspace shows it
ROLES = {"steward": _("steward"), "privacy-officer": _("privacy officer"), "admin": _("admin")}
#: the title of each workspace page
TITLES = {
    "home": _("Workspace"),
    "sign-in": _("Sign in to the workspace"),
    "link": _("Sign in with a link"),
    "error": _("This could not be done"),
    "records": _("Records"),
    "new-dataset": _("Register a dataset"),
    "edit-dataset": _("Edit dataset %(id)s"),
    "new-agreement": _("Draft an agreement"),
    "edit-agreement": _("Edit agreement %(id)s"),
    "review": _("Review queue"),
    "share-check": _("Share check"),
    "share-checks": _("Past share checks"),
    "approvals": _("Agreements: approvals"),
    "deadlines": _("Deadlines"),
    "audit": _("Audit log"),
    "organizations": _("Organisations' legal status"),
    "legal-status": _("Legal status of %(id)s"),
    "tokens": _("Tokens"),
}
#: what a refusal's status means, as the error page's title
STATUS_TITLES = {401: _("Please sign in"), 403: _("Not allowed"), 404: _("Not found"), 412: _("Changed meanwhile"),
                 413: _("Too large"), 415: _("Not a form"), 422: _("Not valid"), 429: _("Too many requests")}
#: the names of a record's top-level fields that hold several form fields
TOP_LABELS = {"title": _("Title"), "description": _("Description"), "distributions": _("Distributions"),
              "steward": _("Steward"), "contact_point": _("Public contact"), "temporal": _("Period covered"),
              "source": _("Source record"), "generated_by": _("How it was made"), "conditions": _("Conditions"),
              "notice": _("Public notice"), "openlineage": _("Names in data pipelines"), "status": _("Status")}


def top_label(spec: Spec, key: str) -> str:
    """The name of a record's top-level field, as the form calls it (a message to translate)."""
    if key in TOP_LABELS:
        return TOP_LABELS[key]
    return next((f.label for f in spec.fields if f.name == key), key)

#: the legal-basis engine's answers, reasons and conditions in plain words (API.md lists the codes)
DECISION_WORDS = {"permitted": _("Permitted"), "conditional": _("Permitted on conditions"),
                  "not_permitted": _("Not permitted")}
REASON_WORDS = {
    "OPEN_DATA": _("Open data: public, with no personal information."),
    "AGREEMENT_IN_FORCE": _("An approved agreement in force covers this dataset and purpose."),
    "NO_AGREEMENT": _("No agreement between these parties covers the datasets."),
    "AGREEMENT_NOT_IN_FORCE": _("The agreement is not in force on that date."),
    "AGREEMENT_NOT_APPROVED": _("The agreement has not been approved (or is suspended or terminated)."),
    "DATASET_NOT_COVERED": _("The agreement does not cover this dataset."),
    "PURPOSE_NOT_COVERED": _("The agreement does not cover this purpose."),
    "RECIPIENT_NOT_ELIGIBLE": _("The authority does not allow this recipient."),
    "ONWARD_DISCLOSURE_PROHIBITED": _("Onward disclosure is prohibited."),
    "INHERITED_PERSONAL_INFORMATION": _("The dataset carries personal information from its sources."),
    "NO_LEGAL_BASIS": _("No legal authority permits this share."),
    "STATUTE_NOT_APPLICABLE": _("The statute cited does not govern the provider."),
    "FINDING_REQUIRED": _("The agreement must record the finding its authority rests on."),
    "NOTICE_NOT_PUBLISHED": _("The public notice of the collection was not published in time."),
    "IDENTIFIABLE_DATA_LEAVING_UNIT": _("Identifiable data may not leave a data integration unit."),
}
CONDITION_WORDS = {
    "DEIDENTIFY_BEFORE_USE": _("De-identify the data before use."),
    "RETENTION_LIMIT": _("Keep the data no longer than the agreement allows."),
    "NO_ONWARD_DISCLOSURE": _("Do not disclose the data to anyone else."),
    "RECORD_FINDING": _("Record the finding the authority rests on."),
    "NOTIFY_INDIVIDUAL": _("Notify the individual at their last known address."),
}
#: the actions on an agreement (services/agreement_status.py)
ACTION_WORDS = {"approve": _("Approve"), "suspend": _("Suspend"), "terminate": _("Terminate")}
