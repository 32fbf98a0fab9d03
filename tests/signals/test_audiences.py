"""Each internal audience of a signal type does what its flag says, on and off (the bot context: test_api)."""

import pytest

from comms.models import OutboundMessage
from incidents.journey.engine import record_signal
from tests.helpdesk.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def esim_team(types):
    team = TeamFactory(name="eSIM")
    queue = types["high"].queue
    queue.team = team
    queue.save()
    return team


def agent_alerts():
    return OutboundMessage.objects.filter(idempotency_key__contains=":agents:")


def test_alerting_agents_puts_the_ticket_in_the_signals_queue_and_emails_its_team(types, alice, esim_team):
    inside = AgentFactory(username="esim1", team=esim_team)
    AgentFactory(username="elsewhere", team=TeamFactory(name="Billing"))
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    ticket = event.case.ticket
    assert ticket.queue.name == "eSIM specialists"
    alert = agent_alerts().get()
    assert alert.channel == "email" and alert.recipient == inside.email
    assert ticket.ref in alert.subject and "New proactive case" in alert.body
    record_signal(None, signal_type=types["high"], customer=alice, key="b")
    assert agent_alerts().count() == 1  # once per case


def test_an_assigned_proactive_ticket_alerts_its_assignee_only(types, alice, esim_team):
    from helpdesk.models import AssignmentMode

    queue = types["high"].queue
    queue.assignment = AssignmentMode.LEAST_LOADED
    queue.save()
    chosen = AgentFactory(username="esim1", team=esim_team)
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    assert event.case.ticket.assignee == chosen
    assert list(agent_alerts().values_list("recipient", flat=True)) == [chosen.email]


def test_a_signal_that_does_not_alert_agents_keeps_its_ticket_out_of_the_queue_and_tells_nobody(
    types, alice, esim_team
):
    AgentFactory(username="esim1", team=esim_team)
    types["high"].alert_agents = False
    types["high"].save()
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    assert event.case.ticket.queue_id != types["high"].queue_id
    assert not agent_alerts().exists()
    assert {t.name for t in event.case.ticket.tags.all()} == {"proactive", "sig-001"}  # still the record


@pytest.mark.parametrize(("flag", "chats"), [(True, 1), (False, 0)])
def test_the_engineering_flag_sends_a_high_signal_to_the_chat_webhook_or_not(types, alice, flag, chats):
    types["high"].alert_engineering = flag
    types["high"].save()
    record_signal(None, signal_type=types["high"], customer=alice, key="a")
    record_signal(None, signal_type=types["high"], customer=alice, key="b")
    assert OutboundMessage.objects.filter(channel="chat", recipient="engineering").count() == chats


def test_critical_signals_reach_engineering_whatever_the_flag(types, alice):
    assert types["critical"].alert_engineering is False
    record_signal(None, signal_type=types["critical"], customer=alice, key="a")
    assert OutboundMessage.objects.filter(channel="chat").count() == 1
