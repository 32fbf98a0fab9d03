"""Macros: a reply and field changes in one click, with a window in which the agent can take it all back.

Applying a macro changes the ticket at once and writes the reply as a held
message (`Message.held_until`): the customer's portal hides it and no outbox
row exists for it yet. Once the window has passed, `release_held_replies`
claims the message (clearing `held_until` with a conditional UPDATE), meets
the SLA reply targets and writes the reply notice to the outbox, all in one
transaction: a crash before the commit leaves the message held for the next
run, a crash after leaves a committed outbox row that the delivery sweep
sends, and the claim and the outbox key make a second run a no-op.
An undo deletes the held message under the same kind of condition, so undo
and release can never both win.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clocks
from .escalation import apply_arrival_rules
from .models import (
    Assignment,
    EventKind,
    MacroApplication,
    Message,
    ReminderOutcome,
    Status,
    Tag,
    Ticket,
    TicketReminder,
    User,
)
from .replies import render_reply
from .services import _apply_changes, _notify_message
from .text import render_markdown
from .timeline import TICKET_SLA_FIELDS, NotAllowed, TicketConflict, record_event, tickets_changed, touch

logger = logging.getLogger(__name__)

RELEASE_BATCH = 500


class TranslationMissing(NotAllowed):
    """The reply template has no text in the ticket's language; the agent must see that before sending."""


def undo_window():
    return timedelta(seconds=settings.FIRSTLINE_UNDO_SECONDS)


def preview_macro(actor, ticket, macro):
    """What applying `macro` would do: the reply as the customer would get it, and the language used."""
    if not macro.reply_template_id:
        return {"body": "", "language": ticket.language, "fallback": False}
    body, language = render_reply(macro.reply_template, ticket, actor)
    return {"body": body, "language": language, "fallback": language != ticket.language}


def apply_macro(actor, ticket, macro, *, expected_version=None, accept_fallback=False):
    """Apply `macro` to `ticket`: field changes, tags, a held reply and a reminder, in one transaction.

    Refused (TranslationMissing) when the reply would go out in English to a
    customer of another language, unless the agent has seen that and accepts
    it. Returns the MacroApplication that an undo names.
    """
    if not actor.is_agent:
        raise NotAllowed(_("Only agents can apply macros."))
    if not macro.is_active:
        raise NotAllowed(_("This macro is switched off."))
    now = timezone.now()
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("assignee", "category", "queue", "requester", "organization")
            .get(pk=ticket.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise TicketConflict(_("Someone else changed this ticket a moment ago. Review it and try again."))
        reply = preview_macro(actor, current, macro) if macro.reply_template_id else None
        if reply and reply["fallback"] and not accept_fallback:
            raise TranslationMissing(_("The reply has no text in the customer's language."))
        before, changes = _field_changes(actor, current, macro)
        if reply and current.status == Status.NEW and "status" not in changes:
            # As with any reply from us: a new ticket is now being worked on.
            before["status"], changes["status"] = current.status, Status.OPEN
        fields = _apply_changes(actor, current, changes, now)
        before.update(_change_tags(actor, current, macro, now))
        message = None
        if reply:
            message = Message.objects.create(
                ticket=current,
                author=actor,
                body=reply["body"],
                body_html=render_markdown(reply["body"]),
                created_at=now,
                held_until=now + undo_window(),
            )
            record_event(current, actor, EventKind.REPLIED, message=message, is_public=True, at=now)
        reminder = None
        if macro.remind_delta:
            reminder = TicketReminder.objects.create(
                ticket=current,
                agent=actor,
                due_at=now + macro.remind_delta,
                created_at=now,
                only_if_no_reply=macro.remind_only_if_no_reply,
                note=macro.name[:200],
            )
        record_event(current, actor, EventKind.MACRO_APPLIED, at=now, data={"macro": macro.name})
        touch(current, now, *fields)
        if "priority" in fields and current.is_open:
            apply_arrival_rules(actor, current, now)
            current.refresh_from_db(fields=["version"])
        application = MacroApplication.objects.create(
            macro=macro,
            macro_name=macro.name,
            ticket=current,
            actor=actor,
            applied_at=now,
            undo_until=now + undo_window(),
            ticket_version=current.version,
            before=before,
            message=message,
            reminder=reminder,
        )
        if message is not None:
            transaction.on_commit(lambda: _wake_release(message.pk))
    return application


def _field_changes(actor, ticket, macro):
    """(values before, changes) for the macro's status, priority and assignee."""
    wanted = {}
    if macro.set_status:
        wanted["status"] = macro.set_status
    if macro.set_priority:
        wanted["priority"] = macro.set_priority
    if macro.assignment == Assignment.ME:
        wanted["assignee"] = actor
    elif macro.assignment == Assignment.NOBODY:
        wanted["assignee"] = None
    before, changes = {}, {}
    for field, value in wanted.items():
        old = getattr(ticket, field)
        if old == value:
            continue
        changes[field] = value
        before[field] = old.pk if field == "assignee" and old else old
    return before, changes


def _change_tags(actor, ticket, macro, now):
    have = set(ticket.tags.values_list("pk", flat=True))
    add = [tag for tag in macro.add_tags.all() if tag.pk not in have]
    remove = [tag for tag in macro.remove_tags.all() if tag.pk in have and tag not in add]
    if not add and not remove:
        return {}
    ticket.tags.add(*add)
    ticket.tags.remove(*remove)
    record_event(
        ticket,
        actor,
        EventKind.TAGS,
        at=now,
        data={"added": [t.name for t in add], "removed": [t.name for t in remove]},
    )
    return {"tags_added": [t.pk for t in add], "tags_removed": [t.pk for t in remove]}


def latest_application(actor, ticket, now=None):
    """The actor's last macro on this ticket while it can still be undone, else None."""
    now = now or timezone.now()
    return (
        MacroApplication.objects.filter(ticket=ticket, actor=actor, undone_at__isnull=True, undo_until__gt=now)
        .order_by("-applied_at", "-pk")
        .first()
    )


def undo_macro(actor, application):
    """Take back a macro within its window: the held reply, the reminder, every field and tag it changed.

    Refused once the window has passed (the reply is on its way) and when
    anyone changed the ticket after the macro: their change would otherwise
    be silently overwritten. Each reverted field gets its timeline event.
    """
    now = timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("assignee", "category", "queue")
            .get(pk=application.ticket_id)
        )
        application = MacroApplication.objects.select_for_update().get(pk=application.pk)
        if application.actor_id != actor.pk:
            raise NotAllowed(_("Only the agent who applied the macro can undo it."))
        if application.undone_at is not None:
            raise NotAllowed(_("This macro was already undone."))
        if now >= application.undo_until:
            raise NotAllowed(_("Too late to undo: the undo window has passed and the reply is on its way."))
        if ticket.version != application.ticket_version:
            raise TicketConflict(
                _("Someone changed this ticket after the macro was applied, so it cannot be undone. Change it by hand.")
            )
        if application.message_id:
            deleted, _rows = Message.objects.filter(pk=application.message_id, held_until__isnull=False).delete()
            if not deleted:
                raise NotAllowed(_("Too late to undo: the reply has already been released."))
        before = application.before
        changes = {name: before[name] for name in ("status", "priority") if name in before}
        if "assignee" in before:
            changes["assignee"] = User.objects.filter(pk=before["assignee"]).first() if before["assignee"] else None
        fields = _apply_changes(actor, ticket, changes, now)
        added = Tag.objects.filter(pk__in=before.get("tags_added", []))
        removed = Tag.objects.filter(pk__in=before.get("tags_removed", []))
        if added or removed:
            ticket.tags.remove(*added)
            ticket.tags.add(*removed)
            data = {"added": [t.name for t in removed], "removed": [t.name for t in added]}
            record_event(ticket, actor, EventKind.TAGS, at=now, data=data)
        if application.reminder_id:
            TicketReminder.objects.filter(pk=application.reminder_id, done_at__isnull=True).update(
                done_at=now, outcome=ReminderOutcome.CANCELLED
            )
        record_event(
            ticket,
            actor,
            EventKind.MACRO_UNDONE,
            at=now,
            data={"macro": application.macro_name, "reply_withdrawn": bool(application.message_id)},
        )
        touch(ticket, now, *fields)
        application.undone_at = now
        application.save(update_fields=["undone_at"])
    return ticket


# --- after the window ---------------------------------------------------------------------------


def _wake_release(message_id):
    from django_q.tasks import async_task

    try:
        async_task("helpdesk.tasks.release_held_reply", message_id, task_name=f"release-{message_id}")
    except Exception:  # the broker being down must not fail the request; the minutely sweep releases it
        logger.exception("Could not enqueue the release of message %s", message_id)


def release_held_reply(message_id):
    """Wake-up task: wait out a window that ends within seconds, then release that reply at once.

    Waiting in the worker saves the customer up to a minute of the sweep's
    period; a window further away (or a late task) is left to the sweep.
    """
    held = Message.objects.filter(pk=message_id, held_until__isnull=False).values_list("held_until", flat=True).first()
    if held is None:
        return 0
    wait = (held - timezone.now()).total_seconds()
    if wait > settings.FIRSTLINE_HOLD_WAKE_SECONDS:
        return 0
    if wait > 0:
        time.sleep(wait + 0.05)
    return release_held_replies(message_ids=[message_id])


def release_held_replies(*, now=None, message_ids=None):
    """Release every held reply whose window has passed; returns how many.

    The selection is one query; each reply is then claimed and released in
    its own short transaction, because the SLA clocks of its ticket follow
    that ticket's calendar (there are only as many as macros applied in the
    last minute).
    """
    now = now or timezone.now()
    held = Message.objects.filter(held_until__isnull=False, held_until__lte=now)
    if message_ids is not None:
        held = held.filter(pk__in=message_ids)
    ids = list(held.order_by("held_until").values_list("pk", "held_until")[:RELEASE_BATCH])
    released = 0
    for pk, held_until in ids:
        with transaction.atomic():
            claimed = Message.objects.filter(pk=pk, held_until=held_until).update(held_until=None)
            if not claimed:
                continue  # undone, or released by another worker
            _release(pk, held_until)
            released += 1
    return released


def _release(message_id, at):
    message = Message.objects.select_related("author").get(pk=message_id)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "organization")
        .get(pk=message.ticket_id)
    )
    ticket.last_public_at = max(filter(None, [ticket.last_public_at, at]))
    clocks.on_agent_public_reply(ticket, at)
    # Not a change anyone made: the version stays, and the SLA fields are saved as they are.
    ticket.save(update_fields=[*TICKET_SLA_FIELDS, "last_public_at"])
    tickets_changed()
    # In this transaction, not after it: the outbox row commits with the release or not at all.
    _notify_message(ticket, message)
