"""The knowledge base in the agent workspace: linking articles from the reply composer, and
writing an article from a resolved ticket (knowledge capture)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from helpdesk import capture
from helpdesk.models import EventKind, Role, Status, TicketEvent
from helpdesk.services import set_user_role
from knowledge.models import Article
from knowledge.models import Status as ArticleStatus
from tests.knowledge.factories import ArticleFactory
from tests.knowledge.factories import CategoryFactory as ArticleCategoryFactory

from .factories import AgentFactory, CategoryFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
# Session, user, (ticket,) the search, its log row; PostgreSQL adds a query for the highlighted snippets.
BUDGET = 5 + (connection.vendor == "postgresql")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def roles(db):
    call_command("setup_roles", stdout=StringIO())


@pytest.fixture
def writer(roles):
    """An agent with the knowledge base permissions every agent gets."""
    user = AgentFactory(username="writer")
    set_user_role(None, user, role=Role.AGENT)
    return user


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


@pytest.fixture
def public_article(db):
    category = ArticleCategoryFactory(slug="printing", name_en="Printing")
    return ArticleFactory(
        category=category,
        slug="printer-offline",
        title_en="Printer [shows] offline",
        summary_en="Restart the print spooler.",
        title_es="La impresora aparece desconectada",
        body_es="Reinicia la cola.",
    )


@pytest.fixture
def internal_article(db):
    category = ArticleCategoryFactory(slug="runbooks", name_en="Runbooks", agents=True)
    return ArticleFactory(category=category, slug="printer-override", title_en="Printer offline override")


def articles(client, ticket, q, **headers):
    return client.get(reverse("helpdesk:ticket-articles", args=[ticket.ref]), {"q": q}, headers=headers)


# --- the composer's knowledge base search ---------------------------------------------------


def test_composer_search_finds_public_articles_with_a_link_to_insert(writer_client, ticket, public_article, settings):
    settings.FIRSTLINE_SITE_URL = "https://help.example.com"
    response = articles(writer_client, ticket, "printer offline", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="article-results"')
    assert "Restart the print spooler." in html
    link = "[Printer \\[shows\\] offline](https://help.example.com/kb/articles/printer-offline/)"
    assert f'data-insert-link="{link}"' in html


def test_composer_link_is_titled_in_the_customers_language(writer_client, alice, public_article):
    ticket = TicketFactory(requester=alice, language="es")
    html = articles(writer_client, ticket, "printer", **HTMX).content.decode()
    assert "[La impresora aparece desconectada](" in html


def test_internal_articles_are_shown_to_agents_but_cannot_be_inserted(writer_client, ticket, internal_article):
    html = articles(writer_client, ticket, "printer override", **HTMX).content.decode()
    assert "Printer offline override" in html.replace("<mark>", "").replace("</mark>", "")
    assert "Internal — do not send" in html
    assert "data-insert-link" not in html and "/kb/articles/printer-override/)" not in html


def test_composer_search_is_for_agents_only(client, alice, ticket, public_article):
    client.force_login(alice)
    assert articles(client, ticket, "printer", **HTMX).status_code == 404


def test_composer_search_without_javascript_is_a_page(writer_client, ticket, public_article):
    response = articles(writer_client, ticket, "printer")
    html = response.content.decode()
    assert "<h1>Find an article to link</h1>" in html and "printer-offline" in html
    assert "HX-Request" in response["Vary"]


def test_composer_search_is_rate_limited(writer_client, ticket, public_article, settings):
    settings.KNOWLEDGE_SEARCH_RATE = (1, 60)
    assert articles(writer_client, ticket, "printer", **HTMX).status_code == 200
    response = articles(writer_client, ticket, "printer offline", **HTMX)
    assert response.status_code == 429 and "searched very often" in response.content.decode()


def test_ticket_page_has_the_knowledge_search_in_the_composer(writer_client, ticket):
    html = writer_client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert f'hx-get="{reverse("helpdesk:ticket-articles", args=[ticket.ref])}"' in html
    assert 'id="article-results"' in html and 'id="article-inserted"' in html


def test_composer_search_queries_are_pinned_and_flat(
    writer_client, ticket, public_article, internal_article, django_assert_max_num_queries
):
    with django_assert_max_num_queries(BUDGET) as few:
        articles(writer_client, ticket, "printer", **HTMX)
    for n in range(8):
        ArticleFactory(category=public_article.category, title_en=f"Printer jam {n}")
        ArticleFactory(category=internal_article.category, title_en=f"Printer secret {n}")
    with django_assert_max_num_queries(BUDGET) as many:
        articles(writer_client, ticket, "printer", **HTMX)
    assert len(few.captured_queries) == len(many.captured_queries)


# --- knowledge capture -----------------------------------------------------------------------


@pytest.fixture
def solved(alice, writer):
    ticket = TicketFactory(
        requester=alice,
        subject="Printer shows offline after the update",
        description="Since the update the printer is offline. Help!",
        category=CategoryFactory(slug="printing", name="Printing"),
        status=Status.RESOLVED,
    )
    MessageFactory(ticket=ticket, author=writer, body="Restart the spooler. Then print a test page.")
    MessageFactory(ticket=ticket, author=writer, body="Secret internal note", is_internal=True)
    return ticket


def capture_url(ticket):
    return reverse("helpdesk:ticket-capture", args=[ticket.ref])


def test_capture_form_is_prefilled_from_the_ticket(writer_client, solved, public_article):
    html = writer_client.get(capture_url(solved)).content.decode()
    assert 'value="Printer shows offline after the update"' in html
    assert 'value="Restart the spooler."' in html  # the first sentence of the answer
    assert "Since the update the printer is offline. Help!" in html
    assert "Then print a test page." in html
    assert "Secret internal note" not in html
    assert f'<option value="{public_article.category.pk}" selected>' in html


def test_capture_writes_an_article_in_review_with_the_ticket_as_source(writer_client, writer, solved, run_on_commit):
    response = writer_client.post(
        capture_url(solved),
        {"title": "Printer offline after an update", "summary": "Restart the spooler.", "body": "1. Restart it."},
        follow=True,
    )
    article = Article.objects.get()
    assert (article.status, article.source_reference, article.author) == (
        ArticleStatus.IN_REVIEW,
        solved.ref,
        writer,
    )
    assert article.title_en == "Printer offline after an update"
    assert response.redirect_chain[-1][0] == solved.get_absolute_url()
    html = response.content.decode()
    assert "is waiting for review" in html
    assert reverse("knowledge:manage-article-edit", args=[article.pk]) in html  # the timeline links it
    event = TicketEvent.objects.get(ticket=solved, kind=EventKind.ARTICLE_CAPTURED)
    assert event.data["article_id"] == article.pk and not event.is_public


def test_captured_article_event_is_never_shown_to_the_customer(client, alice, writer, solved):
    capture.capture_article(writer, solved, title="T", summary="S.", body="B")
    client.force_login(alice)
    html = client.get(solved.get_portal_url()).content.decode()
    assert "knowledge base article" not in html


def test_closed_tickets_can_be_captured_too(writer, alice):
    ticket = TicketFactory(requester=alice, status=Status.CLOSED)
    article = capture.capture_article(writer, ticket, title="T", summary="S.", body="B")
    assert article.status == ArticleStatus.IN_REVIEW


def test_capture_is_refused_for_an_open_ticket(writer_client, writer, ticket):
    assert writer_client.get(capture_url(ticket)).status_code == 404
    response = writer_client.post(capture_url(ticket), {"title": "T", "summary": "S.", "body": "B"})
    assert response.status_code == 404
    with pytest.raises(capture.NotAllowed):
        capture.capture_article(writer, ticket, title="T", summary="S.", body="B")
    assert Article.objects.count() == 0
    assert not TicketEvent.objects.filter(kind=EventKind.ARTICLE_CAPTURED).exists()


def test_capture_is_refused_without_the_permission(client, solved):
    plain = AgentFactory(username="nopermission")  # an agent without the knowledge permissions
    client.force_login(plain)
    assert client.get(capture_url(solved)).status_code == 403
    assert client.post(capture_url(solved), {"title": "T", "summary": "S.", "body": "B"}).status_code == 403
    with pytest.raises(capture.NotAllowed):
        capture.capture_article(plain, solved, title="T", summary="S.", body="B")
    assert Article.objects.count() == 0


def test_capture_is_not_found_for_customers(client, alice, solved):
    client.force_login(alice)
    assert client.get(capture_url(solved)).status_code == 404


def test_capture_needs_the_csrf_token(writer, solved):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(writer)
    assert strict.post(capture_url(solved), {"title": "T", "summary": "S.", "body": "B"}).status_code == 403
    assert Article.objects.count() == 0


def test_capture_with_blank_fields_changes_nothing(writer_client, solved):
    response = writer_client.post(capture_url(solved), {"title": " ", "summary": "", "body": ""})
    assert response.status_code == 200
    assert "Please give the article a title." in response.content.decode()
    assert Article.objects.count() == 0


def test_capture_link_shows_on_resolved_tickets_for_permitted_agents_only(client, writer, solved, ticket):
    client.force_login(writer)
    assert "Write an article from this ticket" in client.get(solved.get_absolute_url()).content.decode()
    assert "Write an article from this ticket" not in client.get(ticket.get_absolute_url()).content.decode()
    client.force_login(AgentFactory(username="plain"))
    assert "Write an article from this ticket" not in client.get(solved.get_absolute_url()).content.decode()


def test_hostile_ticket_text_is_escaped_in_the_capture_form(writer_client, alice, writer):
    ticket = TicketFactory(
        requester=alice,
        subject='"><script>alert(1)</script>',
        description="<img src=x onerror=alert(1)>",
        resolved=True,
    )
    html = writer_client.get(capture_url(ticket)).content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html


def test_no_category_is_suggested_when_none_matches(writer, alice):
    ticket = TicketFactory(requester=alice, category=CategoryFactory(slug="billing", name="Billing"), resolved=True)
    assert capture.capture_initial(ticket)["category"] is None
