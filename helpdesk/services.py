"""Business actions on tickets.

Every function here takes the acting user first and the subject second, runs
in one transaction, appends its events to the ticket's timeline, and hands
notifications to `transaction.on_commit` through the comms outbox. Views,
admin actions, tasks and commands call these; none re-implements them.
"""

import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clocks, escalation, triage
from .escalation import apply_arrival_rules
from .models import (
    OPEN_STATUSES,
    Attachment,
    EscalationRequest,
    EventKind,
    HandoffKind,
    Message,
    Role,
    Status,
    Ticket,
    TicketEvent,
    User,
)
from .replies import message_values, ticket_values
from .signals import announce_status_change, status_change_kind, ticket_created
from .text import render_markdown
from .timeline import (  # noqa: F401 - the refusals are part of this module's interface
    TICKET_SLA_FIELDS,
    NotAllowed,
    StaleReply,
    TicketConflict,
    email_from_template,
    record_event,
    tickets_changed,
    touch,
)
from .triage import services as triage_services

# --- users and roles ----------------------------------------------------------------


def set_user_role(actor, user, *, role):
    """Give `user` a role: the field, the matching group, and staff access.

    The role is mirrored into the group of the same name so permissions are
    managed as groups; managers and admins may use Django admin.
    """
    with transaction.atomic():
        user.role = role
        user.is_staff = role in (Role.MANAGER, Role.ADMIN)
        if role == Role.ADMIN:
            user.is_superuser = True
        if role != Role.CUSTOMER:
            user.is_org_admin = False  # an organization admin is a kind of customer
        user.save(update_fields=["role", "is_staff", "is_superuser", "is_org_admin"])
        role_groups = Group.objects.filter(name__in=Role.values)
        user.groups.remove(*role_groups)
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


# --- timeline ------------------------------------------------------------------------


# --- attachments -----------------------------------------------------------------------


def allowed_content_type(filename):
    """The content type we serve a file as, or None if its type is not allowed."""
    suffix = PurePath(filename).suffix.lower()
    return settings.FIRSTLINE_ATTACHMENT_TYPES.get(suffix)


def clean_filename(filename):
    name = PurePath(filename.replace("\\", "/")).name.strip() or "file"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def _save_attachments(message, files):
    for upload in files:
        name = clean_filename(upload.name)
        content_type = allowed_content_type(name) or mimetypes.guess_type(name)[0]
        attachment = Attachment(
            message=message,
            original_name=name,
            content_type=content_type or "application/octet-stream",
            size=upload.size,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()


# --- notifications ----------------------------------------------------------------------


def _notify_created(ticket):
    email_from_template(
        ticket.requester,
        key=f"ticket:{ticket.pk}:created:user:{ticket.requester_id}",
        slug="ticket-received",
        values=lambda _user: ticket_values(ticket, None),
        reference=ticket.ref,
    )


def _notify_message(ticket, message):
    """A public message reaches the other side: customer or assignee."""
    if message.is_internal:
        return  # internal notes never reach a customer
    author = message.author
    if author.is_customer:
        recipients = [(ticket.assignee, "customer-replied", ticket.assignee)]
        # An organization admin answering a colleague's ticket: the colleague hears of it too.
        recipients.append((ticket.requester, "agent-replied", author))
    else:
        recipients = [(ticket.requester, "agent-replied", author)]
    for recipient, slug, agent in recipients:
        if recipient is None or recipient.pk == author.pk:
            continue
        email_from_template(
            recipient,
            key=f"ticket:{ticket.pk}:message:{message.pk}:user:{recipient.pk}",
            slug=slug,
            values=lambda _user, agent=agent: {**ticket_values(ticket, agent), **message_values(message)},
            reference=ticket.ref,
        )


# --- tickets ---------------------------------------------------------------------------------


def create_ticket(
    actor,
    *,
    requester,
    subject,
    description,
    priority=None,
    category=None,
    channel="web",
    language=None,
    queue=None,
    attachments=(),
    inbound_address="",
    acknowledge=True,
    tags=(),
):
    """Open a ticket for `requester`'s organization, triage it, and acknowledge it by email.

    The description becomes the first public message of the timeline.
    Triage (helpdesk.triage) decides what the caller left open: category,
    priority, language and queue before the ticket is saved, so the SLA
    clocks start on the right priority; then the assignee. A value the
    caller gives is kept.
    `acknowledge=False` is for tickets we open ourselves (proactive ones):
    the customer did not ask, so "we have your request" would be wrong.
    `tags` (Tag rows) are put on the ticket as it opens, with their event,
    beside those triage adds.
    """
    if requester.organization_id is None:
        raise NotAllowed(_("The requester belongs to no organization."))
    now = timezone.now()
    attachments = list(attachments)
    given = {"priority": priority, "category": category, "language": language, "queue": queue}
    explicit = {name: value for name, value in given.items() if value is not None}
    # What a customer picks on the portal is their view, which the admin's rules may overrule; an agent's is kept.
    customer_said = {}
    if not actor.is_agent:
        customer_said = {name: explicit.pop(name) for name in ("priority", "category") if name in explicit}
    with transaction.atomic():
        decision = triage.decide(
            subject=subject,
            body=description,
            requester=requester,
            channel=channel,
            at=now,
            explicit=explicit,
            customer_said=customer_said,
            inbound_address=inbound_address,
            profile_language=requester.language,
            attachments=len(attachments),
        )
        ticket = Ticket(
            requester=requester,
            # The instance triage has read (with its tier): the SLA clocks and the notices read it again otherwise.
            organization=requester.organization,
            subject=subject.strip(),
            description=description,
            category=category,
            channel=channel,
            language=language or requester.language or settings.LANGUAGE_CODE,
            queue=queue,
            created_at=now,
            updated_at=now,
            last_public_at=now,
        )
        if "priority" in explicit:
            ticket.priority = priority
        triage.apply_fields(ticket, decision)
        ticket.save()
        message = Message.objects.create(
            ticket=ticket, author=actor, body=description, body_html=render_markdown(description), created_at=now
        )
        _save_attachments(message, attachments)
        record_event(
            ticket,
            actor,
            EventKind.CREATED,
            message=message,
            is_public=True,
            at=now,
            data={"channel": channel},
        )
        if tags:
            ticket.tags.add(*tags)
            names = [tag.name for tag in tags]
            record_event(ticket, actor, EventKind.TAGS, at=now, data={"added": names, "removed": []})
        triage.record(ticket, decision, now)
        clocks.start_ticket_clocks(ticket, now)
        apply_arrival_rules(actor, ticket, now)
        triage.finish(actor, ticket, decision, now)
        tickets_changed()
        if acknowledge:
            transaction.on_commit(lambda: _notify_created(ticket))
        ticket_created.send(sender=Ticket, ticket=ticket, actor=actor)
    return ticket


def reply_to_ticket(
    actor, ticket, *, body, internal=False, attachments=(), seen_event_id=None, force=False, notify=True
):
    """Add a public reply or an internal note.

    `notify=False` writes the reply without telling the other side: for a
    caller that has already reached them about the same thing (an incident
    update sent to the requester as a notice).

    If `seen_event_id` is given and someone else has written on the ticket
    since, StaleReply is raised with the new messages unless `force` is set,
    so nobody answers a customer without having read the latest word.
    A customer's reply reopens a ticket waiting on them or resolved; an
    agent's first public reply moves a new ticket to open.
    """
    if internal and not actor.is_agent:
        raise NotAllowed(_("Only agents can write internal notes."))
    if actor.is_customer and ticket.status == Status.CLOSED:
        raise NotAllowed(_("This ticket is closed. Reopen it to reply."))
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if seen_event_id is not None and not force:
            newer = list(
                Message.objects.filter(ticket=ticket, event__pk__gt=seen_event_id)
                .exclude(author=actor)
                .select_related("author")
            )
            if actor.is_customer:
                # Neither internal notes nor replies still held in a macro's undo window reach the customer.
                newer = [m for m in newer if not m.is_internal and not (m.held_until and m.held_until > now)]
            if newer:
                raise StaleReply(newer)
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            body=body,
            body_html=render_markdown(body),
            is_internal=internal,
            created_at=now,
        )
        _save_attachments(message, attachments)
        record_event(
            ticket,
            actor,
            EventKind.NOTE if internal else EventKind.REPLIED,
            message=message,
            is_public=not internal,
            at=now,
        )
        fields = []
        if not internal:
            ticket.last_public_at = now
            fields.append("last_public_at")
            if actor.is_agent:
                clocks.on_agent_public_reply(ticket, now)
            customer_answered = actor.is_customer and ticket.status in (Status.WAITING, Status.RESOLVED)
            agent_took_it_up = actor.is_agent and ticket.status == Status.NEW
            if customer_answered or agent_took_it_up:
                _set_status(actor, ticket, Status.OPEN, now)
                fields += ["status", "resolved_at"]
        touch(ticket, now, *fields)
        if notify:
            transaction.on_commit(lambda: _notify_message(ticket, message))
    return message


def _set_status(actor, ticket, status, now):
    old = ticket.status
    ticket.status = status
    if status in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
    clocks.on_status_change(ticket, old, status, now)
    record_event(ticket, actor, EventKind.STATUS, data={"from": old, "to": status}, is_public=True, at=now)
    change = status_change_kind(old, status)
    if change:
        announce_status_change({change: [ticket.pk]}, actor=actor, at=now)


def claim_ticket(actor, ticket):
    """Take an unassigned ticket. Two agents claiming at once: one wins, one is told."""
    now = timezone.now()
    with transaction.atomic():
        won = Ticket.objects.filter(pk=ticket.pk, assignee__isnull=True).update(
            assignee=actor, updated_at=now, version=F("version") + 1
        )
        if not won:
            current = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
            if current.assignee_id == actor.pk:
                return current
            raise TicketConflict(_("%(name)s has already taken this ticket.") % {"name": current.assignee.display_name})
        record_event(ticket, actor, EventKind.ASSIGNED, data=_person_change(None, actor), at=now)
        tickets_changed()
    ticket.refresh_from_db()
    return ticket


def _person_change(old, new):
    return {
        "from": old.display_name if old else None,
        "from_id": old.pk if old else None,
        "to": new.display_name if new else None,
        "to_id": new.pk if new else None,
    }


# Fields an agent edits inline, with the event kind each change writes.
EDITABLE_FIELDS = {
    "status": EventKind.STATUS,
    "priority": EventKind.PRIORITY,
    "category": EventKind.CATEGORY,
    "assignee": EventKind.ASSIGNED,
    "level": EventKind.LEVEL,
    "queue": EventKind.QUEUE,
}


def update_ticket(actor, ticket, *, expected_version=None, **changes):
    """Change ticket fields inline and log each change.

    With `expected_version`, a change made from a page that is out of date
    raises TicketConflict instead of overwriting someone else's edit.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    now = timezone.now()
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("assignee", "category", "queue")
            .get(pk=ticket.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise TicketConflict(_("Someone else changed this ticket a moment ago. Review it and try again."))
        fields = _apply_changes(actor, current, changes, now)
        if fields:
            touch(current, now, *fields)
        if "category" in fields:
            triage_services.note_category_change(actor, current, now)
        if {"priority", "category"} & set(fields) and current.is_open:
            # Raised to critical, or moved to a routed category: the same rules as on arrival.
            apply_arrival_rules(actor, current, now)
    return current


def _apply_changes(actor, ticket, changes, now):
    fields = []
    for field, value in changes.items():
        old = getattr(ticket, field)
        if old == value:
            continue
        if field == "status":
            _set_status(actor, ticket, value, now)
            fields += ["status", "resolved_at"]
            continue
        setattr(ticket, field, value)
        fields.append(field)
        if field == "priority":
            clocks.on_priority_change(ticket, now)
        elif field == "level":
            clocks.on_level_change(ticket, old, value, now)
        if field == "assignee":
            data = _person_change(old, value)
        elif field in ("category", "queue"):
            data = {"from": str(old) if old else None, "to": str(value) if value else None}
        else:
            data = {"from": old, "to": value}
        record_event(ticket, actor, EDITABLE_FIELDS[field], data=data, at=now)
    return fields


def bulk_update_tickets(actor, ticket_ids, *, assignee=None, unassign=False, status=None, priority=None):
    """Apply one change to many tickets set-wise: one UPDATE per field, events in bulk.

    Returns how many tickets changed.
    """
    now = timezone.now()
    changed = set()
    with transaction.atomic():
        base = Ticket.objects.filter(pk__in=ticket_ids)
        events = []
        if assignee is not None or unassign:
            target = None if unassign else assignee
            rows = list(base.exclude(assignee=target) if target else base.filter(assignee__isnull=False))
            old_people = {u.pk: u for u in User.objects.filter(pk__in={r.assignee_id for r in rows})}
            for row in rows:
                data = _person_change(old_people.get(row.assignee_id), target)
                events.append(TicketEvent(ticket=row, actor=actor, kind=EventKind.ASSIGNED, data=data, created_at=now))
            Ticket.objects.filter(pk__in=[r.pk for r in rows]).update(assignee=target)
            changed.update(r.pk for r in rows)
        if status is not None:
            rows = status_rows = list(base.exclude(status=status).values_list("pk", "status"))
            for pk, old in rows:
                events.append(
                    TicketEvent(
                        ticket_id=pk,
                        actor=actor,
                        kind=EventKind.STATUS,
                        is_public=True,
                        data={"from": old, "to": status},
                        created_at=now,
                    )
                )
            ids = [pk for pk, _old in rows]
            done = status in (Status.RESOLVED, Status.CLOSED)
            qs = Ticket.objects.filter(pk__in=ids)
            if done:
                qs.filter(resolved_at__isnull=True).update(resolved_at=now)
            else:
                qs.update(resolved_at=None)
            qs.update(status=status)
            changed.update(ids)
            by_change = {}
            for pk, old in rows:
                change = status_change_kind(old, status)
                if change:
                    by_change.setdefault(change, []).append(pk)
            announce_status_change(by_change, actor=actor, at=now)
        if priority is not None:
            rows = list(base.exclude(priority=priority).values_list("pk", "priority"))
            for pk, old in rows:
                events.append(
                    TicketEvent(
                        ticket_id=pk,
                        actor=actor,
                        kind=EventKind.PRIORITY,
                        data={"from": old, "to": priority},
                        created_at=now,
                    )
                )
            Ticket.objects.filter(pk__in=[pk for pk, _old in rows]).update(priority=priority)
            changed.update(pk for pk, _old in rows)
            priority_changed = [pk for pk, _old in rows]
        _bulk_clock_effects(
            actor,
            now,
            old_statuses=dict(status_rows) if status is not None else {},
            new_status=status,
            priority_changed=priority_changed if priority is not None else [],
        )
        TicketEvent.objects.bulk_create(events)
        tickets_changed()
        Ticket.objects.filter(pk__in=changed).update(updated_at=now, version=F("version") + 1)
    return len(changed)


def _bulk_clock_effects(actor, now, *, old_statuses, new_status, priority_changed):
    """SLA clocks follow a bulk change. Pauses and resolutions are set-wise; resuming,
    reopening and a new priority need each ticket's own calendar and history, so those
    go ticket by ticket (bounded by the selection, and only for tickets with clocks)."""
    per_ticket = clocks.bulk_status_change(old_statuses, new_status, now)
    if priority_changed:
        per_ticket["priority"] = list(
            Ticket.objects.filter(pk__in=priority_changed).exclude(sla_terms={}).values_list("pk", flat=True)
        )
    ids = {pk for pks in per_ticket.values() for pk in pks}
    if not ids:
        return
    for ticket in Ticket.objects.filter(pk__in=ids).select_related("organization__tier"):
        if ticket.pk in per_ticket.get("status", ()):
            clocks.on_status_change(ticket, old_statuses[ticket.pk], ticket.status, now)
        if ticket.pk in per_ticket.get("priority", ()):
            clocks.on_priority_change(ticket, now)
        ticket.save(update_fields=[*TICKET_SLA_FIELDS, "reopen_count"])
        if ticket.pk in per_ticket.get("priority", ()) and ticket.status in OPEN_STATUSES:
            apply_arrival_rules(actor, ticket, now)


def close_ticket(actor, ticket):
    """The customer (or an agent) closes a ticket they consider done."""
    if ticket.status == Status.CLOSED:
        return ticket
    return update_ticket(actor, ticket, status=Status.CLOSED)


def reopen_ticket(actor, ticket):
    """Bring a resolved or closed ticket back to open."""
    if ticket.status in OPEN_STATUSES:
        return ticket
    return update_ticket(actor, ticket, status=Status.OPEN)


def latest_event_id(ticket):
    return ticket.events.aggregate(m=Max("pk"))["m"] or 0


def answer_escalation_request(actor, ticket, *, answer, escalate_to=None, package=None):
    """Answer the customer's open request in public; optionally escalate with a full package."""
    if not (answer or "").strip():
        raise NotAllowed(_("Write the answer the customer will read."))
    with transaction.atomic():
        request = EscalationRequest.objects.select_for_update().filter(ticket=ticket, answered_at__isnull=True).first()
        if request is None:
            raise NotAllowed(_("There is no open escalation request on this ticket."))
        if escalate_to:
            escalation.escalate_ticket(
                actor, ticket, to_level=escalate_to, kind=HandoffKind.CUSTOMER, **(package or {})
            )
        reply_to_ticket(actor, Ticket.objects.get(pk=ticket.pk), body=answer)
        now = timezone.now()
        EscalationRequest.objects.filter(pk=request.pk).update(
            answered_at=now, answered_by=actor, answer=answer, escalated=bool(escalate_to)
        )
        Ticket.objects.filter(pk=ticket.pk).update(escalation_requested_at=None)
        record_event(
            ticket, actor, EventKind.ESCALATION_ANSWERED, at=now, is_public=True, data={"escalated": bool(escalate_to)}
        )
    return request


def update_contact_preferences(actor, user, *, language, time_zone, preferred_channel, backup_channel, phone):
    """A customer's own language, time zone, channels and phone; used by every later message to them."""
    if actor.pk != user.pk and not actor.is_agent:
        raise NotAllowed(_("You can only change your own preferences."))
    user.language = language
    user.time_zone = time_zone
    user.preferred_channel = preferred_channel
    user.backup_channel = backup_channel
    user.phone = phone
    user.save(update_fields=["language", "time_zone", "preferred_channel", "backup_channel", "phone"])
    return user
