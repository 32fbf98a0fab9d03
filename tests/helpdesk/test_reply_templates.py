"""Reply templates on the ticket page: the fitting ones, in the customer's language, into the composer."""

import pytest
from django.urls import reverse

from comms.defaults import install_default_templates
from comms.models import MessageTemplate
from helpdesk import services

from .factories import CategoryFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def templates(db):
    install_default_templates()
    MessageTemplate.objects.create(
        kind="reply",
        name="Refund steps",
        slug="refund-steps",
        category_slug="billing",
        subject_en="Refund",
        body_en="Hello {{ customer_name }}, here is how refunds work.",
    )


def spanish_ticket(alice, category=None):
    alice.language = "es"
    alice.save(update_fields=["language"])
    return services.create_ticket(
        alice, requester=alice, subject="No puedo exportar", description="Se queda cargando.", category=category
    )


def test_the_list_offers_templates_of_the_ticket_category_and_general_ones(templates, agent_client, alice):
    billing = CategoryFactory(name="Billing", slug="billing")
    plain = spanish_ticket(alice)
    billed = spanish_ticket(alice, category=billing)
    url = reverse("helpdesk:ticket-templates", args=[plain.ref])
    assert "Refund steps" not in agent_client.get(url, **HX).content.decode()
    html = agent_client.get(reverse("helpdesk:ticket-templates", args=[billed.ref]), **HX).content.decode()
    assert "Refund steps" in html and "Ask for more details" in html
    searched = agent_client.get(reverse("helpdesk:ticket-templates", args=[billed.ref]), {"q": "refund"}, **HX)
    assert "Refund steps" in searched.content.decode() and "Ask for more details" not in searched.content.decode()


def test_a_template_lands_in_the_composer_in_the_customers_language_after_the_draft(templates, agent_client, alice):
    ticket = spanish_ticket(alice)
    url = reverse("helpdesk:ticket-template-use", args=[ticket.ref, "need-more-details"])
    html = agent_client.get(url, {"body": "Gracias por escribir."}, **HX).content.decode()
    assert html.lstrip().startswith('<div id="composer-body">')
    assert "Gracias por escribir.\n\nHola" in html and alice.display_name in html
    assert "English text was inserted" not in html


def test_a_missing_translation_is_announced_before_sending(templates, agent_client, alice):
    alice.language = "ja"
    alice.save(update_fields=["language"])
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    url = reverse("helpdesk:ticket-template-use", args=[ticket.ref, "need-more-details"])
    html = agent_client.get(url, **HX).content.decode()
    assert "This template has no Japanese text yet: the English text was inserted." in html
    assert "To find the cause quickly" in html


def test_without_javascript_the_template_fills_the_composer_of_the_page(templates, agent_client, alice):
    ticket = spanish_ticket(alice)
    response = agent_client.get(reverse("helpdesk:ticket-template-use", args=[ticket.ref, "need-more-details"]))
    assert response.status_code == 302
    html = agent_client.get(response["Location"]).content.decode()
    assert "Para encontrar la causa" in html


def test_customer_text_in_a_template_value_stays_text(templates, agent_client, alice):
    alice.first_name = "<script>alert(1)</script>"
    alice.save(update_fields=["first_name"])
    ticket = spanish_ticket(alice)
    url = reverse("helpdesk:ticket-template-use", args=[ticket.ref, "need-more-details"])
    html = agent_client.get(url, **HX).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_customers_cannot_reach_the_templates(templates, client, alice):
    ticket = spanish_ticket(alice)
    client.force_login(alice)
    assert client.get(reverse("helpdesk:ticket-templates", args=[ticket.ref])).status_code == 404


def test_the_acknowledgement_email_uses_the_admins_template_in_the_customers_language(templates, alice, run_on_commit):
    from comms.models import OutboundMessage

    with run_on_commit():
        ticket = spanish_ticket(alice)
    sent = OutboundMessage.objects.get(idempotency_key=f"ticket:{ticket.pk}:created:user:{alice.pk}")
    assert sent.subject == f"[{ticket.ref}] Hemos recibido su solicitud: No puedo exportar"
    assert f"/portal/tickets/{ticket.ref}/" in sent.body


def test_without_the_template_the_built_in_acknowledgement_is_sent(db, alice, run_on_commit):
    from comms.models import OutboundMessage

    with run_on_commit():
        ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    assert OutboundMessage.objects.get(reference=ticket.ref, channel="email").subject.startswith(f"[{ticket.ref}]")
