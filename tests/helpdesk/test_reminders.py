"""Reminders: "remind me if the customer has not answered", swept set-wise and idempotently."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from comms.models import OutboundMessage
from helpdesk import reminders, services, tasks
from helpdesk.models import EventKind, ReminderOutcome, TicketEvent, TicketReminder

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def open_ticket(alice):
    return services.create_ticket(alice, requester=alice, subject="Export", description="Spins")


def remind(agent, ticket, *, days=2, only_if_no_reply=True):
    return TicketReminder.objects.create(
        ticket=ticket,
        agent=agent,
        due_at=timezone.now() + timedelta(days=days),
        only_if_no_reply=only_if_no_reply,
        note="Ask for details",
    )


def notices(reminder):
    return OutboundMessage.objects.filter(idempotency_key__contains=f":reminder:{reminder.pk}:")


def test_a_due_unanswered_reminder_notifies_the_agent_once_however_often_the_sweep_runs(agent, open_ticket):
    reminder = remind(agent, open_ticket)
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        assert tasks.sweep_reminders() == {"answered": 0, "notified": 1}
        assert tasks.sweep_reminders() == {"answered": 0, "notified": 0}
    reminder.refresh_from_db()
    assert reminder.outcome == ReminderOutcome.NOTIFIED and reminder.done_at is not None
    mail = notices(reminder).get()
    assert mail.recipient == agent.email and mail.subject == f"[{open_ticket.ref}] Reminder: Export"
    assert f"/agent/tickets/{open_ticket.ref}/" in mail.body and "Ask for details" in mail.body
    assert TicketEvent.objects.filter(ticket=open_ticket, kind=EventKind.REMINDER).count() == 1


def test_a_reminder_whose_customer_answered_is_closed_silently(agent, alice, open_ticket):
    reminder = remind(agent, open_ticket)
    with time_machine.travel(timezone.now() + timedelta(hours=5), tick=False):
        services.reply_to_ticket(alice, open_ticket, body="Here are the details.")
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        assert reminders.sweep_reminders() == {"answered": 1, "notified": 0}
        assert reminders.sweep_reminders() == {"answered": 0, "notified": 0}
    reminder.refresh_from_db()
    assert reminder.outcome == ReminderOutcome.ANSWERED
    assert not notices(reminder).exists()
    assert not TicketEvent.objects.filter(kind=EventKind.REMINDER).exists()


def test_an_internal_note_or_an_agent_reply_is_not_an_answer(agent, open_ticket):
    reminder = remind(agent, open_ticket)
    with time_machine.travel(timezone.now() + timedelta(hours=5), tick=False):
        services.reply_to_ticket(agent, open_ticket, body="Chasing them.", internal=True)
        services.reply_to_ticket(agent, open_ticket, body="Any news?")
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        assert reminders.sweep_reminders()["notified"] == 1


def test_an_unconditional_reminder_fires_even_after_a_customer_reply(agent, alice, open_ticket):
    reminder = remind(agent, open_ticket, only_if_no_reply=False)
    services.reply_to_ticket(alice, open_ticket, body="Hi")
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        assert reminders.sweep_reminders()["notified"] == 1


def test_reminders_not_yet_due_wait(agent, open_ticket):
    remind(agent, open_ticket)
    assert reminders.sweep_reminders() == {"answered": 0, "notified": 0}


def test_the_sweep_is_set_wise(agent, alice, django_assert_max_num_queries):
    tickets = [services.create_ticket(alice, requester=alice, subject=f"T{i}", description="x") for i in range(12)]
    for ticket in tickets:
        remind(agent, ticket)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False), django_assert_max_num_queries(12):
        assert reminders.sweep_reminders()["notified"] == 12


def test_fired_reminders_show_in_the_agents_workspace_until_dismissed(agent, client, open_ticket):
    reminder = remind(agent, open_ticket)
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        reminders.sweep_reminders()
    client.force_login(agent)
    assert "My reminders" in client.get(reverse("helpdesk:ticket-list")).content.decode()
    html = client.get(reverse("helpdesk:reminder-list")).content.decode()
    assert open_ticket.ref in html and "the customer has not answered" in html
    timeline = client.get(reverse("helpdesk:ticket-detail", args=[open_ticket.ref])).content.decode()
    assert f"reminder for {agent.display_name}: the customer has not answered" in timeline
    response = client.post(reverse("helpdesk:reminder-dismiss", args=[reminder.pk]), **HX)
    assert "Reminder dismissed." in response.content.decode() and open_ticket.ref not in response.content.decode()
    assert client.get(reverse("helpdesk:reminder-list")).content.decode().count(open_ticket.ref) == 0


def test_an_agent_cannot_dismiss_someone_elses_reminder(agent, other_agent, client, open_ticket):
    reminder = remind(agent, open_ticket)
    client.force_login(other_agent)
    assert client.post(reverse("helpdesk:reminder-dismiss", args=[reminder.pk])).status_code == 404
    reminder.refresh_from_db()
    assert reminder.dismissed_at is None
