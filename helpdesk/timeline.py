"""What every ticket service shares: the timeline, saving a ticket, notices, refusals.

A module of its own below `services`, `clocks` and `escalation`, so that those
can use it without importing each other in a circle.
"""

import logging
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.defaults import default_template
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


def message_template(slug):
    """The admin's active template `slug`; its built-in text (comms.defaults) while there is none or it is off."""
    return MessageTemplate.objects.filter(slug=slug, is_active=True).first() or default_template(slug)


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


def local_time(value, user):
    """A moment as the recipient reads it: their time zone, with its name."""
    if value is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def render_for(user, template, values):
    """`template` in the recipient's language (English where it has none), with `values` computed in it.

    `values` may be a dict or a function of the recipient, so that labels and
    times in it come out in the recipient's language and time zone.
    """
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        data = values(user) if callable(values) else dict(values)
        data.setdefault("recipient_name", user.display_name)
        data.setdefault("site_url", settings.FIRSTLINE_SITE_URL)
        rendered = render_template(template, language=language, values=data)
    rendered["template_slug"] = template.slug
    # The portal inbox links within the site, whatever address SITE_URL names.
    link = data.get("ticket_url", "")
    rendered["link"] = (
        link.removeprefix(settings.FIRSTLINE_SITE_URL) if link.startswith(settings.FIRSTLINE_SITE_URL) else link
    )
    return rendered


def email_from_template(user, *, key, slug, values, reference, template=None):
    """Write the message template `slug`, rendered for `user`, to the outbox once per `key`.

    Customers hear on the channels the rules choose for routine notices
    (email and the portal inbox by default); staff by email.
    """
    if not user or not (user.email or user.is_customer):
        return
    rendered = render_for(user, template or message_template(slug), values)
    _notice(user, key=key, rendered=rendered, reference=reference, link=rendered["link"])
