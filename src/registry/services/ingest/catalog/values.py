"""Values as catalogues write them, read into the registry's: dates (a date-time keeps its date, with a
warning), e-mail addresses (a relative or `mailto:` link is an address), languages, frequencies, media
types, formats, checksums, time intervals and language maps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from rdflib import URIRef

from registry.domain.model.dcat import CHECKSUM_ALGORITHMS, FREQUENCIES, LANGUAGES, MEDIA_TYPE_RE, THEMES, theme_value
from registry.domain.model.dcat import is_url as is_iri_url
from registry.services.ingest.catalog.harvest import Harvested

DATE_RE = re.compile(r"\A(\d{4}-\d{2}-\d{2})(?:([T ])(\S.*))?\Z")
#: ASCII characters an IRI cannot hold as they are
_NOT_IN_IRI = re.compile(r"[\x00-\x20\"<>\\^`{|}\x7f]")
EU = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA = re.compile(r"\Ahttps?://www\.iana\.org/assignments/media-types/(.+)\Z")
#: ISO 8601 repeating durations (DCAT-US `accrualPeriodicity`, open.canada.ca's `frequency`) -> names
ISO_FREQUENCIES = {
    "P1Y": "annual", "P6M": "semiannual", "P4M": "three-times-a-year", "P2Y": "biennial", "P3Y": "triennial",
    "P4Y": "quadrennial", "P5Y": "quinquennial", "P10Y": "decennial", "P2M": "bimonthly", "P0.5M": "semimonthly",
    "P0.33M": "three-times-a-month", "P1M": "monthly", "P3M": "quarterly", "P1W": "weekly", "P2W": "biweekly",
    "P3.5D": "semiweekly", "P0.5W": "semiweekly", "P0.33W": "three-times-a-week", "P1D": "daily",
    "PT1H": "hourly", "PT1S": "continuous",
}
#: the EU authorities' codes -> the registry's names (domain.model.dcat holds the tables)
EU_LANGUAGES = {code: tag for tag, code in LANGUAGES.items()}
EU_FREQUENCIES = {code: name for name, code in FREQUENCIES.items()}

#: frequencies named in words (DCAT-US "irregular", open.canada.ca's codes)
WORD_FREQUENCIES = {"irregular": "irregular", "as_needed": "irregular", "not_planned": "never", "never": "never",
                    "unknown": "unknown", "continual": "continuous", "continuous": "continuous"}
CHECKSUM_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def clean(value: Any) -> str | None:
    """A text value, trimmed; None when absent or empty."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    s = str(value).strip()
    return s or None


def is_url(text: str | None) -> bool:
    return text is not None and is_iri_url(text)


def url(value: Any) -> str | None:
    """An http(s) URL the registry can keep: characters an IRI cannot hold (a space, a quote) are
    percent-encoded; None when it is no http(s) URL even so (ftp:, a name, a garbled address)."""
    s = clean(value)
    if s is None:
        return None
    s = _NOT_IN_IRI.sub(lambda m: f"%{ord(m.group()):02X}", s)
    return s if is_iri_url(s) else None


def date(value: Any, fld: str, rec: Harvested) -> str | None:
    """The date of a date or date-time text. A date-time keeps its date, with a warning; anything else is
    passed on as it is, for the write path to refuse and name."""
    s = clean(value)
    if s is None:
        return None
    m = DATE_RE.fullmatch(s)
    if m is None:
        return s
    if m.group(2):
        rec.warn(fld, f"a date-time ({s[:40]}) where a date is expected: its date {m.group(1)} is kept")
    return m.group(1)


def email(value: Any) -> str | None:
    """An e-mail address from `mailto:x@y`, `x@y`, or a relative link read against some base
    (`…/servizi@comune.foggia.it`): the address, never a path."""
    s = clean(value)
    if s is None:
        return None
    s = s.split("?", 1)[0]
    low = s.lower()
    if "mailto:" in low:
        s = s[low.rindex("mailto:") + len("mailto:"):]
    elif "/" in s and "@" in s.rsplit("/", 1)[-1]:
        s = s.rsplit("/", 1)[-1]
    return unquote(s).strip() or None


def language(value: Any) -> str | None:
    """A language the registry knows, as its tag: from an EU language IRI (…/language/FRA -> fr) or a tag
    ("en-US" -> en); None for anything else (zxx, "no linguistic content", is no language)."""
    s = clean(value)
    if s is None:
        return None
    if s.startswith(EU + "language/"):
        return EU_LANGUAGES.get(s.rsplit("/", 1)[-1].upper())
    tag = s.lower().replace("_", "-").split("-")[0]
    return tag if tag in LANGUAGES else None


def frequency(value: Any) -> str | None:
    """A frequency name from an EU frequency IRI, an ISO 8601 repeating duration (R/P1Y) or a word; None
    for anything else."""
    s = clean(value)
    if s is None:
        return None
    if s.startswith(EU + "frequency/"):
        return EU_FREQUENCIES.get(s.rsplit("/", 1)[-1].upper())
    if s.lower() in FREQUENCIES:
        return s.lower()
    iso = re.sub(r"\AR\d*/", "", s)
    if iso in ISO_FREQUENCIES:
        return ISO_FREQUENCIES[iso]
    return WORD_FREQUENCIES.get(s.lower())


def media_type(value: Any) -> str | None:
    """`text/csv` from an IANA media-type IRI or a text."""
    s = clean(value)
    if s is None:
        return None
    m = IANA_MEDIA.fullmatch(s)
    return m.group(1) if m else s


def file_format(value: Any) -> str | None:
    """A format's name: the code of an EU file-type IRI (…/file-type/CSV -> CSV), a text as it is."""
    s = clean(value)
    if s is None:
        return None
    if s.startswith(EU + "file-type/"):
        return s.rsplit("/", 1)[-1]
    return s


def checksum(algorithm: str | None, value: Any) -> dict[str, str] | None:
    """{"algorithm", "value"}: the algorithm named (spdx:checksumAlgorithm_sha256 -> sha256), a prefix
    ("sha256:…"), or told by the length of a hexadecimal value (32 digits: md5)."""
    s = clean(value)
    if s is None:
        return None
    if algorithm is None and re.fullmatch(r"[A-Za-z0-9-]+:[0-9A-Fa-f]+", s):
        algorithm, s = s.split(":", 1)
    if algorithm is None:
        if not re.fullmatch(r"[0-9A-Fa-f]+", s) or len(s) not in CHECKSUM_LENGTHS:
            return None
        algorithm = CHECKSUM_LENGTHS[len(s)]
    algo = re.sub(r"\A.*checksumAlgorithm_", "", algorithm).lower().replace("_", "-")
    algo = algo if algo in CHECKSUM_ALGORITHMS else algo.replace("-", "")
    return {"algorithm": algo, "value": s.lower()}


def _duration_end(start: dt.date, duration: str) -> dt.date | None:
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?", duration)
    if m is None or not any(m.groups()[:4]):
        return None
    years, months, weeks, days = (int(g or 0) for g in m.groups()[:4])
    month = start.month - 1 + months
    year = start.year + years + month // 12
    month = month % 12 + 1
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                          31, 31, 30, 31, 30, 31][month - 1])
    return dt.date(year, month, day) + dt.timedelta(weeks=weeks, days=days - 1)


def interval(value: Any, fld: str, rec: Harvested) -> dict[str, str] | None:
    """{"start", "end"} of an ISO 8601 interval: "2000-01-15/2010-12-31", date-times (their dates, with a
    warning), "start/P1Y", "P1Y/end", a repeating "R/…" (its first interval); None when it is none."""
    s = clean(value)
    if s is None:
        return None
    body = re.sub(r"\AR\d*/", "", s)
    parts = body.split("/")
    if len(parts) != 2:
        rec.warn(fld, f"not an ISO 8601 interval ({s[:60]}): not kept")
        rec.drop(fld)
        return None
    out: dict[str, str] = {}
    ends = [date(p, fld, rec) if not p.startswith("P") else None for p in parts]
    for key, v in zip(("start", "end"), ends, strict=True):
        if v is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            out[key] = v
    try:
        if parts[1].startswith("P") and "start" in out:
            end = _duration_end(dt.date.fromisoformat(out["start"]), parts[1])
            if end is not None:
                out["end"] = end.isoformat()
        elif parts[0].startswith("P") and "end" in out:
            back = _duration_end(dt.date.fromisoformat(out["end"]), parts[0])
            if back is not None:
                out["start"] = (dt.date.fromisoformat(out["end"]) - (back - dt.date.fromisoformat(out["end"]))
                                ).isoformat()
    except ValueError:
        pass
    if not out:
        rec.warn(fld, f"an interval without a date ({s[:60]}): not kept")
        rec.drop(fld)
        return None
    return out


def language_map(texts: Iterable[tuple[str | None, str]], default: str | None = None) -> str | dict[str, str] | None:
    """A text or a language map from (language, text) pairs: a map when a text is tagged (an untagged one
    takes `default`, the record's one language, when there is one), else the text. Empty texts are not
    values; of two texts in one language the first is kept."""
    pairs = [((lang or default or "").lower(), t.strip()) for lang, t in texts if t and t.strip()]
    if not pairs:
        return None
    if all(not lang for lang, _ in pairs):
        return pairs[0][1]
    out: dict[str, str] = {}
    for lang, t in pairs:
        out.setdefault(lang or "en", t)
    return out


def theme(value: str | None) -> str | None:
    """The registry's theme code of a theme: a code ("health"), the registry's concept or the EU data theme
    it matches (…/data-theme/HEAL); None for any other theme (the readers keep it as a keyword, as the
    catalogue exports it)."""
    if value is None:
        return None
    code = theme_value(URIRef(value)) if is_url(value) else value.strip().lower()
    return code if code in THEMES else None


def tidy(rec: Harvested) -> None:
    """What the registry cannot hold as a source gives it, left out with a warning (the record is kept):
    a URL that is no http(s) URL (an ftp: link), a media type that is none; a distribution without an
    http(s) URL is left out whole. Media types lose their parameters ("text/csv; charset=utf-8"); an
    access URL that is the download URL is given once, as the download URL."""
    data = rec.data
    if "landing_page" in data and (page := url(data["landing_page"])) != data["landing_page"]:
        _left_out(rec, "landing_page", data.pop("landing_page"), page, data)
    if "conforms_to" in data:
        kept = []
        for x in data.pop("conforms_to"):
            if (u := url(x)) is None:
                _left_out(rec, "conforms_to", x, None, {})
            else:
                kept.append(u)
        if kept:
            data["conforms_to"] = sorted(set(kept))
    source = data.get("source")
    if isinstance(source, dict) and "url" in source and (u := url(source["url"])) != source["url"]:
        _left_out(rec, "source.url", source.pop("url"), u, source, "url")
    dists = []
    for i, d in enumerate(data.pop("distributions", [])):
        urls = {k: d.pop(k) for k in ("access_url", "download_url") if k in d}
        good = {k: u for k, x in urls.items() if (u := url(x)) is not None}
        if not good:
            why = f"whose URL is not http or https ({next(iter(urls.values()))[:100]})" if urls else "without a URL"
            rec.warn("distributions", f"a distribution {why}: not kept")
            rec.drop("distributions (no http or https URL)")
            continue
        for k in sorted(set(urls) - set(good)):
            _left_out(rec, f"distributions.{i}.{k}", urls[k], None, d)
        d.update(good)
        if d.get("access_url") == d.get("download_url"):  # said once (an export adds the access URL back)
            d.pop("access_url")
        if "media_type" in d:
            media = d.pop("media_type").split(";")[0].strip().lower()
            if MEDIA_TYPE_RE.fullmatch(media):
                d["media_type"] = media
            else:
                rec.warn(f"distributions.{i}.media_type", f"not a media type ({media[:80]}): not kept")
                rec.drop("distributions/media_type")
        dists.append(d)
    if dists:
        data["distributions"] = dists


def _left_out(rec: Harvested, where: str, was: Any, now: str | None, into: dict[str, Any], key: str = "") -> None:
    """Put back the URL `now` (the same, encoded) under `key`, or leave it out with a warning."""
    if now is not None:
        into[key or where] = now
        return
    rec.warn(where, f"not an http or https URL ({str(was)[:100]}): not kept")
    rec.drop(re.sub(r"\.\d+\.", "/", where))
