"""The workspace in English and French (web/workspace_i18n.py): every message of its templates and forms has
its French in the workspace's own catalogue, the catalogues hold only messages in use, a French message keeps
its English placeholders, and no workspace template shows text outside the translation tags."""

from __future__ import annotations

import re

import pytest

from registry.web import workspace_i18n
from registry.web.i18n import LANGUAGES
from web.test_i18n import literal_text


def _strings(entry: object) -> list[str]:
    string = getattr(entry, "string", None)
    return [string] if isinstance(string, str) else list(string or [])


def test_every_workspace_message_has_its_french() -> None:
    fr = workspace_i18n.read("fr")
    used = {msgid for msgid, _plural in workspace_i18n.messages()}
    assert len(used) > 200
    missing = [m for m in sorted(used) if (e := fr.get(m)) is None or e.fuzzy or not all(s.strip() for s in _strings(e))
               or not _strings(e)]
    assert missing == [], f"no French for {len(missing)} messages (python -m registry.web.workspace_i18n, then translate)"


def test_the_workspace_catalogues_hold_only_messages_in_use() -> None:
    used = {msgid for msgid, _plural in workspace_i18n.messages()}
    for lang in LANGUAGES:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in workspace_i18n.read(lang) if m.id}
        assert held == used, lang


def test_a_french_workspace_message_keeps_its_placeholders() -> None:
    for m in workspace_i18n.read("fr"):
        if not m.id:
            continue
        want = set(re.findall(r"%\(\w+\)[sd]", m.id if isinstance(m.id, str) else m.id[-1]))
        for s in _strings(m):
            assert set(re.findall(r"%\(\w+\)[sd]", s)) == want, (m.id, s)


@pytest.mark.parametrize("template", sorted(p.name for p in workspace_i18n.TEMPLATES.glob("*.html")))
def test_a_workspace_template_shows_no_text_outside_the_translation_tags(template: str) -> None:
    assert literal_text((workspace_i18n.TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_french_words_reach_the_page() -> None:
    assert workspace_i18n.gettext("fr", "Save") == "Enregistrer"
    assert workspace_i18n.gettext("fr", "Search") == "Rechercher", "the public site's catalogue is the fallback"
    assert workspace_i18n.gettext("en", "Save") == "Save"
