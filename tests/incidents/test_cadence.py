"""A whole P1 day on a controlled clock: every due update is posted or flagged within a minute."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from incidents import services
from incidents.cadence import sweep_cadence
from incidents.models import CadenceDeadline, CadenceMiss, DeadlineKind, IncidentEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_p1_day_flags_every_missed_update_once_within_a_minute(people, run_on_commit):
    with time_machine.travel(START, tick=False):
        incident = services.declare_incident(
            people["manager"],
            title="Checkout is failing",
            severity=1,
            commander=people["manager"],
            communications_lead=people["agent"],
            organizations=[people["acme"]],
        )
    posted = []
    # Updates on time every 12 minutes for the first two hours (the first within the 5-minute notice window).
    on_time = {START + timedelta(minutes=4)} | {START + timedelta(minutes=4 + 12 * n) for n in range(1, 10)}
    minute = START
    end = START + timedelta(hours=24)
    while minute <= end:
        with time_machine.travel(minute, tick=False):
            if minute in on_time:
                with run_on_commit():
                    services.post_update(people["manager"], incident, body=f"Still working ({minute:%H:%M}).")
                posted.append(minute)
            sweep_cadence()
            sweep_cadence()  # a second run at the same moment changes nothing
        minute += timedelta(minutes=1)

    deadlines = CadenceDeadline.objects.filter(incident=incident, kind=DeadlineKind.UPDATE)
    assert deadlines.exists()
    for deadline in deadlines.filter(due_at__lte=end):
        if deadline.met_at:
            assert deadline.met_at <= deadline.due_at and deadline.missed_at is None
        else:
            assert deadline.missed_at is not None
            assert deadline.due_at <= deadline.missed_at <= deadline.due_at + timedelta(minutes=1)
    misses = CadenceMiss.objects.filter(incident=incident)
    # From the last on-time update (10:52) silence: a miss every 15 minutes until the day ends,
    # plus the resolution deadline at 24 h.
    expected_update_misses = len(range(int((end - (max(posted) + timedelta(minutes=15))).total_seconds() // 900) + 1))
    assert misses.filter(kind=DeadlineKind.UPDATE).count() == expected_update_misses
    assert misses.filter(kind=DeadlineKind.RESOLUTION).count() == 1
    assert not misses.filter(kind=DeadlineKind.FIRST_NOTICE).exists()
    incident.refresh_from_db()
    assert incident.cadence_misses == misses.count()
    # No warning and no miss was ever written twice.
    keys = list(IncidentEvent.objects.filter(incident=incident, key__isnull=False).values_list("key", flat=True))
    assert len(keys) == len(set(keys))
    assert IncidentEvent.objects.filter(incident=incident, kind="cadence_miss").count() == misses.count()
    # The manager hears of each miss once, by email; the communications lead of each warning once.
    to_manager = OutboundMessage.objects.filter(
        recipient_user_id=people["manager"].pk, template_slug="incident-cadence-missed", channel="email"
    )
    assert to_manager.count() == misses.count()
    warnings = OutboundMessage.objects.filter(
        recipient_user_id=people["agent"].pk, template_slug="incident-cadence-warning"
    )
    assert warnings.count() == IncidentEvent.objects.filter(incident=incident, kind="cadence_warning").count() > 0
    assert OutboundMessage.objects.filter(channel="chat", template_slug="incident-cadence-missed").count() == (
        misses.count()
    )


def test_a_late_sweep_flags_each_missed_slot_once(people):
    with time_machine.travel(START, tick=False):
        incident = services.declare_incident(
            people["manager"],
            title="Slow",
            severity=1,
            commander=people["manager"],
            communications_lead=people["agent"],
            organizations=[people["acme"]],
            message="We know.",
        )
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        result = sweep_cadence()
        again = sweep_cadence()
    # Updates were due at 9:15, 9:30, 9:45 and 10:00: four misses from one late run, none from the second.
    assert result["misses"] == 4 and again["misses"] == 0
    assert CadenceMiss.objects.filter(incident=incident).count() == 4
    incident.refresh_from_db()
    assert incident.next_update_due == START + timedelta(minutes=75)


def test_first_notice_missed_is_recorded(people):
    with time_machine.travel(START, tick=False):
        incident = services.declare_incident(
            people["manager"],
            title="Quiet",
            severity=2,
            commander=people["manager"],
            communications_lead=people["agent"],
            organizations=[people["acme"]],
        )
    with time_machine.travel(START + timedelta(minutes=15, seconds=30), tick=False):
        sweep_cadence()
    assert CadenceMiss.objects.get(incident=incident).kind == DeadlineKind.FIRST_NOTICE
