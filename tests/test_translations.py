"""The interface is translated: every string in the code has a translation in every language, and the
compiled catalogues match their sources."""

import gettext
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import to_locale

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
EXTRACT_IGNORE = [".venv", "var", "tests", "bench", "staticfiles", "static", ".ci-tmp", "locale"]
PY_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]")
ADMIN_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _unquote(text):
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def parse_po(path):
    """Entries of a .po file as dicts: context, id, plural, strings (list), fuzzy."""
    entries, current, field = [], None, None

    def finish():
        if current and current.get("id") is not None:
            entries.append(current)

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,") and "fuzzy" in line:
            finish()
            current, field = {"fuzzy": True, "strings": {}}, None
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            if field[0] == "strings":
                current["strings"][field[1]] += value
            else:
                current[field[0]] += value
            continue
        if keyword in ("msgctxt", "msgid") and (current is None or "id" in current):
            finish()
            current = {"fuzzy": False, "strings": {}}
        if keyword == "msgctxt":
            current["context"], field = _unquote(rest), ("context",)
        elif keyword == "msgid":
            current["id"], field = _unquote(rest), ("id",)
        elif keyword == "msgid_plural":
            current["plural"], field = _unquote(rest), ("plural",)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if "[" in keyword else 0
            current["strings"][index] = _unquote(rest)
            field = ("strings", index)
    finish()
    return [entry for entry in entries if entry["id"]]  # the header has an empty id


def po_path(language):
    return LOCALE_DIR / to_locale(language) / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_keeps_its_placeholders(language):
    entries = parse_po(po_path(language))
    assert len(entries) > 500
    problems = []
    for entry in entries:
        strings = list(entry["strings"].values())
        if entry["fuzzy"] or not all(strings):
            problems.append(f"untranslated or fuzzy: {entry['id']!r}")
            continue
        for text in strings:
            for pattern in (PY_PLACEHOLDER, ADMIN_PLACEHOLDER):
                wanted = set(pattern.findall(entry["id"])) | set(pattern.findall(entry.get("plural", "")))
                if set(pattern.findall(text)) - wanted or (wanted and not set(pattern.findall(text))):
                    problems.append(f"placeholders differ: {entry['id']!r} -> {text!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    """A .mo compiled from an older .po would show stale words; `make messages` compiles them."""
    mo = po_path(language).with_suffix(".mo")
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    stale = []
    for entry in parse_po(po_path(language)):
        key = f"{entry['context']}\x04{entry['id']}" if "context" in entry else entry["id"]
        if "plural" in entry:
            compiled = [catalogue.get((key, index)) for index in sorted(entry["strings"])]
            expected = [entry["strings"][index] for index in sorted(entry["strings"])]
        else:
            compiled, expected = catalogue.get(key), entry["strings"][0]
        if compiled != expected:
            stale.append(entry["id"])
    assert stale == []


@pytest.mark.skipif(
    not shutil.which("xgettext") and not os.environ.get("FIRSTLINE_REQUIRE_GETTEXT"),
    reason="GNU gettext is not installed (CI installs it)",
)
def test_every_string_in_the_code_is_in_the_catalogues(tmp_path, settings, monkeypatch):
    """Extract the strings afresh and compare: a new {% translate %} without a translation fails here.

    The extraction runs on a copy of the code, so the test never writes to the real catalogues.
    """
    base = Path(settings.BASE_DIR)
    for entry in base.iterdir():
        if entry.is_dir() and entry.name not in EXTRACT_IGNORE and not entry.name.startswith("."):
            shutil.copytree(entry, tmp_path / entry.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    extracted = {
        (entry.get("context"), entry["id"]) for entry in parse_po(tmp_path / "locale/es/LC_MESSAGES/django.po")
    }
    for language in LANGUAGES:
        known = {(entry.get("context"), entry["id"]) for entry in parse_po(po_path(language))}
        missing = sorted(msgid for _context, msgid in extracted - known)
        assert missing == [], f"{language}: run `make messages` and translate {missing[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Mis tickets", "Nuevo ticket"]),
        ("fr", ["Mes tickets"]),
        ("de", ["Meine Tickets"]),
        ("zh-hans", ["我的工单"]),
        ("ja", ["マイチケット"]),
        ("pt", ["Meus tickets"]),
    ],
)
def test_the_portal_speaks_the_language_the_customer_chose(client, language, expected):
    from tests.helpdesk.factories import CustomerFactory

    customer = CustomerFactory(language=language)
    client.force_login(customer)
    page = client.get("/portal/").content.decode()
    assert f'lang="{language}"' in page
    for words in expected:
        assert words in page
    assert "My tickets" not in page
