"""The interface's messages, extracted with Babel from the templates and the Python code that shows text to
readers, and the message catalogues kept in step with them: `python -m registry.web.catalogues` adds new
messages to every locale/*/LC_MESSAGES/messages.po (empty, to translate) and drops the ones no longer used.
tests/web/test_i18n.py fails while a message has no French."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from registry.web.i18n import LANGUAGES, NAMES, catalogue_path

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES = PACKAGE / "web" / "templates"
#: the public site's Python modules whose text readers see (page titles, error messages, facet names, the
#: plain-language requirements of authorities); the public site's templates are those of TEMPLATES itself
PYTHON = [PACKAGE / "web" / name for name in ("pages.py", "search.py", "i18n.py", "schema_org.py")] + [
    PACKAGE / "api" / "web.py", PACKAGE / "services" / "reference.py"]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "trim_blocks": "true", "lstrip_blocks": "true",
                 "newstyle_gettext": "true", "silent": "false"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}

HEADER = ("# The registry's interface messages. English is the source language: its catalogue leaves every msgstr\n"
          "# empty. Updated by `python -m registry.web.catalogues`; each translation is written by us.")

Message = tuple[str, str | None]  # (msgid, plural msgid)


def extract() -> Iterator[tuple[Path, int, Message]]:
    """Every message of the sources: (file, line, (msgid, plural or None))."""
    sources: list[tuple[Path, str, dict[str, str]]] = [(f, "jinja2.ext:babel_extract", JINJA_OPTIONS)
                                                       for f in sorted(TEMPLATES.glob("*.html"))]
    sources += [(f, "python", {}) for f in PYTHON]
    for path, method, options in sources:
        for line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS,
                                                                   options=options):
            if isinstance(message, tuple):
                yield path, line, (str(message[0]), str(message[1]))
            else:
                yield path, line, (str(message), None)


def messages() -> dict[Message, list[str]]:
    """Each message and the files that use it (relative to the package)."""
    out: dict[Message, list[str]] = {}
    for path, _line, msg in extract():
        where = out.setdefault(msg, [])
        if str(path.relative_to(PACKAGE)) not in where:
            where.append(str(path.relative_to(PACKAGE)))
    return out


def read(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def update(extra: dict[Message, list[str]] | None = None) -> None:
    """Add the messages used and not yet in a catalogue; drop those no longer used (`extra`: messages used
    under other names, such as an ontology comment translated whole)."""
    used = {**messages(), **(extra or {})}
    for lang in LANGUAGES:
        path = catalogue_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = read(lang) if path.exists() else Catalog(locale=lang)
        new = Catalog(locale=lang, project="gov-data-registry", version=None, fuzzy=False, header_comment=HEADER,
                      creation_date=old.creation_date, revision_date=old.revision_date,
                      last_translator="the registry's maintainers", language_team=NAMES[lang])
        for (msgid, plural), where in sorted(used.items()):
            key: str | tuple[str, str] = (msgid, plural) if plural else msgid
            before = old.get(msgid)
            string = before.string if before is not None else (("", "") if plural else "")
            new.add(key, string, locations=[(w, 0) for w in where])
        with path.open("wb") as f:  # no line numbers: a moved line changes no catalogue
            write_po(f, new, width=120, sort_output=True, include_lineno=False)


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    from registry.resources import Resources
    from registry.services.reference import finding_descriptions

    update({(text, None): ["ontology/registry.ttl"] for text in finding_descriptions(Resources()).values()})
    sys.stdout.write("updated: " + ", ".join(str(catalogue_path(lang)) for lang in LANGUAGES) + "\n")
