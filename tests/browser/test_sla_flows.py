"""SLA and escalation flows in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from helpdesk import services
from helpdesk.sla_defaults import install_defaults
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    install_defaults()
    acme = OrganizationFactory(name="Acme")
    return {
        "agent": AgentFactory(username="agent1", support_level=1),
        "l2": AgentFactory(username="agent2", support_level=2),
        "alice": CustomerFactory(username="alice", organization=acme, first_name="Alice"),
    }


def test_agent_escalates_with_a_handoff_and_l2_sees_the_package(live_server, page, login, people):
    alice = people["alice"]
    ticket = services.create_ticket(
        alice, requester=alice, subject="Exports hang", description="The export spins forever."
    )

    login("agent1")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.ref}/")
    page.get_by_text("Escalate with a handoff").click()
    form = page.locator("#ticket-escalation form")
    form.get_by_label("Summary").fill("Exports hang for all of Acme")
    form.get_by_label("Steps already tried").fill("Cleared the cache; tried another browser")
    form.get_by_label("Proposed next step").fill("Check the export worker's queue")
    form.get_by_role("button", name="Escalate").click()
    # Stopped with a clear message; nothing typed is lost.
    expect(page.locator("#ticket-escalation")).to_contain_text("Customer impact is required for a handoff.")
    form = page.locator("#ticket-escalation form")
    expect(form.get_by_label("Summary")).to_have_value("Exports hang for all of Acme")
    form.get_by_label("Customer impact").fill("Acme cannot send invoices")
    form.get_by_role("button", name="Escalate").click()
    expect(page.locator("#messages")).to_contain_text("Escalated to L2")
    expect(page.locator("#ticket-sidebar")).to_contain_text("L2")

    page.context.clear_cookies()
    login("agent2")
    page.goto(f"{live_server.url}/agent/")
    expect(page.get_by_role("row", name=re.compile("Exports hang"))).to_contain_text("Handoff")
    page.get_by_role("link", name="Exports hang").click()
    package = page.locator(".handoff")
    expect(package).to_contain_text("Handoff from L1 · Frontline to L2 · Technical")
    expect(package).to_contain_text("Acme cannot send invoices")
    expect(package).to_contain_text("Check the export worker's queue")
    page.get_by_role("button", name="Acknowledge handoff").click()
    expect(page.locator("#messages")).to_contain_text("Handoff acknowledged.")
    expect(page.locator(".handoff")).to_have_count(0)


def test_manager_filters_the_dashboard_by_tier_and_opens_a_breaching_ticket(live_server, page, login, people):
    from helpdesk.models import Organization, Priority, ServiceTier

    acme = Organization.objects.get(name="Acme")
    acme.tier = ServiceTier.objects.get(name="Enterprise")
    acme.save()
    globex = OrganizationFactory(name="Globex", tier=ServiceTier.objects.get(name="Essential"))
    bob = CustomerFactory(username="bob", organization=globex)
    alice = people["alice"]
    # Critical tickets owe a first reply within 15 minutes, around the clock: both are breaching soon.
    mine = services.create_ticket(
        alice, requester=alice, subject="Checkout down for Acme", description="500s", priority=Priority.CRITICAL
    )
    services.create_ticket(
        bob, requester=bob, subject="Globex cannot log in", description="401s", priority=Priority.CRITICAL
    )
    AgentFactory(username="manager", manager=True)

    login("manager")
    expect(page).to_have_url(re.compile(r"/manager/"))
    soon = page.get_by_role("region", name="Breaching within the hour")
    expect(soon).to_contain_text("Globex cannot log in")
    page.get_by_label("Tier", exact=True).select_option(label="Enterprise")
    expect(page).to_have_url(re.compile(r"tier="))
    expect(soon).not_to_contain_text("Globex cannot log in")
    expect(soon).to_contain_text("Checkout down for Acme")
    soon.get_by_role("link", name=mine.ref).click()
    expect(page.get_by_role("heading", name=re.compile("Checkout down for Acme"))).to_be_visible()
    expect(page.locator(".sla-panel")).to_contain_text("First reply due in")


def test_agent_sends_a_spanish_template_reply_in_one_click(live_server, page, login, people):
    from comms.defaults import install_default_templates

    install_default_templates()
    alice = people["alice"]
    alice.language = "es"
    alice.save(update_fields=["language"])
    ticket = services.create_ticket(
        alice, requester=alice, subject="No puedo exportar", description="Se queda cargando."
    )

    login("agent1")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.ref}/")
    page.get_by_text("Insert a reply template").click()
    page.get_by_role("link", name="Ask for more details").click()
    message = page.get_by_label("Message")
    expect(message).to_have_value(re.compile("Para encontrar la causa rápido"))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#ticket-timeline")).to_contain_text("Para encontrar la causa rápido")

    page.context.clear_cookies()
    login("alice")
    page.goto(f"{live_server.url}/portal/tickets/{ticket.ref}/")
    expect(page.locator("#portal-conversation")).to_contain_text("Para encontrar la causa rápido")
