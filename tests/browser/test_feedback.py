"""Feedback in the browser: a customer answers CSAT from the emailed link; the manager sees it."""

import re

import pytest
from playwright.sync_api import expect

from comms.models import OutboundMessage
from helpdesk import services
from helpdesk.models import Status
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_rates_two_from_the_email_and_the_manager_sees_it(live_server, page, login):
    agent = AgentFactory(username="agent1")
    AgentFactory(username="manager", manager=True)
    alice = CustomerFactory(username="alice", organization=OrganizationFactory(name="Acme"))
    ticket = TicketFactory(requester=alice, subject="Invoice total is wrong", assignee=agent)
    services.update_ticket(agent, ticket, status=Status.RESOLVED)  # commits: the invitation is written

    login("manager")
    page.goto(f"{live_server.url}/manager/feedback/")
    expect(page.locator('[data-figure="csat"]')).to_have_text("—")
    page.context.clear_cookies()

    # The one-click link for "2", read from the outbox row's body.
    body = OutboundMessage.objects.get(idempotency_key__startswith="survey:").body
    link = re.sub(r"^https?://[^/]+", "", re.search(r"2 · Dissatisfied: (\S+)", body).group(1))
    page.goto(live_server.url + link)
    expect(page.get_by_label("2 · Dissatisfied")).to_be_checked()
    page.get_by_label("Anything you would like to add? (optional)").fill("The invoice is still wrong.")
    page.get_by_role("button", name="Submit with these details").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    # The same link again is refused politely.
    response = page.goto(live_server.url + link)
    assert response.status == 410

    login("manager")
    page.goto(f"{live_server.url}/manager/reviews/")
    expect(page.locator("#review-queue")).to_contain_text(ticket.ref)
    expect(page.locator("#review-queue")).to_contain_text("The invoice is still wrong.")
    page.goto(f"{live_server.url}/manager/feedback/")
    expect(page.locator('[data-figure="csat"]')).to_have_text("2.00")
