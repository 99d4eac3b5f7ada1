"""The site's two languages: which one a request asks for (a /fr or /en prefix, else its Accept-Language),
the message catalogues (locale/{lang}/LC_MESSAGES/messages.po, compiled in memory when first read: no .mo
file is kept), and record text in the reader's language, or in the other one with a marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup, escape

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LOCALE = Path(__file__).parent / "locale"
#: each language's name in itself (the language switch)
NAMES = {"en": "English", "fr": "Français"}
#: the marker after record text shown in the other language, written in that language
MARKERS = {"en": "(in English)", "fr": "(en français)"}
_Q = re.compile(r"q=([01](?:\.\d{0,3})?)$")


def catalogue_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> Translations:
    """The catalogue of `lang`, compiled from its .po file (untranslated and fuzzy entries stay English)."""
    with catalogue_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain="messages")


def gettext(lang: str, message: str, **values: Any) -> str:
    """One message of the catalogue in `lang`, its %(name)s placeholders filled."""
    text = str(translations(lang).gettext(message))
    return text % values if values else text


def from_accept_language(header: str | None) -> str:
    """The language an Accept-Language header prefers among ours (the first one on a tie; English when it
    names neither)."""
    best, best_q = DEFAULT, 0.0
    for part in (header or "").split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params:
            m = _Q.match(params.strip().replace(" ", ""))
            if m is None:
                continue
            q = float(m.group(1))
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


@dataclass(frozen=True)
class Here:
    """Where a page is: its language, the prefix its links keep ("" on a bare URL, "/fr", "/en"), its path
    without that prefix and its query string."""

    lang: str
    prefix: str = ""
    path: str = "/"
    query: str = ""
    #: scheme, host and port the request came to (absolute links: hreflang alternates, the sitemap)
    origin: str = ""

    def link(self, path: str) -> str:
        """A link to another page of the site, in this page's language."""
        return self.prefix + path

    def url_in(self, lang: str) -> str:
        """This page in `lang`."""
        return f"/{lang}{self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def other(self) -> str:
        return next(x for x in LANGUAGES if x != self.lang)

    def gettext(self, message: str, **values: Any) -> str:
        return gettext(self.lang, message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """`singular` or `plural` as `n` asks in this language, %(num)d being `n`."""
        return str(translations(self.lang).ngettext(singular, plural, n)) % {"num": n, **values}


def here_of(path: str, query: str = "", accept_language: str | None = None, origin: str = "") -> Here:
    """The page at `path`: a /fr or /en prefix chooses its language, else the Accept-Language header."""
    for lang in LANGUAGES:
        if path == f"/{lang}" or path.startswith(f"/{lang}/"):
            return Here(lang, f"/{lang}", path[len(lang) + 1:] or "/", query, origin)
    return Here(from_accept_language(accept_language), "", path, query, origin)


@dataclass(frozen=True)
class Local:
    """Record text in one language; `fallback` when the reader asked for the other one."""

    text: str
    lang: str
    fallback: bool

    @property
    def marker(self) -> str:
        return MARKERS.get(self.lang, f"({self.lang})") if self.fallback else ""


def pick(value: Any, lang: str) -> Local | None:
    """Record text in `lang`: a plain string is English (as the API reads it); a map of language tags picks
    `lang`, else English, else its first language."""
    if value is None or value == "" or value == {}:
        return None
    if not isinstance(value, dict):
        return Local(str(value), DEFAULT, lang != DEFAULT)
    texts = {str(k): str(v) for k, v in value.items() if v}
    if not texts:
        return None
    for tag in (lang, *LANGUAGES, *sorted(texts)):
        if tag in texts:
            return Local(texts[tag], tag, tag != lang)
    return None  # pragma: no cover - the loop always finds one


def shown(value: Any, lang: str, default: Any = None, *, marked: bool = True) -> Markup:
    """Record text as HTML: in the page's language as it is; in the other one inside an element with its
    own lang attribute, followed by the marker (unless not `marked`: names). Empty: `default` as it is."""
    local = pick(value, lang)
    if local is None:
        return escape("" if default is None else default)
    if not local.fallback:
        return escape(local.text)
    if not marked:
        return Markup('<span lang="{0}">{1}</span>').format(local.lang, local.text)
    return Markup('<span lang="{0}">{1} <span class="lang-marker">{2}</span></span>').format(
        local.lang, local.text, local.marker)


def plain(value: Any, lang: str) -> str:
    """Record text as plain text (a page title, an attribute), in the page's language where it has one."""
    local = pick(value, lang)
    return "" if local is None else local.text
