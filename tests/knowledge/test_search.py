"""Search: any position, ranking, highlighting, logging, content gaps, rate limit, quality."""

import os

import pytest
from django.db import connection
from django.utils import timezone

from knowledge import demo
from knowledge.models import PUBLIC_AUDIENCES, STAFF_AUDIENCES, SearchLog
from knowledge.search import highlight, normalize_query, search_articles

from .factories import ArticleFactory, CategoryFactory

SQLITE = connection.vendor == "sqlite"


def find(query, language="en", audiences=PUBLIC_AUDIENCES, **kwargs):
    return search_articles(query, language=language, audiences=audiences, log=False, **kwargs)


@pytest.mark.skipif(not SQLITE, reason="the portable search matches substrings; PostgreSQL matches words")
def test_portable_search_finds_words_at_any_position(public_category):
    ArticleFactory(category=public_category, slug="sync", title_en="Calendar synchronisation", body_en="x")
    ArticleFactory(category=public_category, slug="other", title_en="Something else", body_en="resynchronise me")
    slugs = {hit.article.slug for hit in find("synchron").hits}
    assert slugs == {"sync", "other"}


def test_every_word_must_match_and_title_matches_rank_first(public_category):
    ArticleFactory(category=public_category, slug="body", title_en="Network basics", body_en="The VPN client drops.")
    ArticleFactory(category=public_category, slug="title", title_en="VPN client drops", body_en="Reconnect.")
    ArticleFactory(category=public_category, slug="half", title_en="VPN setup", body_en="Install it.")
    hits = find("vpn drops").hits
    assert [hit.article.slug for hit in hits] == ["title", "body"]


def test_tags_rank_above_body(public_category):
    ArticleFactory(category=public_category, slug="in-body", title_en="Printing", body_en="Queue jam fixes.")
    ArticleFactory(category=public_category, slug="in-tags", title_en="Printing", tags="jam", body_en="Other.")
    assert [hit.article.slug for hit in find("jam").hits] == ["in-tags", "in-body"]


def test_highlights_are_escaped_and_marked():
    html = highlight('<b>Reset</b> the "reset" & go', ["reset"])
    assert html == "&lt;b&gt;<mark>Reset</mark>&lt;/b&gt; the &quot;<mark>reset</mark>&quot; &amp; go"


def test_highlight_matches_without_accents_and_cuts_a_window():
    text = "Lorem " * 60 + "Contraseña olvidada " + "ipsum " * 60
    html = highlight(text, ["contrasena"], width=80)
    assert "<mark>Contraseña</mark>" in html
    assert html.startswith("…") and html.endswith("…") and len(html) < 140


def test_snippets_never_contain_article_markup(public_category):
    ArticleFactory(
        category=public_category, title_en="Safe <script>x</script>", body_en="<img src=x onerror=alert(1)> safe"
    )
    hit = find("safe").hits[0]
    assert "<script" not in hit.title_html and "<img" not in hit.snippet_html
    assert "<mark>" in hit.title_html


def test_spanish_reader_gets_spanish_rows_and_english_where_untranslated(public_category):
    ArticleFactory(
        category=public_category,
        slug="password",
        title_en="Reset your password",
        title_es="Restablecer la contraseña",
        body_es="Pasos para cambiar la contraseña.",
    )
    ArticleFactory(
        category=public_category, slug="english-only", title_en="Password rules", body_en="Twelve characters."
    )
    spanish = find("contraseña", language="es").hits
    assert [(h.article.slug, h.language) for h in spanish] == [("password", "es")]
    english = find("password", language="es").hits
    assert [(h.article.slug, h.language) for h in english] == [("english-only", "en")]


def test_search_is_logged_once_per_search_and_refinements_update_the_row(public_category):
    ArticleFactory(category=public_category, title_en="Printer offline")
    search_articles("print", language="en", audiences=PUBLIC_AUDIENCES, client_key="u:1")
    search_articles("printer offline", language="en", audiences=PUBLIC_AUDIENCES, client_key="u:1")
    search_articles("quantum teleport", language="en", audiences=PUBLIC_AUDIENCES, client_key="u:1")
    rows = list(SearchLog.objects.order_by("pk").values_list("normalized", "result_count"))
    assert rows == [("printer offline", 1), ("quantum teleport", 0)]


def test_normalized_query_is_folded_and_single_spaced():
    assert normalize_query("  ¿Contraseña   OLVIDADA? ") == "contrasena olvidada"


def test_content_gaps_list_zero_result_searches_and_unhelpful_articles(client, agent, public_article, customer):
    for _ in range(3):
        search_articles("teleport", language="en", audiences=PUBLIC_AUDIENCES)
    search_articles("password", language="en", audiences=PUBLIC_AUDIENCES)
    old = SearchLog.objects.create(query="ancient", normalized="ancient", language="en", result_count=0)
    SearchLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=40))
    from knowledge.services import record_feedback

    record_feedback(customer, public_article, helpful=False, comment="Missing the SSO case")
    client.force_login(agent)
    body = client.get("/kb/manage/gaps/").content.decode()
    assert "teleport" in body and "ancient" not in body
    assert "Missing the SSO case" in body
    assert public_article.title_en in body


def test_search_rate_limit_answers_429_with_a_message(client, settings, public_article):
    settings.KNOWLEDGE_SEARCH_RATE = (3, 60)
    for _ in range(3):
        assert client.get("/kb/search/", {"q": "password"}).status_code == 200
    response = client.get("/kb/search/", {"q": "password"}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert "searched very often" in response.content.decode()
    assert SearchLog.objects.count() == 1  # one reader repeating one search within seconds: one row


def test_staff_audiences_search_internal_articles(public_article, internal_article):
    assert {h.article.slug for h in find("password", audiences=STAFF_AUDIENCES).hits} == {
        "reset-password",
        "refund-rules",
    }


@pytest.fixture
def demo_corpus(agent, manager):
    demo.install(author=agent, approver=manager)
    filler = CategoryFactory(slug="filler", name_en="Filler")
    demo.install_synthetic(int(os.environ.get("KB_QUALITY_FILLER", "300")), category=filler)


@pytest.mark.parametrize(("query", "language", "slug"), demo.SEARCH_CHECKS, ids=[q for q, _l, _s in demo.SEARCH_CHECKS])
def test_fixed_queries_find_the_right_article_in_the_top_three(demo_corpus, query, language, slug):
    top = [hit.article.slug for hit in find(query, language=language, limit=3).hits]
    assert slug in top, (query, top)
