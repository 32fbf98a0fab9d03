"""The flows people click through, in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    acme = OrganizationFactory(name="Acme")
    return {
        "agent": AgentFactory(username="agent1"),
        "alice": CustomerFactory(username="alice", organization=acme, first_name="Alice"),
        "bob": CustomerFactory(username="bob", organization=OrganizationFactory(name="Globex")),
    }


def test_agent_replies_customer_reads_and_other_customer_cannot(live_server, page, login, people):
    wanted = TicketFactory(requester=people["alice"], subject="Printer on fire", priority=1)
    TicketFactory(requester=people["alice"], subject="Coffee machine empty", priority=4)

    login("agent1")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    expect(page.get_by_role("link", name="Coffee machine empty")).to_be_visible()

    # Filtering swaps the list in place and records the filter in the URL.
    page.get_by_label("Priority", exact=True).first.select_option("1")
    expect(page.get_by_role("link", name="Coffee machine empty")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"priority=1"))

    page.get_by_role("link", name="Printer on fire").click()
    expect(page.get_by_role("heading", name=re.compile("Printer on fire"))).to_be_visible()
    page.get_by_label("Message").fill("We are sending a technician **today**.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#ticket-timeline")).to_contain_text("We are sending a technician today.")
    expect(page.get_by_label("Message")).to_have_value("")

    # The customer sees the reply on the portal.
    page.context.clear_cookies()
    login("alice")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.get_by_role("link", name="Printer on fire", exact=True).click()  # not the inbox notice
    expect(page.locator("#portal-conversation")).to_contain_text("We are sending a technician today.")

    # Bob, of another organization, gets a 404 for the same address.
    page.context.clear_cookies()
    login("bob")
    response = page.goto(f"{live_server.url}/portal/tickets/{wanted.ref}/")
    assert response.status == 404
    expect(page.get_by_text("Printer on fire")).to_have_count(0)


def test_customer_opens_a_ticket_from_the_portal(live_server, page, login, people):
    login("alice")
    page.get_by_role("link", name="Open a ticket").first.click()
    page.get_by_label("Subject").fill("VPN drops every hour")
    page.get_by_label("Describe the problem").fill("Since Monday, every hour on the hour.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("opened. We have emailed you a confirmation.")
    expect(page.get_by_role("heading", name=re.compile("VPN drops every hour"))).to_be_visible()


def test_agent_bulk_assigns_selected_tickets(live_server, page, login, people):
    first = TicketFactory(requester=people["alice"], subject="First of two")
    TicketFactory(requester=people["alice"], subject="Second of two")
    login("agent1")
    page.get_by_label(f"Select {first.ref}").check()
    page.get_by_label("Assign to").fill("agent1")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#messages")).to_contain_text("1 ticket updated.")
    first.refresh_from_db()
    assert first.assignee == people["agent"]
