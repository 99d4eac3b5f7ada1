"""The workspace's words in English and French. The workspace is not the public site: its messages live in
catalogues of their own, locale/{lang}/LC_MESSAGES/workspace.po beside the public site's messages.po,
extracted from templates/workspace/*.html and workspace_forms.py; a message neither holds stays English.
Its pages are rendered as the public ones are (pages.py: the same headers), by templates that read both
catalogues. `python -m registry.web.workspace_i18n` keeps the catalogues in step with the sources."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from registry import __version__
from registry.web import catalogues, i18n
from registry.web.i18n import LANGUAGES, LOCALE, NAMES, Here
from registry.web.pages import CSP, environment

DOMAIN = "workspace"
TEMPLATES = catalogues.TEMPLATES / "workspace"
PYTHON = [Path(__file__).parent / "workspace_forms.py"]


def catalogue_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    """The workspace's catalogue in `lang`, falling back on the public site's."""
    with catalogue_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    out = Translations(mo, domain=DOMAIN)
    out.add_fallback(i18n.translations(lang))
    return out


def gettext(lang: str, message: str, **values: Any) -> str:
    text = str(translations(lang).gettext(message))
    return text % values if values else text


@cache
def _environment(lang: str) -> Environment:
    env = environment(lang)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(here: Here, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A workspace page in `here`'s language, with the public pages' headers."""
    html = _environment(here.lang).get_template(template).render(version=__version__, here=here, p=here.prefix,
                                                                 **context)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": CSP, "Content-Language": here.lang, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin", "Vary": "Accept" if here.prefix else "Accept, Accept-Language"})


def extract() -> Iterator[tuple[Path, catalogues.Message]]:
    """Every message of the workspace's sources: (file, (msgid, plural or None))."""
    sources: list[tuple[Path, str, dict[str, str]]] = [(f, "jinja2.ext:babel_extract", catalogues.JINJA_OPTIONS)
                                                       for f in sorted(TEMPLATES.glob("*.html"))]
    sources += [(f, "python", {}) for f in PYTHON]
    for path, method, options in sources:
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=catalogues.KEYWORDS,
                                                                   options=options):
            if isinstance(message, tuple):
                yield path, (str(message[0]), str(message[1]))
            else:
                yield path, (str(message), None)


def messages() -> dict[catalogues.Message, list[str]]:
    out: dict[catalogues.Message, list[str]] = {}
    root = catalogues.PACKAGE
    for path, msg in extract():
        where = out.setdefault(msg, [])
        if str(path.relative_to(root)) not in where:
            where.append(str(path.relative_to(root)))
    return out


def read(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def update() -> None:
    """Add the messages used and not yet in a catalogue (empty, to translate); drop those no longer used."""
    used = messages()
    for lang in LANGUAGES:
        path = catalogue_path(lang)
        old = read(lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        new = Catalog(locale=lang, domain=DOMAIN, project="gov-data-registry workspace", version=None, fuzzy=False,
                      header_comment=catalogues.HEADER, creation_date=old.creation_date,
                      revision_date=old.revision_date, last_translator="the registry's maintainers",
                      language_team=NAMES[lang])
        for (msgid, plural), where in sorted(used.items()):
            key: str | tuple[str, str] = (msgid, plural) if plural else msgid
            before = old.get(msgid)
            string = before.string if before is not None else (("", "") if plural else "")
            new.add(key, string, locations=[(w, 0) for w in where])
        with path.open("wb") as f:
            write_po(f, new, width=120, sort_output=True, include_lineno=False)


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    update()
    sys.stdout.write("updated: " + ", ".join(str(catalogue_path(lang)) for lang in LANGUAGES) + "\n")
