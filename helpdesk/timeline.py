"""What every ticket service shares: the timeline, saving a ticket, notices, refusals.

A module of its own below `services`, `clocks` and `escalation`, so that those
can use it without importing each other in a circle.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.models import MessageTemplate, Severity
from comms.services import Contact, notify_contact, queue_email, render_template

from . import counts
from .models import TicketEvent

logger = logging.getLogger(__name__)

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


def contact_for(user):
    """The user as comms sees a person: plain data, no model."""
    return Contact(
        user_id=user.pk,
        name=user.display_name,
        email=user.email or "",
        phone=user.phone or "",
        language=user.language or settings.LANGUAGE_CODE,
        preferred_channel=user.preferred_channel or "",
        backup_channel=user.backup_channel or "",
    )


def _notice(user, *, key, rendered, reference, link):
    """Write a rendered notice to the outbox for `user`.

    A customer hears on the channels the rules choose for routine notices
    (email and the portal inbox unless an admin changes the rule), each
    row keyed by `channel_key`, so the email keeps its old key. Staff get
    email only. An address that cannot be used is logged, never raised: a
    bad address on a profile must not undo the ticket change behind it.
    """
    try:
        if user.is_customer:
            tier = user.organization.tier if user.organization_id else None
            notify_contact(
                contact_for(user),
                severity=Severity.ROUTINE,
                key=key,
                rendered=rendered,
                allowed_channels=tier.allowed_channels if tier else [],
                reference=reference,
                thread=reference,
                link=link,
            )
        elif user.email:
            queue_email(
                key=key,
                to=user.email,
                subject=rendered["subject"],
                body=rendered["body"],
                recipient_user_id=user.pk,
                reference=reference,
                thread=reference,
                template_slug=rendered.get("template_slug", ""),
                language=rendered.get("language", ""),
            )
    except ValueError as exc:
        logger.warning("Notice %s to user %s not queued: %s", key, user.pk, exc)


def _link(context):
    ticket = context.get("ticket")
    return ticket.get_portal_url() if ticket is not None else ""


def email(user, *, key, template, context, reference):
    """Render a notice in the recipient's language and write it to the outbox (customers: also the portal)."""
    if not user or not (user.email or user.is_customer):
        return
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {**context, "recipient": user, "site_url": settings.FIRSTLINE_SITE_URL}
        subject = render_to_string(f"helpdesk/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"helpdesk/email/{template}.txt", context)
    rendered = {"subject": " ".join(subject.split()), "body": body, "language": language, "template_slug": template}
    _notice(user, key=key, rendered=rendered, reference=reference, link=_link(context))


def email_from_template(user, *, key, slug, values, reference, fallback, context):
    """Write the admin-edited template `slug` to the outbox in the recipient's language.

    Until an admin has that template (or while it is switched off), the
    built-in text `fallback` (a Django template pair) is sent instead.
    """
    if not user or not (user.email or user.is_customer):
        return
    template = MessageTemplate.objects.filter(slug=slug, is_active=True).first()
    if template is None:
        email(user, key=key, template=fallback, context=context, reference=reference)
        return
    rendered = render_template(template, language=user.language or settings.LANGUAGE_CODE, values=values)
    rendered["template_slug"] = template.slug
    _notice(user, key=key, rendered=rendered, reference=reference, link=_link(context))
