"""Deflection: articles suggested on the portal's new-ticket form, and "This answered my question"."""

import pytest
from django.db import connection
from django.urls import reverse

from helpdesk.models import Ticket
from knowledge.models import Deflection, SearchLog
from tests.knowledge.factories import ArticleFactory, CategoryFactory

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db
# Session, user, (ticket,) the search, its log row; PostgreSQL adds a query for the highlighted snippets.
BUDGET = 6 + (connection.vendor == "postgresql")
NEW = reverse("portal:ticket-create")
SUGGEST = reverse("portal:ticket-suggestions")
DEFLECT = reverse("portal:ticket-deflect")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def public_article(db):
    category = CategoryFactory(slug="printing", name_en="Printing")
    return ArticleFactory(
        category=category,
        slug="printer-offline",
        title_en="Printer shows offline",
        summary_en="Restart the print spooler.",
        title_es="La impresora aparece desconectada",
        summary_es="Reinicia la cola de impresión.",
        body_es="Reinicia la cola de impresión y vuelve a intentarlo.",
    )


@pytest.fixture
def internal_article(db):
    category = CategoryFactory(slug="runbooks", name_en="Runbooks", agents=True)
    return ArticleFactory(category=category, slug="printer-firmware-hack", title_en="Printer offline firmware override")


def suggestions(client, subject, **extra):
    return client.get(SUGGEST, {"subject": subject, **extra}, headers=HTMX)


def test_typing_a_subject_suggests_visible_articles(alice_client, public_article):
    response = suggestions(alice_client, "printer offline")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-suggestions"')
    assert "Printer shows offline" in html.replace("<mark>", "").replace("</mark>", "")
    assert public_article.get_absolute_url() in html
    assert 'value="printer-offline"' in html and 'form="deflect-form"' in html
    assert response["Vary"].count("HX-Request") == 1


def test_suggestions_never_show_agent_only_articles(alice_client, public_article, internal_article):
    html = suggestions(alice_client, "printer offline").content.decode()
    assert "printer-offline" in html
    assert "firmware" not in html and internal_article.slug not in html


def test_suggestions_never_show_drafts(alice_client, public_article):
    ArticleFactory(category=public_article.category, slug="printer-draft", title_en="Printer offline draft", draft=True)
    html = suggestions(alice_client, "printer offline").content.decode()
    assert "printer-draft" not in html


def test_suggestions_are_in_the_customers_language(client, alice, public_article):
    alice.language = "es"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    html = suggestions(client, "impresora desconectada").content.decode()
    assert "printer-offline" in html
    assert "impresora" in html.lower()


def test_the_description_is_searched_while_there_is_no_subject(alice_client, public_article):
    html = suggestions(alice_client, "", description="my printer is offline").content.decode()
    assert "printer-offline" in html


def test_nothing_typed_means_no_suggestions_and_no_search_logged(alice_client, public_article):
    html = suggestions(alice_client, "   ").content.decode()
    assert "hidden" in html and "printer-offline" not in html
    assert SearchLog.objects.count() == 0


def test_no_match_says_so(alice_client, public_article):
    html = suggestions(alice_client, "teleporter").content.decode()
    assert "No article matches yet" in html


def test_suggestions_without_javascript_show_the_form_again_with_what_was_typed(alice_client, public_article):
    response = alice_client.get(SUGGEST, {"subject": "printer offline", "description": "Since Monday", "priority": 2})
    html = response.content.decode()
    assert "<h1>Open a ticket</h1>" in html
    assert 'value="printer offline"' in html and "Since Monday" in html
    assert "printer-offline" in html


def test_suggestions_are_rate_limited_like_search(alice_client, settings, public_article):
    settings.KNOWLEDGE_SEARCH_RATE = (2, 60)
    assert suggestions(alice_client, "printer").status_code == 200
    assert suggestions(alice_client, "printer off").status_code == 200
    response = suggestions(alice_client, "printer offline")
    assert response.status_code == 429
    assert "searched very often" in response.content.decode()


def test_suggestions_are_for_customers_only(client, agent, public_article):
    assert client.get(SUGGEST, {"subject": "printer"}).status_code == 302  # to the login page
    client.force_login(agent)
    assert suggestions(client, "printer").status_code == 404


def test_hostile_subject_is_shown_as_text(alice_client, public_article):
    html = suggestions(alice_client, '<script>alert(1)</script> printer"><b>').content.decode()
    assert "<script>alert(1)</script>" not in html and '"><b>' not in html


def test_suggestion_fragment_queries_are_pinned_and_flat(alice_client, public_article, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET) as few:
        suggestions(alice_client, "printer offline")
    for n in range(20):
        ArticleFactory(category=public_article.category, title_en=f"Printer offline case {n}")
    with django_assert_max_num_queries(BUDGET) as many:
        suggestions(alice_client, "printer offline")
    assert len(few.captured_queries) == len(many.captured_queries)


# --- "This answered my question" ----------------------------------------------------------


def test_answered_records_a_deflection_and_opens_no_ticket(alice_client, alice, public_article):
    response = alice_client.post(DEFLECT, {"article": "printer-offline", "query": "printer offline"}, follow=True)
    assert Ticket.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.user_id, deflection.query) == (public_article, alice.pk, "printer offline")
    assert response.redirect_chain[-1][0] == reverse("portal:ticket-deflected", args=["printer-offline"])
    html = response.content.decode()
    assert "no ticket was opened" in html
    assert reverse("portal:ticket-list") in html


def test_answering_twice_in_a_row_counts_once(alice_client, public_article):
    for _ in range(2):
        alice_client.post(DEFLECT, {"article": "printer-offline", "query": "printer"})
    assert Deflection.objects.count() == 1


def test_asking_for_suggestions_without_javascript_keeps_the_csrf_token_out_of_the_url(alice_client, public_article):
    response = alice_client.post(
        SUGGEST,
        {"csrfmiddlewaretoken": "secret-token", "subject": "printer offline", "description": "x" * 5000, "priority": 2},
    )
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith(SUGGEST + "?") and "secret-token" not in target and "csrf" not in target
    assert "subject=printer+offline" in target and "x" * 2001 not in target
    assert "printer-offline" in alice_client.get(target).content.decode()


def test_answered_with_the_whole_ticket_form_still_opens_no_ticket(alice_client, public_article):
    """The no-JavaScript page posts the deflection from inside the ticket page: the ticket's fields come along."""
    alice_client.post(
        DEFLECT, {"article": "printer-offline", "query": "printer", "subject": "Printer", "description": "Offline"}
    )
    assert Ticket.objects.count() == 0 and Deflection.objects.count() == 1


def test_answered_with_an_article_the_customer_cannot_read_is_404(alice_client, internal_article):
    response = alice_client.post(DEFLECT, {"article": internal_article.slug, "query": "printer"})
    assert response.status_code == 404
    assert Deflection.objects.count() == 0


def test_answered_with_an_unknown_article_is_404(alice_client, public_article):
    assert alice_client.post(DEFLECT, {"article": "no-such-article"}).status_code == 404
    assert Deflection.objects.count() == 0


def test_answered_is_post_only(alice_client, public_article):
    assert alice_client.get(DEFLECT, {"article": "printer-offline"}).status_code == 405
    assert Deflection.objects.count() == 0


def test_answered_needs_the_csrf_token(client, alice, public_article):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(DEFLECT, {"article": "printer-offline"}).status_code == 403
    assert Deflection.objects.count() == 0


def test_answered_without_an_article_changes_nothing(alice_client, public_article):
    response = alice_client.post(DEFLECT, {"query": "printer"}, follow=True)
    assert response.redirect_chain[-1][0] == NEW
    assert "Please choose the article" in response.content.decode()
    assert Deflection.objects.count() == 0


def test_deflections_are_the_customers_own(client, alice, public_article):
    colleague = CustomerFactory(organization=alice.organization)
    client.force_login(colleague)
    client.post(DEFLECT, {"article": "printer-offline", "query": "printer"})
    assert list(Deflection.objects.values_list("user_id", flat=True)) == [colleague.pk]


def test_the_confirmation_page_of_an_internal_article_is_404(alice_client, internal_article):
    assert alice_client.get(reverse("portal:ticket-deflected", args=[internal_article.slug])).status_code == 404


def test_new_ticket_form_offers_suggestions_and_a_search_without_javascript(alice_client):
    html = alice_client.get(NEW).content.decode()
    assert f'hx-get="{SUGGEST}"' in html and 'hx-trigger="keyup changed delay:300ms"' in html
    assert f'formaction="{SUGGEST}"' in html and "Search the knowledge base" in html
    assert 'aria-live="polite"' in html and 'id="suggestions-indicator"' in html
    assert f'id="deflect-form" method="post" action="{DEFLECT}"' in html


def test_opening_a_ticket_still_works(alice_client, public_article):
    response = alice_client.post(NEW, {"subject": "Printer offline", "description": "Still broken.", "priority": 3})
    assert response.status_code == 302
    assert Ticket.objects.count() == 1 and Deflection.objects.count() == 0


# --- what editors and managers see ----------------------------------------------------------


def test_content_gaps_count_recent_deflections_and_top_articles(client, alice, public_article):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.models import Role
    from helpdesk.services import set_user_role
    from knowledge.services import record_deflection

    from .factories import AgentFactory

    call_command("setup_roles", stdout=StringIO())
    editor = AgentFactory(username="editor")
    set_user_role(None, editor, role=Role.AGENT)
    other = ArticleFactory(category=public_article.category, title_en="Toner is empty")
    for _ in range(3):
        record_deflection(public_article, user=CustomerFactory(organization=alice.organization), query="printer")
    record_deflection(other, user=alice, query="toner")
    old = record_deflection(other, user=CustomerFactory(organization=alice.organization), query="toner")
    Deflection.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=45))
    client.force_login(editor)
    html = client.get(reverse("knowledge:manage-content-gaps")).content.decode()
    assert '<strong class="kb-figure">4</strong>' in html
    assert html.index("Printer shows offline") < html.index("Toner is empty")
