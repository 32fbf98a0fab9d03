"""Routing: which queue a ticket lands in and which agent of it takes the ticket.

Assignment is safe under concurrency without a stored counter: the eligible
agents' rows are locked (always in primary-key order, so two transactions
never wait on each other in a circle), and only then are their open tickets
counted. A second ticket arriving at the same moment waits for the first to
commit and counts its assignment, so nobody goes over capacity. SQLite runs
write transactions one at a time, which gives the same guarantee.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    STAFF_ROLES,
    AssignmentMode,
    EventKind,
    Ticket,
    TicketEvent,
    User,
)
from ..timeline import record_event, tickets_changed

ASSIGNABLE_ROLES = [role for role in STAFF_ROLES if role in ("agent", "team_lead")]


def route_queue(*, category, channel, inbound_address, tier):
    """(queue, reason) from the first routing rule that fits, else the default queue, else (None, "")."""
    from .config import current

    rules = current().routes
    address = (inbound_address or "").lower()
    for rule in rules:
        if rule.category_id and (category is None or rule.category_id != category.pk):
            continue
        if rule.channel and rule.channel != channel:
            continue
        if rule.inbound_address and rule.inbound_address.lower() != address:
            continue
        if rule.tier_id and (tier is None or rule.tier_id != tier.pk):
            continue
        return rule.queue, _("routing rule “%(name)s”") % {"name": rule.name}
    queue = current().default_queue
    if queue is not None:
        return queue, _("default queue")
    return None, ""


def _candidates(ticket, *, team=None):
    """Agents who may take the ticket: active, available, of its team, at or above its level."""
    team_id = team.pk if team else (ticket.queue.team_id if ticket.queue_id and ticket.queue else None)
    agents = User.objects.filter(role__in=ASSIGNABLE_ROLES, is_active=True, is_available=True, capacity__gt=0)
    if team_id:
        agents = agents.filter(team_id=team_id)
    return agents.filter(Q(support_level__isnull=True) | Q(support_level__gte=ticket.level))


def assign_by_routing(ticket, *, now, mode=AssignmentMode.LEAST_LOADED, team=None):
    """Give the (just created, unassigned) ticket to the best agent who has room; returns (agent, reason).

    Best means, in this order: speaks the ticket's language, has the
    category among their skills, is at the ticket's own level, then the
    fewest open tickets (least loaded) or the longest since their last
    assignment (round robin). Nobody with room: the ticket waits in its queue.
    """
    candidate_ids = list(_candidates(ticket, team=team).values_list("pk", flat=True))
    if not candidate_ids:
        return None, _("no available agent in the queue's team")
    # Lock first, then count: see the module docstring.
    agents = list(
        User.objects.select_for_update().filter(pk__in=candidate_ids).order_by("pk").prefetch_related("skills")
    )
    loads = dict(
        Ticket.objects.filter(assignee_id__in=candidate_ids, is_open=1)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    with_room = [agent for agent in agents if loads.get(agent.pk, 0) < agent.capacity]
    if not with_room:
        return None, _("every available agent is at capacity")
    category_id = ticket.category_id

    def rank(agent):
        speaks = ticket.language in (agent.languages or [])
        skilled = category_id is not None and any(c.pk == category_id for c in agent.skills.all())
        same_level = agent.support_level == ticket.level
        if mode == AssignmentMode.ROUND_ROBIN:
            turn = agent.last_assigned_at.timestamp() if agent.last_assigned_at else 0
        else:
            turn = loads.get(agent.pk, 0)
        last = agent.last_assigned_at.timestamp() if agent.last_assigned_at else 0
        return (not speaks, not skilled, not same_level, turn, last, agent.pk)

    chosen = min(with_room, key=rank)
    why = []
    if ticket.language in (chosen.languages or []):
        why.append(_("speaks %(language)s") % {"language": ticket.get_language_display()})
    if category_id and any(c.pk == category_id for c in chosen.skills.all()):
        why.append(_("skilled in %(category)s") % {"category": ticket.category})
    if mode == AssignmentMode.ROUND_ROBIN:
        why.append(_("next in turn"))
    else:
        why.append(
            _("least loaded (%(load)s of %(capacity)s open)")
            % {"load": loads.get(chosen.pk, 0), "capacity": chosen.capacity}
        )
    User.objects.filter(pk=chosen.pk).update(last_assigned_at=now)
    return chosen, ", ".join(why)


def release_from_away_agents(*, now=None):
    """Tickets held by agents away longer than the setting go back to their queue, set-wise; returns how many.

    Runs on a schedule; a second run finds nothing left to release.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES)
    with transaction.atomic():
        rows = list(
            Ticket.objects.filter(
                is_open=1, assignee__is_available=False, assignee__away_since__lte=cutoff
            ).values_list("pk", "assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username")
        )
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        Ticket.objects.filter(pk__in=ids, assignee__is_available=False).update(
            assignee=None, updated_at=now, version=F("version") + 1
        )
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=pk,
                actor=None,
                kind=EventKind.ASSIGNED,
                created_at=now,
                data={
                    "from": f"{first} {last}".strip() or username,
                    "from_id": assignee_id,
                    "to": None,
                    "to_id": None,
                    "reason": _("back to the queue: the assignee has been away for %(minutes)s minutes")
                    % {"minutes": settings.FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES},
                },
            )
            for pk, assignee_id, first, last, username in rows
        )
        tickets_changed()
    return len(rows)


def record_assignment(ticket, agent, reason, now):
    record_event(
        ticket,
        None,
        EventKind.ASSIGNED,
        at=now,
        data={"from": None, "from_id": None, "to": agent.display_name, "to_id": agent.pk, "reason": reason},
    )
