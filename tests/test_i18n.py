"""pipeline/i18n.py: catalogue lookups, plural forms by the catalogue's own rule, Babel dates."""

from __future__ import annotations

import pytest

from pipeline import i18n

WELSH_PLURALS = """msgid ""
msgstr ""
"Language: cy\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;\\n"

msgid "{n} page"
msgid_plural "{n} pages"
msgstr[0] "{n} dudalen"
msgstr[1] "{n} dudalen (deuol)"
msgstr[2] "{n} tudalen"
msgstr[3] "{n} tudalen (wyth)"
"""


@pytest.fixture
def catalogues(tmp_path, monkeypatch):
    folder = tmp_path / "cy" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / f"{i18n.DOMAIN}.po").write_text(WELSH_PLURALS, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    for cached in (i18n._catalogue, i18n.words_for):
        cached.cache_clear()
    yield tmp_path
    for cached in (i18n._catalogue, i18n.words_for):
        cached.cache_clear()


def test_plural_forms_follow_the_catalogues_own_rule(catalogues):
    _ = i18n.words_for("cy")
    said = [_.ngettext("{n} page", "{n} pages", n) for n in (1, 2, 3, 8)]
    assert said == ["1 dudalen", "2 dudalen (deuol)", "3 tudalen", "8 tudalen (wyth)"]


def test_english_plurals_and_a_language_without_a_catalogue(catalogues):
    assert i18n.words_for("en-GB").ngettext("{n} page", "{n} pages", 1) == "1 page"
    french = i18n.words_for("fr")
    assert french.fallback and french.language == "en"
    assert french.ngettext("{n} page", "{n} pages", 2) == "2 pages"


def test_dates_in_words_in_the_reports_locale():
    assert i18n.words_for("en-GB").date("2024-03-15") == "15 March 2024"
    assert i18n.words_for("cy").date("2024-03-15") == "15 Mawrth 2024"
    assert i18n.words_for("cy").date("Gwanwyn 2024") == "Gwanwyn 2024"  # the author's words
