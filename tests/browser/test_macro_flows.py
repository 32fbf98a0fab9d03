"""Macros and message templates in Debian's Chromium: apply and undo, and the admin's placeholder check."""

import re

import pytest
from playwright.sync_api import expect

from comms.models import MessageTemplate
from helpdesk import services
from helpdesk.macro_defaults import install_default_macros
from helpdesk.models import Message, Status
from tests.helpdesk.factories import AgentFactory, CustomerFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    acme = OrganizationFactory(name="Acme")
    return {
        "agent": AgentFactory(username="agent1"),
        "alice": CustomerFactory(username="alice", organization=acme, first_name="Alice", language="es"),
    }


def test_agent_applies_a_macro_and_undoes_it(live_server, page, login, people, settings):
    settings.FIRSTLINE_UNDO_SECONDS = 60  # a slow machine must not run out of time mid-test
    install_default_macros()
    alice = people["alice"]
    ticket = services.create_ticket(alice, requester=alice, subject="No puedo exportar", description="Se cuelga.")

    login("agent1")
    page.goto(f"{live_server.url}/agent/tickets/{ticket.ref}/")
    page.get_by_text("Apply a macro").click()
    page.get_by_role("button", name="Ask for details", exact=True).click()

    undo_bar = page.locator("#ticket-undo")
    expect(undo_bar).to_contain_text("Applied “Ask for details”")
    undo = undo_bar.get_by_role("button", name=re.compile(r"^Undo \(\d+\s+s\)$"))
    expect(undo).to_be_visible()
    sidebar = page.locator("#ticket-sidebar")
    expect(sidebar).to_contain_text("Waiting on customer")
    expect(sidebar).to_contain_text("needs-info")
    expect(page.locator("#ticket-timeline")).to_contain_text("Held: not sent yet")

    undo.click()
    expect(page.locator("#messages")).to_contain_text("Undone: “Ask for details”. Nothing was sent.")
    expect(sidebar).to_contain_text("New")
    expect(sidebar).not_to_contain_text("needs-info")
    expect(page.locator("#ticket-timeline")).not_to_contain_text("Para encontrar la causa")
    expect(undo_bar.get_by_role("button")).to_have_count(0)

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.assignee_id is None and not ticket.tags.exists()
    assert not Message.objects.filter(ticket=ticket, held_until__isnull=False).exists()


def test_admin_cannot_save_a_template_with_a_misspelt_placeholder(live_server, page, login, django_user_model):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "demo", role="admin")
    login("admin")
    page.goto(f"{live_server.url}/admin/comms/messagetemplate/add/")
    page.locator("#id_kind").select_option("reply")
    page.locator("#id_name").fill("Ask nicely")
    page.locator("#id_subject_en").fill("[{{ ticket_ref }}] A question")
    page.locator("#id_body_en").fill("Hello {{ custmer_name }}, could you tell us more?")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".errorlist").first).to_contain_text("“{{ custmer_name }}” is not a placeholder")
    expect(page.locator("#id_body_en")).to_have_value("Hello {{ custmer_name }}, could you tell us more?")
    assert not MessageTemplate.objects.filter(name="Ask nicely").exists()
