"""Routing: which queue a ticket lands in and which agent of it takes the ticket.

Assignment is safe under concurrency without a stored counter: the eligible
agents' rows are locked (always in primary-key order, so two transactions
never wait on each other in a circle), and only then are their open tickets
counted. A second ticket arriving at the same moment waits for the first to
commit and counts its assignment, so nobody goes over capacity. SQLite runs
write transactions one at a time, which gives the same guarantee. An agent a
triage rule names is locked in the same statement as the candidates, so a
rule respects capacity and availability like automatic assignment does.

Reasons are returned as parts (helpdesk.triage.reasons.why), not sentences.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from ..models import (
    STAFF_ROLES,
    AssignmentMode,
    EventKind,
    Ticket,
    TicketEvent,
    User,
)
from ..timeline import record_event, tickets_changed
from .reasons import why

ASSIGNABLE_ROLES = [role for role in STAFF_ROLES if role in ("agent", "team_lead")]


def route_queue(*, category, channel, inbound_address, tier):
    """(queue, reason part) from the first routing rule that fits, else the default queue, else (None, None)."""
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
        return rule.queue, why("route", name=rule.name)
    queue = current().default_queue
    if queue is not None:
        return queue, why("default_queue")
    return None, None


def level_for_complexity(complexity):
    """The support level a ticket of this complexity needs (None: any): complex work goes up a level."""
    from ..models import Complexity

    level = settings.FIRSTLINE_TRIAGE_COMPLEX_LEVEL
    return level if complexity == Complexity.COMPLEX and level else None


def _eligible(team_id, level):
    """Agents who may take a ticket of this team and level: active, available, with some capacity."""
    condition = Q(role__in=ASSIGNABLE_ROLES, is_active=True, is_available=True, capacity__gt=0)
    if team_id:
        condition &= Q(team_id=team_id)
    return condition & (Q(support_level__isnull=True) | Q(support_level__gte=level))


def _lock(condition):
    """Lock the matching agents, always in primary-key order (see the module docstring), with their skills."""
    return list(User.objects.select_for_update().filter(condition).order_by("pk").prefetch_related("skills"))


def _loads(agent_ids):
    """Open tickets per agent, counted after the agents are locked."""
    return dict(
        Ticket.objects.filter(assignee_id__in=agent_ids, is_open=1)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )


def _choose(ticket, agents, loads, *, mode):
    """The best agent with room among `agents` for `ticket`, and the parts of the reason; (None, []) if none.

    Best means, in this order: speaks the ticket's language, has the
    category among their skills, is at the ticket's own level, then the
    fewest open tickets (least loaded) or the longest since their last
    assignment (round robin).
    """
    with_room = [agent for agent in agents if loads.get(agent.pk, 0) < agent.capacity]
    if not with_room:
        return None, []
    category_id = ticket.category_id

    def skilled(agent):
        return category_id is not None and any(c.pk == category_id for c in agent.skills.all())

    def rank(agent):
        speaks = ticket.language in (agent.languages or [])
        same_level = agent.support_level == ticket.level
        last = agent.last_assigned_at.timestamp() if agent.last_assigned_at else 0
        turn = last if mode == AssignmentMode.ROUND_ROBIN else loads.get(agent.pk, 0)
        return (not speaks, not skilled(agent), not same_level, turn, last, agent.pk)

    chosen = min(with_room, key=rank)
    parts = []
    if ticket.language in (chosen.languages or []):
        parts.append(why("speaks", language=ticket.language))
    if skilled(chosen):
        parts.append(why("skilled", category=ticket.category.name))
    if mode == AssignmentMode.ROUND_ROBIN:
        parts.append(why("next_in_turn"))
    else:
        parts.append(why("least_loaded", load=loads.get(chosen.pk, 0), capacity=chosen.capacity))
    return chosen, parts


def _refusal(agent, loads, rule):
    """Why the agent a rule names cannot take the ticket now (a reason part), or None if they can."""
    name = agent.display_name
    if not (agent.is_active and agent.is_agent):
        return why("named_inactive", name=rule, agent=name)
    if not agent.is_available:
        return why("named_away", name=rule, agent=name)
    load = loads.get(agent.pk, 0)
    if load >= agent.capacity:
        return why("named_full", name=rule, agent=name, load=load, capacity=agent.capacity)
    return None


def assign_by_routing(
    ticket, *, now, mode=AssignmentMode.LEAST_LOADED, team=None, min_level=None, named=None, rule="", route=True
):
    """Give the (just created, unassigned) ticket to an agent with room; returns (agent or None, reason parts).

    `named` is the agent a triage rule (`rule`, its name) asks for: they take
    it if they are available and under capacity. Otherwise, or without one,
    and if `route`, the queue's automatic assignment picks the best available
    agent of the team (see `_choose`) at or above the ticket's level, or
    `min_level` (complex tickets). Nobody with room: the ticket waits in its
    queue, and the reason says why. The named agent and the candidates are
    locked together in one statement, so the order of locks stays the same
    in every transaction and nobody is counted before they are locked.
    """
    level = max(ticket.level, min_level or 0)
    team_id = team.pk if team else (ticket.queue.team_id if ticket.queue_id and ticket.queue else None)
    wanted = _eligible(team_id, level) if route else Q(pk__in=[])
    if named is not None:
        wanted |= Q(pk=named.pk)
    agents = _lock(wanted)
    loads = _loads([agent.pk for agent in agents])
    parts = []
    if named is not None:
        held = next((agent for agent in agents if agent.pk == named.pk), None)
        refused = (
            _refusal(held, loads, rule)
            if held is not None
            else why("named_inactive", name=rule, agent=named.display_name)
        )
        if refused is None:
            User.objects.filter(pk=held.pk).update(last_assigned_at=now)
            return held, [why("rule", name=rule)]
        parts.append(refused)
        agents = [agent for agent in agents if agent.pk != named.pk]
        if not route:
            return None, [*parts, why("waits_in_queue")]
    if level > ticket.level:
        parts.append(why("needs_level", level=level))
    if not agents:
        return None, [*parts, why("no_agent")]
    chosen, chosen_parts = _choose(ticket, agents, loads, mode=mode)
    if chosen is None:
        return None, [*parts, why("all_full")]
    User.objects.filter(pk=chosen.pk).update(last_assigned_at=now)
    return chosen, [*parts, *chosen_parts]


def release_from_away_agents(*, now=None):
    """Tickets held by agents away longer than the setting go back to their queue and are routed again.

    Set-wise: the tickets are read and locked in one statement, unassigned
    in one, and re-routed together: every agent who could take any of them
    is locked once (in primary-key order, like a single assignment), their
    loads counted once, and each ticket, most urgent first, goes to the best
    available agent with room for it (its queue's team, its level, or higher
    for complex work) as the queue's automatic assignment would choose; the
    chosen agents are written in one statement and every move gets one
    timeline entry with its reason. A manual queue, or nobody with room,
    leaves the ticket in its queue. Returns how many tickets were released;
    a second run, or one running at the same time (it waits for the locks),
    finds nothing left to release.
    """
    from ..models import Complexity

    now = now or timezone.now()
    minutes = settings.FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(is_open=1, assignee__is_available=False, assignee__away_since__lte=cutoff)
            .select_related("assignee", "queue", "category")
            .annotate(triage_complexity=F("triage__complexity"))
            .order_by("priority", "created_at", "pk")
        )
        if not tickets:
            return 0
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(
            assignee=None, updated_at=now, version=F("version") + 1
        )
        routable = [t for t in tickets if t.queue is not None and t.queue.assignment != AssignmentMode.MANUAL]

        def level_of(ticket):
            complex_level = level_for_complexity(
                Complexity.COMPLEX if ticket.triage_complexity == Complexity.COMPLEX else ""
            )
            return max(ticket.level, complex_level or 0)

        agents, loads = [], {}
        if routable:
            teams = {t.queue.team_id for t in routable}
            condition = _eligible(None, min(level_of(t) for t in routable))
            if None not in teams:
                condition &= Q(team_id__in=teams)
            agents = _lock(condition)
            loads = _loads([agent.pk for agent in agents])
        chosen = {}
        for ticket in routable:
            level = level_of(ticket)
            pool = [
                agent
                for agent in agents
                if (ticket.queue.team_id is None or agent.team_id == ticket.queue.team_id)
                and (agent.support_level is None or agent.support_level >= level)
            ]
            agent, parts = _choose(ticket, pool, loads, mode=ticket.queue.assignment)
            if level > ticket.level:
                parts = [why("needs_level", level=level), *parts]
            if agent is not None:
                loads[agent.pk] = loads.get(agent.pk, 0) + 1
                agent.last_assigned_at = now
            chosen[ticket.pk] = (agent, parts or [why("all_full" if pool else "no_agent")])
        taken = {pk: agent for pk, (agent, _parts) in chosen.items() if agent is not None}
        if taken:
            Ticket.objects.filter(pk__in=list(taken)).update(
                assignee_id=Case(*[When(pk=pk, then=Value(agent.pk)) for pk, agent in taken.items()])
            )
            User.objects.filter(pk__in={agent.pk for agent in taken.values()}).update(last_assigned_at=now)
        events = []
        for ticket in tickets:
            agent, parts = chosen.get(ticket.pk, (None, [why("waits_in_queue")]))
            events.append(
                TicketEvent(
                    ticket_id=ticket.pk,
                    actor=None,
                    kind=EventKind.ASSIGNED,
                    created_at=now,
                    data={
                        "from": ticket.assignee.display_name,
                        "from_id": ticket.assignee_id,
                        "to": agent.display_name if agent else None,
                        "to_id": agent.pk if agent else None,
                        "why": [why("away_release", minutes=minutes), *parts],
                    },
                )
            )
        TicketEvent.objects.bulk_create(events)
        tickets_changed()
    return len(tickets)


def record_assignment(ticket, agent, parts, now):
    record_event(
        ticket,
        None,
        EventKind.ASSIGNED,
        at=now,
        data={"from": None, "from_id": None, "to": agent.display_name, "to_id": agent.pk, "why": parts},
    )
