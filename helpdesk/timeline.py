"""What every ticket service shares: the timeline, saving a ticket, notices, refusals.

A module of its own below `services`, `clocks` and `escalation`, so that those
can use it without importing each other in a circle.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.models import MessageTemplate
from comms.services import queue_email, render_template

from . import counts
from .models import TicketEvent

# Ticket fields the SLA clocks keep up to date; saved with every change of a ticket.
TICKET_SLA_FIELDS = ["sla_due_at", "sla_due_target", "sla_paused_at", "escalate_at", "level_since"]


class TicketConflict(Exception):
    """Someone else changed the ticket since the actor last saw it."""


class StaleReply(Exception):
    """New messages arrived while the actor was writing; carries them."""

    def __init__(self, messages):
        super().__init__(_("New messages arrived while you were writing."))
        self.messages = messages


class NotAllowed(Exception):
    """The actor may not do this to this ticket (a rule, not an access check)."""


# --- timeline ------------------------------------------------------------------------


def record_event(ticket, actor, kind, *, data=None, message=None, is_public=False, at=None):
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        data=data or {},
        message=message,
        is_public=is_public,
        created_at=at or timezone.now(),
    )


def touch(ticket, now, *fields):
    """Save `fields` and the SLA state, bump updated_at and version, keep the instance in step."""
    ticket.updated_at = now
    ticket.version = F("version") + 1
    sla_fields = [*TICKET_SLA_FIELDS, "reopen_count"]
    ticket.save(update_fields=list(dict.fromkeys([*fields, *sla_fields, "updated_at", "version"])))
    ticket.refresh_from_db(fields=["version"])
    tickets_changed()


def tickets_changed():
    """Queue counts shared between agents are stale once this transaction commits."""
    transaction.on_commit(counts.invalidate)


# --- notices ---------------------------------------------------------------------------


def email(user, *, key, template, context, reference):
    """Render an email in the recipient's language and write it to the outbox."""
    if not user or not user.email:
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {**context, "recipient": user, "site_url": settings.FIRSTLINE_SITE_URL}
        subject = render_to_string(f"helpdesk/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"helpdesk/email/{template}.txt", context)
    queue_email(
        key=key,
        to=user.email,
        subject=" ".join(subject.split()),
        body=body,
        recipient_user_id=user.pk,
        reference=reference,
        thread=reference,
    )


def email_from_template(user, *, key, slug, values, reference, fallback, context):
    """Write the admin-edited template `slug` to the outbox in the recipient's language.

    Until an admin has that template (or while it is switched off), the
    built-in text `fallback` (a Django template pair) is sent instead.
    """
    if not user or not user.email:
        return
    template = MessageTemplate.objects.filter(slug=slug, is_active=True).first()
    if template is None:
        email(user, key=key, template=fallback, context=context, reference=reference)
        return
    rendered = render_template(template, language=user.language or settings.LANGUAGE_CODE, values=values)
    queue_email(
        key=key,
        to=user.email,
        subject=rendered["subject"],
        body=rendered["body"],
        recipient_user_id=user.pk,
        reference=reference,
        thread=reference,
    )
