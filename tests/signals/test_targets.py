"""Internal response and customer outreach targets: timed per case, alerted once when missed, reported per severity."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from helpdesk.services import reply_to_ticket, update_ticket
from incidents.journey.engine import record_signal
from incidents.journey.ladder import run_signal_sweep
from incidents.journey.models import ProactiveCase
from incidents.journey.reports import signal_figures

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def timed(types):
    """High: act within 2 h, tell the customer within 4 h (seed 003)."""
    high = types["high"]
    high.internal_response_minutes, high.outreach_minutes = 120, 240
    high.save()
    return high


def sweep(at):
    with time_machine.travel(at, tick=False):
        first = run_signal_sweep()
        second = run_signal_sweep()
    assert not any(second["targets"].values())  # a second run finds nothing left to alert
    return first["targets"]


def missed_alerts(target):
    return OutboundMessage.objects.filter(idempotency_key__contains=f":missed-{target}")


def test_a_case_records_its_targets_from_detection(timed, alice):
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=timed, customer=alice, key="a")
    case = ProactiveCase.objects.get()
    assert case.internal_target_at == NOW + timedelta(hours=2)
    assert case.outreach_target_at == NOW + timedelta(hours=4)


def test_the_first_handling_by_a_person_is_stamped_and_the_engine_does_not_count(timed, alice, agent):
    with time_machine.travel(NOW, tick=False):
        event, _ = record_signal(None, signal_type=timed, customer=alice, key="a")
    sweep(NOW + timedelta(minutes=11))  # the engine's note and outreach: not a person handling it
    assert ProactiveCase.objects.get().first_handled_at is None
    with time_machine.travel(NOW + timedelta(minutes=50), tick=False):
        update_ticket(agent, event.case.ticket, assignee=agent)
    with time_machine.travel(NOW + timedelta(minutes=70), tick=False):
        reply_to_ticket(agent, event.case.ticket, body="On it", internal=True)
    sweep(NOW + timedelta(minutes=80))
    assert ProactiveCase.objects.get().first_handled_at == NOW + timedelta(minutes=50)
    assert sweep(NOW + timedelta(hours=2, minutes=1))["internal"] == 0
    assert not missed_alerts("internal").exists()


def test_a_missed_internal_response_target_alerts_chat_and_agents_once(timed, alice, agent):
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=timed, customer=alice, key="a")
    assert sweep(NOW + timedelta(hours=1, minutes=59))["internal"] == 0
    assert sweep(NOW + timedelta(hours=2, minutes=1))["internal"] == 1
    alerts = missed_alerts("internal")
    assert sorted(alerts.values_list("channel", flat=True)) == ["chat", "email"]  # engineering chat + the agent
    assert alerts.get(channel="email").recipient == agent.email
    assert "Internal response target missed" in alerts.get(channel="chat").body
    case = ProactiveCase.objects.get()
    assert case.internal_missed_alerted_at == NOW + timedelta(hours=2, minutes=1)
    sweep(NOW + timedelta(hours=3))
    assert missed_alerts("internal").count() == 2


def test_a_missed_outreach_target_alerts_once_and_a_met_one_does_not(types, alice, bob):
    medium = types["medium"]
    medium.outreach_minutes = 5  # tighter than the 10-minute merge window: the outreach comes late
    medium.save()
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=medium, customer=alice, key="a")
        record_signal(None, signal_type=types["critical"], customer=bob, key="b")  # no outreach target
    assert sweep(NOW + timedelta(minutes=6))["outreach"] == 1
    assert missed_alerts("outreach").filter(channel="chat").count() == 1
    assert ProactiveCase.objects.get(customer=alice).outreach_missed_alerted_at is not None
    assert ProactiveCase.objects.get(customer=bob).outreach_missed_alerted_at is None


def test_the_report_shows_met_and_missed_per_severity(timed, types, alice, bob, agent, manager, client):
    with time_machine.travel(NOW, tick=False):
        handled, _ = record_signal(None, signal_type=timed, customer=alice, key="a")
        record_signal(None, signal_type=timed, customer=bob, key="b")
    sweep(NOW + timedelta(minutes=11))  # both reached after the merge window, well within 4 h
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        update_ticket(agent, handled.case.ticket, assignee=agent)
    sweep(NOW + timedelta(hours=5))  # alice: handled in time; bob: by nobody
    figures = signal_figures(now=NOW + timedelta(hours=5))
    (high,) = figures["targets"]
    assert high["cases"] == 2
    assert high["internal"] == {"met": 1, "missed": 1, "pending": 0, "total": 2}
    assert high["outreach"] == {"met": 2, "missed": 0, "pending": 0, "total": 2}
    client.force_login(manager)
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        page = client.get("/manager/signals/").content.decode()
    assert 'id="signal-targets"' in page and "Internal response missed" in page
