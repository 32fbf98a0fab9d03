"""Built-in detection rules: set-wise, keyed by what they found, idempotent, flat in query count."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.models import Handoff, Status
from incidents.journey.models import Detection, SignalEvent, SignalSeverity, SignalType
from incidents.journey.rules import new_hits, run_detection
from tests.helpdesk.factories import CustomerFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def rule(code, detection, severity=SignalSeverity.HIGH, **parameters):
    return SignalType.objects.create(
        code=code, name=code, severity=severity, detection=detection, parameters=parameters
    )


def at(hours_ago):
    return NOW - timedelta(hours=hours_ago)


def test_repeat_contact_finds_three_contacts_in_seven_days_once(comms_defaults, alice, bob):
    repeat = rule("R-REPEAT", Detection.REPEAT_CONTACT, count=3, days=7)
    for hours in (1, 30, 100):
        MessageFactory(ticket=TicketFactory(requester=alice), created_at=at(hours))
    MessageFactory(ticket=TicketFactory(requester=bob), created_at=at(1))
    MessageFactory(ticket=TicketFactory(requester=bob), created_at=at(200))  # outside the week
    with time_machine.travel(NOW, tick=False):
        assert run_detection() == {"R-REPEAT": 1}
        assert run_detection() == {"R-REPEAT": 0}
    event = SignalEvent.objects.get(signal_type=repeat)
    assert event.customer == alice and event.payload["contacts"] == 3


def test_waiting_on_us_finds_customers_whose_last_word_is_unanswered(comms_defaults, alice, bob, agent):
    rule("R-WAIT", Detection.WAITING_ON_US, hours=8)
    waiting = TicketFactory(requester=alice, status=Status.OPEN, last_public_at=at(9))
    MessageFactory(ticket=waiting, author=alice, created_at=at(9))
    answered = TicketFactory(requester=bob, status=Status.OPEN, last_public_at=at(9))
    MessageFactory(ticket=answered, author=bob, created_at=at(10))
    MessageFactory(ticket=answered, author=agent, created_at=at(9))
    recent = TicketFactory(requester=bob, status=Status.OPEN, last_public_at=at(2))
    MessageFactory(ticket=recent, author=bob, created_at=at(2))
    with time_machine.travel(NOW, tick=False):
        run_detection()
        run_detection()
    event = SignalEvent.objects.get()
    assert event.customer == alice and event.payload["ticket"] == waiting.ref


def test_escalation_without_follow_up_finds_unacknowledged_handoffs(comms_defaults, alice):
    rule("R-ESC", Detection.UNACKNOWLEDGED_ESCALATION, hours=2)
    late = TicketFactory(requester=alice, level=2)
    Handoff.objects.create(ticket=late, kind="manual", from_level=1, to_level=2, summary="x", created_at=at(5))
    fresh = TicketFactory(requester=alice, level=2)
    Handoff.objects.create(ticket=fresh, kind="manual", from_level=1, to_level=2, summary="y", created_at=at(1))
    done = TicketFactory(requester=alice, level=2)
    Handoff.objects.create(
        ticket=done, kind="manual", from_level=1, to_level=2, summary="z", created_at=at(5), acknowledged_at=at(4)
    )
    with time_machine.travel(NOW, tick=False):
        assert run_detection() == {"R-ESC": 1}
    assert SignalEvent.objects.get().payload["ticket"] == late.ref


def test_silent_customer_finds_tickets_waiting_on_them_for_days(comms_defaults, alice, bob):
    rule("R-QUIET", Detection.SILENT_CUSTOMER, SignalSeverity.LOW, days=5)
    TicketFactory(requester=alice, status=Status.WAITING, last_public_at=at(24 * 6))
    TicketFactory(requester=bob, status=Status.WAITING, last_public_at=at(24 * 2))
    with time_machine.travel(NOW, tick=False):
        assert run_detection() == {"R-QUIET": 1}
    assert SignalEvent.objects.get().customer == alice


def test_the_rules_own_proactive_tickets_are_not_detected_again(comms_defaults, alice):
    rule("R-QUIET", Detection.SILENT_CUSTOMER, SignalSeverity.LOW, days=5)
    TicketFactory(requester=alice, status=Status.WAITING, last_public_at=at(24 * 6))
    with time_machine.travel(NOW, tick=False):
        run_detection()
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        run_detection()
    assert SignalEvent.objects.count() == 1


@pytest.mark.parametrize("detection", [d for d in Detection if d != Detection.API])
def test_finding_hits_takes_the_same_queries_at_any_volume(comms_defaults, detection):
    signal_type = rule("R", detection, count=1, hours=1, days=1)

    def populate(n):
        for _ in range(n):
            customer = CustomerFactory()
            ticket = TicketFactory(requester=customer, status=Status.WAITING, last_public_at=at(24 * 3))
            MessageFactory(ticket=ticket, author=customer, created_at=at(30))
            Handoff.objects.create(ticket=ticket, kind="time", from_level=1, to_level=2, summary="s", created_at=at(9))

    def count():
        with CaptureQueriesContext(connection) as queries, time_machine.travel(NOW, tick=False):
            new_hits(signal_type, NOW)
        return len(queries)

    populate(3)
    small = count()
    populate(30)
    assert count() == small <= 3
