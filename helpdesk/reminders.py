"""Reminders: "remind me in N days if the customer has not answered", swept set-wise.

A django-q2 schedule runs `sweep_reminders` every minute. Due reminders whose
ticket got a customer reply since they were set are closed silently; the
others are claimed (done_at, outcome) in the same transaction that writes
their timeline events and emails, so a second run finds nothing to do; the
events' and outbox rows' unique keys are the last guard.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.services import queue_emails

from .models import EventKind, ReminderOutcome, TicketEvent, TicketReminder
from .replies import ticket_values
from .timeline import NotAllowed, local_time, message_template, render_for

BATCH = 2000


def sweep_reminders(*, now=None):
    """Close answered reminders, notify the agents of the rest; returns the counts."""
    now = now or timezone.now()
    with transaction.atomic():
        answered = (
            TicketReminder.objects.due(now)
            .answered_since_created()
            .update(done_at=now, outcome=ReminderOutcome.ANSWERED)
        )
        ids = list(
            TicketReminder.objects.due(now)
            .order_by("due_at")
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)[:BATCH]
        )
        if ids:
            TicketReminder.objects.filter(pk__in=ids, done_at__isnull=True).update(
                done_at=now, outcome=ReminderOutcome.NOTIFIED
            )
            _notify(now, ids)
    return {"answered": answered, "notified": len(ids)}


def _notify(now, ids):
    reminders = list(
        TicketReminder.objects.filter(pk__in=ids).select_related(
            "agent", "ticket__requester", "ticket__organization", "ticket__assignee"
        )
    )
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=r.ticket_id,
                actor=None,
                kind=EventKind.REMINDER,
                data={"agent": r.agent.display_name, "agent_id": r.agent_id, "note": r.note},
                created_at=now,
                key=f"reminder:{r.pk}",
            )
            for r in reminders
        ],
        ignore_conflicts=True,
    )
    template = message_template("ticket-reminder")
    emails = []
    for reminder in reminders:
        agent = reminder.agent
        if not agent.email or not agent.is_active:
            continue

        def values(user, reminder=reminder):
            return {
                **ticket_values(reminder.ticket, user),
                "due_time": local_time(reminder.due_at, user),
                "set_at": local_time(reminder.created_at, user),
                "reminder_note": reminder.note,
            }

        rendered = render_for(agent, template, values)
        emails.append(
            {
                "key": f"ticket:{reminder.ticket_id}:reminder:{reminder.pk}:user:{agent.pk}",
                "to": agent.email,
                "subject": rendered["subject"],
                "body": rendered["body"],
                "recipient_user_id": agent.pk,
                "reference": reminder.ticket.ref,
                "thread": reminder.ticket.ref,
            }
        )
    queue_emails(emails)


def dismiss_reminder(actor, reminder):
    """The agent has seen a reminder (or no longer wants it): it leaves their workspace."""
    if reminder.agent_id != actor.pk:
        raise NotAllowed(_("This reminder belongs to someone else."))
    now = timezone.now()
    with transaction.atomic():
        TicketReminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(
            done_at=now, outcome=ReminderOutcome.CANCELLED
        )
        TicketReminder.objects.filter(pk=reminder.pk, dismissed_at__isnull=True).update(dismissed_at=now)
