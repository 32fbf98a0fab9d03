"""Browser test: an agent works a proactive ticket — the signal panel loads, the draft fills the composer."""

import pytest
from playwright.sync_api import expect

from comms.defaults import install_default_channel_rules, install_default_templates
from incidents.journey.engine import record_signal, write_case_notes
from incidents.journey.models import SignalSeverity, SignalType
from tests.helpdesk.factories import AgentFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sees_the_signal_history_and_sends_the_drafted_message(live_server, page, login):
    install_default_templates()
    install_default_channel_rules()
    AgentFactory(username="agent1")
    alice = CustomerFactory(username="alice", first_name="Alice")
    signal_type = SignalType.objects.create(code="SIG-002", name="eSIM activation failed", severity=SignalSeverity.HIGH)
    event, _ = record_signal(None, signal_type=signal_type, customer=alice, key="order-981")
    write_case_notes()
    ref = event.case.ticket.ref

    login("agent1")
    page.goto(f"{live_server.url}/agent/?view=proactive")
    page.get_by_role("link", name="[Proactive] eSIM activation failed").first.click()
    panel = page.locator(".journey-panel")
    expect(panel).to_contain_text("SIG-002")
    expect(panel).to_contain_text("1 touch")
    panel.get_by_role("link", name="Put the drafted message in the composer").click()
    composer = page.locator("#ticket-composer textarea[name=body]")
    expect(composer).to_contain_text("We spotted this before you had to tell us")
    page.locator("#ticket-composer").get_by_role("button", name="Send").click()
    expect(page.locator("#ticket-timeline")).to_contain_text("We spotted this before you had to tell us")
    assert ref in page.url
