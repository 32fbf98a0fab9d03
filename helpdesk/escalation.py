"""Escalation: handing a ticket to another support level with everything it needs.

Manual escalations carry a handoff package whose fields are required; the
customer communication so far is attached automatically. Automatic ones
(priority or category on arrival, time at a level) write the package from
what they know. Every escalation notifies the receiving level and copies the
team lead; from L3 up the managers get a short summary.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clocks
from .models import (
    EscalationRequest,
    EscalationRule,
    EscalationTrigger,
    EventKind,
    Handoff,
    HandoffKind,
    Message,
    Priority,
    Role,
    SupportLevel,
    Ticket,
    User,
)
from .replies import ticket_values
from .timeline import (
    NotAllowed,
    email_from_template,
    local_time,
    message_template,
    record_event,
    tickets_changed,
    touch,
)

HANDOFF_FIELDS = ("summary", "impact", "steps_tried", "next_step")
COMMUNICATION_LIMIT = 8000


def customer_communication(ticket):
    """The public conversation so far as plain text, newest last, for the handoff package."""
    lines = []
    for message in Message.objects.filter(ticket=ticket, is_internal=False).select_related("author"):
        lines.append(
            f"— {message.created_at:%Y-%m-%d %H:%M} UTC, {message.author.display_name}:\n{message.body.strip()}"
        )
    text = "\n\n".join(lines)
    if len(text) > COMMUNICATION_LIMIT:
        text = "…\n" + text[-COMMUNICATION_LIMIT:]
    return text


def _receivers(ticket, level):
    """Agents of the receiving level (in the ticket's team when it has one) and the team leads."""
    team_id = ticket.queue.team_id if ticket.queue_id and ticket.queue else None
    agents = User.objects.agents().filter(support_level=level)
    leads = User.objects.filter(role=Role.TEAM_LEAD, is_active=True)
    if team_id:
        agents = agents.filter(team_id=team_id)
        leads = leads.filter(team_id=team_id)
    return list(agents), list(leads)


def _handoff_values(ticket, handoff):
    """What an escalation notice says, for one recipient (labels and times in their language and zone)."""

    def values(user):
        return {
            **ticket_values(ticket, ticket.assignee),
            "from_level": str(SupportLevel(handoff.from_level).label),
            "to_level": str(SupportLevel(handoff.to_level).label),
            "reason": handoff.summary,
            "handoff_kind": str(handoff.get_kind_display()),
            "handed_by": handoff.created_by.display_name if handoff.created_by else "",
            "acknowledge_by": local_time(handoff.acknowledge_due, user) or "—",
            "summary": handoff.summary,
            "impact": handoff.impact,
            "steps_tried": handoff.steps_tried,
            "next_step": handoff.next_step,
            "tier": ticket.organization.tier.name,
        }

    return values


def _notify_escalation(ticket, handoff):
    agents, leads = _receivers(ticket, handoff.to_level)
    values = _handoff_values(ticket, handoff)
    notice = message_template("escalated-to-you")
    for person in {p.pk: p for p in [*agents, *leads]}.values():
        email_from_template(
            person,
            key=f"ticket:{ticket.pk}:handoff:{handoff.pk}:user:{person.pk}",
            slug="escalated-to-you",
            template=notice,
            values=values,
            reference=ticket.ref,
        )
    if handoff.to_level >= SupportLevel.L3:
        summary = message_template("escalation-summary")
        for manager in User.objects.filter(role=Role.MANAGER, is_active=True):
            email_from_template(
                manager,
                key=f"ticket:{ticket.pk}:handoff:{handoff.pk}:summary:user:{manager.pk}",
                slug="escalation-summary",
                template=summary,
                values=values,
                reference=ticket.ref,
            )


def _hand_over(actor, ticket, *, to_level, kind, now, package, to_queue=None):
    """Move the (locked) ticket to `to_level`, write the handoff and the event, notify after commit."""
    from_level = ticket.level
    handoff = Handoff.objects.create(
        ticket=ticket,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        created_by=actor,
        created_at=now,
        communication=customer_communication(ticket),
        **package,
    )
    fields = ["level"]
    ticket.level = to_level
    clocks.on_level_change(ticket, from_level, to_level, now)
    if to_queue is not None and ticket.queue_id != to_queue.pk:
        ticket.queue = to_queue
        fields.append("queue")
    upward = to_level > from_level
    if upward:
        ticket.escalation_count += 1
        ticket.handoff_pending_since = now
        ack = ticket.clocks.filter(target="acknowledgement").running().values_list("due_at", flat=True).first()
        if ack:
            handoff.acknowledge_due = ack
            handoff.save(update_fields=["acknowledge_due"])
        grace = clocks.grant_escalation_grace(ticket, now)
    else:
        ticket.handoff_pending_since = None
        grace = 0
    fields += ["escalation_count", "handoff_pending_since"]
    record_event(
        ticket,
        actor,
        EventKind.ESCALATED if upward else EventKind.DEESCALATED,
        at=now,
        data={
            "from": from_level,
            "to": to_level,
            "kind": kind,
            "handoff": handoff.pk,
            "queue": str(to_queue) if to_queue else None,
            "grace_minutes": grace,
        },
    )
    touch(ticket, now, *fields)
    tickets_changed()
    if upward:
        transaction.on_commit(lambda: _notify_escalation(ticket, handoff))
    return handoff


def _locked(ticket):
    return Ticket.objects.select_for_update(of=("self",)).select_related("queue").get(pk=ticket.pk)


def escalate_ticket(actor, ticket, *, to_level, summary, impact, steps_tried, next_step, kind=HandoffKind.MANUAL):
    """Hand the ticket to a higher level with a complete handoff package.

    Every package field is required: the receiving level must not have to ask
    what was already tried or what the customer was told.
    """
    package = {"summary": summary, "impact": impact, "steps_tried": steps_tried, "next_step": next_step}
    missing = [name for name, value in package.items() if not (value or "").strip()]
    if missing:
        raise NotAllowed(_("A handoff needs a summary, the customer impact, the steps tried and a next step."))
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        if not ticket.is_open:
            raise NotAllowed(_("Only open tickets can be escalated."))
        if not (ticket.level < to_level <= SupportLevel.L4):
            raise NotAllowed(_("Escalation goes to a higher support level."))
        return _hand_over(actor, ticket, to_level=to_level, kind=kind, now=now, package=package)


def deescalate_ticket(actor, ticket, *, to_level, reason):
    """Hand the ticket back down, saying why; logged like any escalation."""
    if not (reason or "").strip():
        raise NotAllowed(_("Say why the ticket goes back to a lower level."))
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        if not (SupportLevel.L1 <= to_level < ticket.level):
            raise NotAllowed(_("De-escalation goes to a lower support level."))
        return _hand_over(
            actor, ticket, to_level=to_level, kind=HandoffKind.DEESCALATION, now=now, package={"summary": reason}
        )


def acknowledge_handoff(actor, ticket):
    """The receiving level confirms it has the ticket; meets the acknowledgement target."""
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        handoff = ticket.handoffs.filter(acknowledged_at__isnull=True, to_level=ticket.level).first()
        if handoff is None:
            return None
        Handoff.objects.filter(pk=handoff.pk).update(acknowledged_at=now, acknowledged_by=actor)
        ticket.handoff_pending_since = None
        clocks.acknowledge_handoff(ticket, now)
        record_event(ticket, actor, EventKind.HANDOFF_ACKNOWLEDGED, at=now, data={"handoff": handoff.pk})
        touch(ticket, now, "handoff_pending_since")
    return handoff


def apply_arrival_rules(actor, ticket, now):
    """Priority and category rules, when a ticket arrives or its priority or category changes.

    Called by the ticket services inside their transaction. Raises the level
    (never lowers it) and moves the ticket to a rule's queue.
    """
    rules = list(
        EscalationRule.objects.filter(is_active=True)
        .filter(
            Q(trigger=EscalationTrigger.PRIORITY, priority=ticket.priority)
            | Q(trigger=EscalationTrigger.CATEGORY, category_id=ticket.category_id or 0)
        )
        .select_related("to_queue")
    )
    if not rules:
        return None
    to_level = max([rule.to_level for rule in rules if rule.to_level] + [ticket.level])
    queue_rule = next((rule for rule in rules if rule.to_queue_id), None)
    to_queue = queue_rule.to_queue if queue_rule else None
    if to_level == ticket.level and (to_queue is None or to_queue.pk == ticket.queue_id):
        return None
    by_category = any(rule.trigger == EscalationTrigger.CATEGORY for rule in rules)
    kind = HandoffKind.CATEGORY if by_category and to_level == ticket.level else HandoffKind.PRIORITY
    names = ", ".join(rule.name for rule in rules)
    package = {
        "summary": _("Escalated automatically by rule: %(rules)s.") % {"rules": names},
        "impact": _("Priority %(priority)s.") % {"priority": Priority(ticket.priority).label},
    }
    if to_level == ticket.level:
        # Only the queue changes: routing, not a handoff between levels.
        old = ticket.queue
        ticket.queue = to_queue
        record_event(
            ticket, actor, EventKind.QUEUE, at=now, data={"from": str(old) if old else None, "to": str(to_queue)}
        )
        touch(ticket, now, "queue")
        return None
    return _hand_over(actor, ticket, to_level=to_level, kind=kind, now=now, package=package, to_queue=to_queue)


def request_escalation(customer, ticket, *, reason):
    """A customer asks for escalation; the team sees the request until someone answers it."""
    if not (reason or "").strip():
        raise NotAllowed(_("Tell us why the ticket needs escalating."))
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        if not ticket.is_open:
            raise NotAllowed(_("This ticket is no longer open."))
        if ticket.escalation_requests.filter(answered_at__isnull=True).exists():
            raise NotAllowed(_("You have already asked for this ticket to be escalated; the team will answer soon."))
        request = EscalationRequest.objects.create(ticket=ticket, requested_by=customer, reason=reason, created_at=now)
        ticket.escalation_requested_at = now
        record_event(
            ticket, customer, EventKind.ESCALATION_REQUESTED, at=now, is_public=True, data={"reason": reason[:500]}
        )
        touch(ticket, now, "escalation_requested_at")
        transaction.on_commit(lambda: _notify_request(ticket, request))
    return request


def _notify_request(ticket, request):
    people = [ticket.assignee] if ticket.assignee else []
    _agents, leads = _receivers(ticket, ticket.level)
    template = message_template("escalation-requested")
    for person in {p.pk: p for p in [*people, *leads]}.values():
        email_from_template(
            person,
            key=f"ticket:{ticket.pk}:esc-request:{request.pk}:user:{person.pk}",
            slug="escalation-requested",
            template=template,
            values=lambda _user: {**ticket_values(ticket, ticket.assignee), "reason": request.reason},
            reference=ticket.ref,
        )
