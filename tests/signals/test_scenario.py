"""A scenario day from seed 003 on a controlled clock: 12 customers stuck in the same state.

08:00 the integration reports the same high signal for 12 customers (eSIM waiting);
08:11 the minute sweep: one message per customer, one systemic alert (chat + managers);
12:00 still unresolved: engineering alerted per case (the ladder's 4 h step);
next day 08:12: no answer 24 h after our message -> follow-up, except the two who answered;
day after 08:00: unresolved 48 h -> escalated to L2. Every sweep runs twice: the second changes nothing.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from helpdesk.models import EventKind, Handoff, Message, TicketEvent
from helpdesk.services import reply_to_ticket
from incidents.journey.engine import record_signal
from incidents.journey.ladder import run_signal_sweep
from incidents.journey.models import ProactiveCase, SignalSeverity, SystemicAlert
from tests.helpdesk.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def sweep_twice(at):
    with time_machine.travel(at, tick=False):
        first = run_signal_sweep()
        second = run_signal_sweep()
    assert second["outreach"] == 0 and second["systemic"] == 0
    assert not any(second["ladder"].values())
    return first


@pytest.fixture
def stuck(types, tier, manager):
    org = OrganizationFactory(name="Initech", tier=tier)
    customers = [CustomerFactory(organization=org, phone=f"+3460000{i:04d}") for i in range(12)]
    with time_machine.travel(DAY, tick=False):
        for i, customer in enumerate(customers):
            record_signal(
                None,
                signal_type=types["high"],
                customer=customer,
                key=f"esim-{i}",
                payload={"carrier": "Verizon", "plan": "Unlimited", "order": str(1000 + i)},
            )
    return customers


def outreach_rows():
    return OutboundMessage.objects.filter(idempotency_key__startswith="signal:")


def test_a_day_of_twelve_stuck_customers(stuck):
    first = sweep_twice(DAY + timedelta(minutes=11))
    assert first["outreach"] == 12 and first["systemic"] == 1
    assert outreach_rows().count() == 12
    assert outreach_rows().values("recipient_user_id").distinct().count() == 12

    alert = SystemicAlert.objects.get()
    assert len(alert.customers) == 12
    assert alert.shared["organization"]["value"] == "Initech"
    assert alert.shared["carrier"] == {"value": "Verizon", "count": 12, "of": 12}
    assert "order" not in alert.shared
    systemic = OutboundMessage.objects.filter(idempotency_key__startswith="journey:systemic:")
    assert sorted(systemic.values_list("channel", flat=True)) == ["chat", "email"]  # engineering + the manager

    # Still unresolved at 12:00: the ladder's 4 h step alerts engineering once per case.
    first = sweep_twice(DAY + timedelta(hours=4, minutes=1))
    assert first["ladder"]["engineering"] == 12
    assert OutboundMessage.objects.filter(channel="chat", idempotency_key__contains="unresolved-4h").count() == 12

    # Two customers answer during the day.
    for customer in stuck[:2]:
        with time_machine.travel(DAY + timedelta(hours=6), tick=False):
            ticket = ProactiveCase.objects.get(customer=customer).ticket
            reply_to_ticket(customer, ticket, body="Thanks, still nothing here")

    # Next morning: 24 h after our message, the ten silent ones get a follow-up; nobody else hears twice.
    first = sweep_twice(DAY + timedelta(hours=24, minutes=12))
    assert first["ladder"]["follow_up"] == 10
    follow_ups = OutboundMessage.objects.filter(idempotency_key__contains=":follow-up:")
    assert follow_ups.count() == 10
    assert not follow_ups.filter(recipient_user_id__in=[c.pk for c in stuck[:2]]).exists()
    # The follow-up is the second touch at least: the tone moves on from "helpful".
    assert all(not row.template_slug.endswith("helpful") for row in follow_ups)

    # The day after: unresolved 48 h, escalated to L2 through the helpdesk's own escalation.
    first = sweep_twice(DAY + timedelta(hours=48, minutes=1))
    assert first["ladder"]["l2"] == 12
    assert Handoff.objects.filter(to_level=2).count() == 12
    assert TicketEvent.objects.filter(kind=EventKind.ESCALATED).count() == 12
    # Still one systemic alert: the window had one.
    assert SystemicAlert.objects.count() == 1
    # Every ladder step is on the ticket.
    ticket = ProactiveCase.objects.get(customer=stuck[5]).ticket
    notes = list(Message.objects.filter(ticket=ticket, is_internal=True).values_list("body", flat=True))
    assert any("engineering alerted" in n for n in notes)
    assert any("follow-up sent" in n for n in notes)


def test_critical_ladder_pages_engineering_at_2_hours_and_texts_at_4(types, alice, tier):
    tier.allowed_channels = ["email"]  # the first outreach cannot text: the 4 h step can once allowed
    tier.save()
    with time_machine.travel(DAY, tick=False):
        record_signal(None, signal_type=types["critical"], customer=alice, key="x")
    sweep_twice(DAY + timedelta(minutes=1))
    tier.allowed_channels = ["email", "sms"]
    tier.save()
    first = sweep_twice(DAY + timedelta(hours=2, minutes=1))
    assert first["ladder"]["page"] == 1
    assert OutboundMessage.objects.filter(channel="chat", idempotency_key__contains="page-2h").count() == 1
    first = sweep_twice(DAY + timedelta(hours=4, minutes=2))
    assert first["ladder"]["sms"] == 1
    assert OutboundMessage.objects.filter(channel="sms", recipient_user_id=alice.pk).count() == 1


def test_critical_ladder_asks_for_a_call_when_an_sms_already_went(types, alice):
    with time_machine.travel(DAY, tick=False):
        record_signal(None, signal_type=types["critical"], customer=alice, key="x")
    sweep_twice(DAY + timedelta(minutes=1))
    sweep_twice(DAY + timedelta(hours=4, minutes=2))
    assert OutboundMessage.objects.filter(channel="sms", recipient_user_id=alice.pk).count() == 1
    case = ProactiveCase.objects.get()
    assert case.sms_escalated_at is not None
    assert Message.objects.filter(ticket=case.ticket, body__contains="Call the customer").exists()


def test_two_customers_raise_no_systemic_alert(types, alice, bob):
    with time_machine.travel(DAY, tick=False):
        record_signal(None, signal_type=types["high"], customer=alice, key="a")
        record_signal(None, signal_type=types["high"], customer=bob, key="b")
    assert sweep_twice(DAY + timedelta(minutes=11))["systemic"] == 0
    assert ProactiveCase.objects.filter(severity=SignalSeverity.HIGH).count() == 2
