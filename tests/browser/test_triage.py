"""Triage in the browser: a Spanish payment problem reaches a Spanish-speaking billing agent, with its reasons."""

import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import Queue, Ticket
from helpdesk.sla_defaults import install_defaults
from helpdesk.triage.defaults import install_default_triage
from tests.helpdesk.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    OrganizationFactory,
    QueueFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    install_defaults()
    categories = {
        slug: CategoryFactory(slug=slug, name=name)
        for slug, name in [("billing", "Billing"), ("security", "Security"), ("connectivity", "Connectivity")]
    }
    frontline = TeamFactory(name="Frontline")
    QueueFactory(name="General", team=frontline)
    QueueFactory(name="Billing", team=frontline)
    install_default_triage()
    # High priority goes straight to L2 (the default escalation rules), so the billing agents are L2.
    english = AgentFactory(username="agent1", team=frontline, languages=["en"], support_level=2)
    spanish = AgentFactory(
        username="lucia", first_name="Lucía", last_name="Pérez", team=frontline, languages=["es", "en"], support_level=2
    )
    for agent in (english, spanish):
        agent.skills.add(categories["billing"])
    standard = OrganizationFactory(name="Globex")
    return {
        "english": english,
        "spanish": spanish,
        # Her profile says English: the ticket's language comes from what she writes.
        "carmen": CustomerFactory(username="carmen", first_name="Carmen", organization=standard, language="en"),
    }


def test_spanish_failed_payment_reaches_a_spanish_speaking_billing_agent(live_server, page, login, people):
    login("carmen")
    page.get_by_role("link", name="Open a ticket").first.click()
    page.get_by_label("Subject").fill("El pago ha fallado")
    page.get_by_label("Describe the problem").fill(
        "Hola, he intentado pagar la factura de este mes con mi tarjeta y el pago ha fallado dos veces. "
        "¿Pueden ayudarnos?"
    )
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("opened")

    ticket = Ticket.objects.select_related("queue", "assignee").get()
    assert ticket.queue == Queue.objects.get(name="Billing")
    assert (ticket.priority, ticket.language, ticket.assignee) == (2, "es", people["spanish"])

    page.context.clear_cookies()
    login("lucia")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.ref}/")
    sidebar = page.locator("#ticket-sidebar")
    expect(sidebar).to_contain_text("Billing")
    expect(sidebar).to_contain_text("High")
    expect(sidebar).to_contain_text("Spanish")
    expect(sidebar).to_contain_text("Lucía Pérez")
    expect(sidebar).to_contain_text("New customer")  # her first ticket: the customer type, beside the flags
    # Why it reached her: the triage box and the timeline say so.
    expect(page.get_by_role("heading", name="Why this ticket is here")).to_be_visible()
    timeline = page.locator("#ticket-timeline")
    expect(timeline).to_contain_text("triage: priority High — rule “Payment failed” matched")
    expect(timeline).to_contain_text("triage: language Spanish — detected from the text")
    expect(timeline).to_contain_text(
        re.compile(r"assignee from nobody to Lucía Pérez — speaks Spanish, skilled in Billing")
    )

    # Going away is one keyboard press in the header.
    toggle = page.get_by_role("button", name="Available")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Available")).to_have_attribute("aria-pressed", "false")
    people["spanish"].refresh_from_db()
    assert not people["spanish"].is_available
