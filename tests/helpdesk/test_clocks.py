"""SLA clocks through the ticket services: start, pause, meet, breach, escalate; and the sweep."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from comms.models import OutboundMessage
from helpdesk import escalation, services, sweep
from helpdesk.models import (
    ClockTarget,
    EventKind,
    Handoff,
    IntervalKind,
    Priority,
    SlaClock,
    SlaInterval,
    SlaPolicy,
    Status,
    Ticket,
    TicketEvent,
)
from helpdesk.sla_defaults import install_defaults

from .factories import AgentFactory, CategoryFactory, QueueFactory, TeamFactory

NY = ZoneInfo("America/New_York")


def ny(*args):
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def policy(db):
    return install_defaults()


@pytest.fixture
def team(db):
    return TeamFactory(name="Frontline")


@pytest.fixture
def queue(team):
    return QueueFactory(name="General", team=team)


def open_ticket(customer, *, at, priority=Priority.MEDIUM, queue=None, category=None):
    with time_machine.travel(at, tick=False):
        ticket = services.create_ticket(
            customer,
            requester=customer,
            subject="Cannot export invoices",
            description="The export button spins forever.",
            priority=priority,
            queue=queue,
            category=category,
        )
    return Ticket.objects.get(pk=ticket.pk)


def clock(ticket, target, cycle=1):
    return SlaClock.objects.get(ticket=ticket, target=target, cycle=cycle)


def test_new_ticket_gets_first_response_and_resolution_due_in_business_hours(policy, alice):
    # Monday 10:00 in New York; Acme's tier (Standard in the factories) promises a first reply within 4 h.
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 23, 14, 0)
    # 72 business hours of 9 a day: eight working days later, Thursday 3 December 10:00.
    assert clock(ticket, ClockTarget.RESOLUTION).due_at == ny(2026, 12, 3, 10, 0)
    assert ticket.sla_due_at == ny(2026, 11, 23, 14, 0)
    assert ticket.sla_due_target == ClockTarget.FIRST_RESPONSE
    assert ticket.sla_terms["policy"] == policy.name
    assert ticket.sla_terms["calendar"]["time_zone"] == "America/New_York"


def test_ticket_opened_on_a_saturday_starts_counting_on_monday(policy, alice):
    ticket = open_ticket(alice, at=ny(2026, 11, 28, 15, 0))
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 30, 13, 0)


def test_holiday_added_to_the_calendar_is_skipped(policy, alice):
    policy.calendar.holidays.create(date=datetime(2026, 11, 26).date(), name="Thanksgiving")
    ticket = open_ticket(alice, at=ny(2026, 11, 25, 16, 0))
    # Two business hours on Wednesday, Thursday is a holiday, two more on Friday.
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 27, 11, 0)


def test_critical_ticket_counts_around_the_clock_and_goes_to_l3(policy, alice, queue, run_on_commit):
    l3 = AgentFactory(support_level=3, team=queue.team)
    with run_on_commit():
        ticket = open_ticket(alice, at=ny(2026, 11, 28, 23, 0), priority=Priority.CRITICAL, queue=queue)
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 28, 23, 15)
    assert ticket.level == 3
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.from_level, handoff.to_level, handoff.kind) == (1, 3, "priority")
    assert clock(ticket, ClockTarget.ACKNOWLEDGEMENT).target_minutes == 60
    assert OutboundMessage.objects.filter(recipient=l3.email, subject__contains="Escalated to").exists()


def test_policy_edits_do_not_rewrite_running_tickets(policy, alice):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    policy.targets.filter(priority=Priority.MEDIUM).update(first_response_minutes=30)
    ticket.refresh_from_db()
    services.update_ticket(AgentFactory(), ticket, priority=Priority.LOW)
    services.update_ticket(AgentFactory(), Ticket.objects.get(pk=ticket.pk), priority=Priority.MEDIUM)
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 23, 14, 0)


def test_waiting_on_customer_pauses_and_resuming_adds_the_paused_time(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    with time_machine.travel(ny(2026, 11, 23, 11, 0), tick=False):
        services.update_ticket(agent, ticket, status=Status.WAITING)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None and ticket.sla_due_at is None
    with time_machine.travel(ny(2026, 11, 24, 11, 0), tick=False):
        services.reply_to_ticket(alice, ticket, body="Here is the log you asked for.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    # Three business hours were left when it paused: Tuesday 11:00 + 3 h.
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 24, 14, 0)
    pause = SlaInterval.objects.get(ticket=ticket, kind=IntervalKind.PAUSE)
    assert (pause.started_at, pause.ended_at) == (ny(2026, 11, 23, 11, 0), ny(2026, 11, 24, 11, 0))


def test_public_reply_meets_first_response_and_starts_next_response(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    with time_machine.travel(ny(2026, 11, 23, 10, 30), tick=False):
        services.reply_to_ticket(agent, ticket, body="Looking into it.")
    first = clock(ticket, ClockTarget.FIRST_RESPONSE)
    assert first.met_at == ny(2026, 11, 23, 10, 30) and first.breached_at is None
    nxt = clock(ticket, ClockTarget.NEXT_RESPONSE)
    assert nxt.due_at == ny(2026, 11, 25, 16, 30)  # 24 business hours (of 9 a day) later
    ticket.refresh_from_db()
    assert ticket.sla_due_target == ClockTarget.NEXT_RESPONSE
    with time_machine.travel(ny(2026, 11, 23, 12, 0), tick=False):
        services.reply_to_ticket(agent, ticket, body="Found it.")
    assert clock(ticket, ClockTarget.NEXT_RESPONSE, 1).met_at == ny(2026, 11, 23, 12, 0)
    assert clock(ticket, ClockTarget.NEXT_RESPONSE, 2).met_at is None


def test_internal_note_meets_nothing(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    services.reply_to_ticket(agent, ticket, body="Asking engineering.", internal=True)
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).met_at is None


def test_resolving_meets_resolution_and_reopening_restarts_it(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    with time_machine.travel(ny(2026, 11, 23, 15, 0), tick=False):
        services.update_ticket(agent, ticket, status=Status.RESOLVED)
    assert clock(ticket, ClockTarget.RESOLUTION).met_at == ny(2026, 11, 23, 15, 0)
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).stopped_at == ny(2026, 11, 23, 15, 0)
    assert not SlaClock.objects.filter(ticket=ticket).running().exists()
    with time_machine.travel(ny(2026, 11, 24, 9, 0), tick=False):
        services.reopen_ticket(alice, Ticket.objects.get(pk=ticket.pk))
    ticket.refresh_from_db()
    assert ticket.reopen_count == 1
    assert clock(ticket, ClockTarget.RESOLUTION, 2).due_at == ny(2026, 12, 3, 18, 0)
    assert clock(ticket, ClockTarget.NEXT_RESPONSE, 1).met_at is None


def test_sweep_warns_then_breaches_once_each_and_notifies_assignee_and_lead(policy, alice, queue):
    assignee = AgentFactory(team=queue.team)
    lead = AgentFactory(team=queue.team, lead=True)
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0), queue=queue)
    services.update_ticket(assignee, ticket, assignee=assignee)
    # 75 % of four business hours: 13:00.
    with time_machine.travel(ny(2026, 11, 23, 13, 1), tick=False):
        assert sweep.sweep_sla()["warnings"] == 1
        assert sweep.sweep_sla() == {"warnings": 0, "breaches": 0, "escalations": 0}
    with time_machine.travel(ny(2026, 11, 23, 14, 1), tick=False):
        assert sweep.sweep_sla()["breaches"] == 1
        assert sweep.sweep_sla()["breaches"] == 0
    kinds = list(TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").values_list("kind", flat=True))
    assert sorted(kinds) == [EventKind.SLA_BREACH, EventKind.SLA_WARNING]
    first = clock(ticket, ClockTarget.FIRST_RESPONSE)
    assert first.breached_at == ny(2026, 11, 23, 14, 1) and first.breached_level == 1
    for person in (assignee, lead):
        assert OutboundMessage.objects.filter(recipient=person.email, subject__contains="nearly used").count() == 1
        assert OutboundMessage.objects.filter(recipient=person.email, subject__contains="breached").count() == 1


def test_breach_of_a_critical_ticket_reaches_the_manager(policy, alice, queue):
    manager = AgentFactory(manager=True)
    open_ticket(alice, at=ny(2026, 11, 23, 10, 0), priority=Priority.CRITICAL, queue=queue)
    with time_machine.travel(ny(2026, 11, 23, 10, 20), tick=False):
        sweep.sweep_sla()
    assert OutboundMessage.objects.filter(recipient=manager.email, subject__contains="breached").count() == 1


def test_paused_tickets_are_never_warned(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    services.update_ticket(agent, ticket, status=Status.ON_HOLD)
    with time_machine.travel(ny(2026, 11, 30, 10, 0), tick=False):
        assert sweep.sweep_sla() == {"warnings": 0, "breaches": 0, "escalations": 0}


def test_time_based_escalation_moves_l1_to_l2_with_a_handoff_and_extra_time(policy, alice, queue):
    l2 = AgentFactory(support_level=2, team=queue.team)
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0), queue=queue)
    resolution_due = clock(ticket, ClockTarget.RESOLUTION).due_at
    with time_machine.travel(ny(2026, 11, 23, 14, 0), tick=False):
        result = sweep.sweep_sla()
        assert result["escalations"] == 1
        assert sweep.sweep_sla()["escalations"] == 0
    ticket.refresh_from_db()
    assert ticket.level == 2 and ticket.escalation_count == 1
    assert ticket.handoff_pending_since == ny(2026, 11, 23, 14, 0)
    assert ticket.escalate_at == ny(2026, 11, 24, 13, 0)  # 8 business hours at L2
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.kind, handoff.from_level, handoff.to_level) == ("time", 1, 2)
    assert handoff.acknowledge_due == ny(2026, 11, 24, 17, 0)  # 12 business hours for a medium ticket at L2
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).count() == 1
    assert clock(ticket, ClockTarget.RESOLUTION).due_at == ny(2026, 12, 3, 14, 0)
    assert clock(ticket, ClockTarget.RESOLUTION).due_at > resolution_due
    levels = list(SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.LEVEL).values_list("level", "ended_at"))
    assert levels == [(1, ny(2026, 11, 23, 14, 0)), (2, None)]
    assert OutboundMessage.objects.filter(recipient=l2.email, subject__contains="escalated").count() == 1


def test_manual_escalation_requires_every_handoff_field(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    with pytest.raises(services.NotAllowed):
        escalation.escalate_ticket(
            agent, ticket, to_level=2, summary="Export broken", impact="", steps_tried="Cleared cache", next_step="Logs"
        )
    ticket.refresh_from_db()
    assert ticket.level == 1 and not Handoff.objects.exists()


def test_manual_escalation_attaches_the_conversation_and_is_acknowledged(policy, alice, agent, other_agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    services.reply_to_ticket(agent, ticket, body="Could you send a screenshot?")
    services.reply_to_ticket(agent, ticket, body="Secret internal guess", internal=True)
    handoff = escalation.escalate_ticket(
        agent,
        Ticket.objects.get(pk=ticket.pk),
        to_level=2,
        summary="Export spins forever",
        impact="Cannot bill customers",
        steps_tried="Cleared cache; other browser",
        next_step="Check the export worker",
    )
    assert "Could you send a screenshot?" in handoff.communication
    assert "The export button spins forever." in handoff.communication
    assert "Secret internal guess" not in handoff.communication
    ticket.refresh_from_db()
    assert ticket.level == 2 and ticket.handoff_pending_since is not None
    escalation.acknowledge_handoff(other_agent, ticket)
    ticket.refresh_from_db()
    assert ticket.handoff_pending_since is None
    assert clock(ticket, ClockTarget.ACKNOWLEDGEMENT).met_at is not None


def test_deescalation_is_logged_and_needs_a_reason(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0), priority=Priority.HIGH)
    assert ticket.level == 2
    with pytest.raises(services.NotAllowed):
        escalation.deescalate_ticket(agent, ticket, to_level=1, reason=" ")
    escalation.deescalate_ticket(agent, ticket, to_level=1, reason="A how-to question after all")
    ticket.refresh_from_db()
    assert ticket.level == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DEESCALATED).count() == 1


def test_security_category_routes_to_the_security_queue(policy, alice):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0), category=CategoryFactory(slug="security"))
    assert ticket.queue.name == "Security"


def test_customer_escalation_request_must_be_answered(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    escalation.request_escalation(alice, ticket, reason="Our payroll run is tomorrow.")
    with pytest.raises(services.NotAllowed):
        escalation.request_escalation(alice, ticket, reason="Again")
    ticket.refresh_from_db()
    assert ticket.escalation_requested_at is not None
    services.answer_escalation_request(
        agent,
        ticket,
        answer="We are moving this to our technical team now.",
        escalate_to=2,
        package={
            "summary": "Payroll export",
            "impact": "Payroll tomorrow",
            "steps_tried": "Retried",
            "next_step": "L2 checks",
        },
    )
    ticket.refresh_from_db()
    assert ticket.escalation_requested_at is None and ticket.level == 2
    assert ticket.messages.filter(body__startswith="We are moving").exists()


def test_recompute_applies_the_edited_policy_on_request(policy, alice):
    from helpdesk import clocks

    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    policy.targets.filter(priority=Priority.MEDIUM).update(first_response_minutes=60)
    with time_machine.travel(ny(2026, 11, 23, 10, 5), tick=False):
        assert clocks.recompute_open_tickets(SlaPolicy.objects.get(pk=policy.pk)) == 1
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 23, 11, 0)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_RECOMPUTED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_warn_once(alice):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share an in-memory SQLite database; this runs on PostgreSQL in CI")
    install_defaults()
    agent = AgentFactory()
    tickets = [open_ticket(alice, at=ny(2026, 11, 23, 10, 0)) for _ in range(20)]
    for ticket in tickets:
        services.update_ticket(agent, ticket, assignee=agent)
    barrier = threading.Barrier(2)

    def run(at):
        barrier.wait()
        try:
            # Different microseconds: two workers never share a clock reading.
            sweep.sweep_sla(now=at)
        finally:
            connection.close()

    base = ny(2026, 11, 23, 13, 1)
    threads = [threading.Thread(target=run, args=(base + timedelta(microseconds=n),)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Whether the lease made one skip or both ran, each warning exists once.
    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 20
    assert SlaClock.objects.filter(warned_at__isnull=False).count() == 20
    mails = OutboundMessage.objects.filter(recipient=agent.email)
    assert sum(int(m.subject.split()[0]) if m.subject[0].isdigit() else 1 for m in mails) == 20


def test_raising_priority_to_critical_escalates_at_once(policy, alice, agent):
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    with time_machine.travel(ny(2026, 11, 23, 10, 30), tick=False):
        services.update_ticket(agent, ticket, priority=Priority.CRITICAL)
    ticket.refresh_from_db()
    assert ticket.level == 3
    # Critical targets count around the clock from the ticket's start: 15 minutes.
    assert clock(ticket, ClockTarget.FIRST_RESPONSE).due_at == ny(2026, 11, 23, 10, 15)
    assert Handoff.objects.get(ticket=ticket).kind == "priority"


def test_a_backlog_larger_than_a_batch_is_worked_off_over_runs(policy, alice, agent, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH", 2)
    for _ in range(3):
        ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
        services.update_ticket(agent, ticket, assignee=agent)
    with time_machine.travel(ny(2026, 11, 23, 13, 1), tick=False):
        assert sweep.sweep_sla()["warnings"] == 2
    with time_machine.travel(ny(2026, 11, 23, 13, 2), tick=False):
        assert sweep.sweep_sla()["warnings"] == 1
        assert sweep.sweep_sla()["warnings"] == 0
    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 3


def test_after_a_handoff_the_next_reply_follows_the_levels_update_target(policy, alice, agent):
    from helpdesk.models import LevelTarget

    LevelTarget.objects.filter(policy=policy, level=2, priority=Priority.MEDIUM).update(update_minutes=120)
    ticket = open_ticket(alice, at=ny(2026, 11, 23, 10, 0))
    escalation.escalate_ticket(agent, ticket, to_level=2, summary="s", impact="i", steps_tried="t", next_step="n")
    with time_machine.travel(ny(2026, 11, 23, 11, 0), tick=False):
        services.reply_to_ticket(agent, Ticket.objects.get(pk=ticket.pk), body="Engineering is on it.")
    assert clock(ticket, ClockTarget.NEXT_RESPONSE).due_at == ny(2026, 11, 23, 13, 0)


def test_bulk_raise_to_critical_escalates_each_ticket(policy, alice, agent):
    tickets = [open_ticket(alice, at=ny(2026, 11, 23, 10, 0)) for _ in range(2)]
    services.bulk_update_tickets(agent, [t.pk for t in tickets], priority=Priority.CRITICAL)
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("level", flat=True)) == {3}


def test_bulk_waiting_pauses_clocks_and_bulk_resolving_meets_resolution(policy, alice, agent):
    waiting, done = (open_ticket(alice, at=ny(2026, 11, 23, 10, 0)) for _ in range(2))
    with time_machine.travel(ny(2026, 11, 23, 11, 0), tick=False):
        services.bulk_update_tickets(agent, [waiting.pk], status=Status.WAITING)
        services.bulk_update_tickets(agent, [done.pk], status=Status.RESOLVED)
    waiting.refresh_from_db()
    assert waiting.sla_paused_at == ny(2026, 11, 23, 11, 0) and waiting.sla_due_at is None
    assert SlaClock.objects.filter(ticket=waiting, paused_at__isnull=False).count() == 2
    assert SlaInterval.objects.filter(ticket=waiting, kind=IntervalKind.PAUSE, ended_at__isnull=True).exists()
    assert clock(done, ClockTarget.RESOLUTION).met_at == ny(2026, 11, 23, 11, 0)
    assert not SlaClock.objects.filter(ticket=done).running().exists()
