"""SLA clocks: the terms a ticket runs on, and its targets from start to met or breached.

A ticket freezes its policy's terms (calendar, targets per priority, level
targets, time-based escalation rules) when it is opened, so later edits of a
policy never rewrite the history of running tickets; `recompute_open_tickets`
re-freezes them when an admin asks. Each target is an `SlaClock` row;
pauses and each support level's time with the ticket are `SlaInterval` rows.
The nearest running target is copied to `Ticket.sla_due_at` so queues sort by
it in SQL.

These functions are called by the ticket services inside their transaction,
with the ticket row already locked or freshly created; they never commit on
their own and never notify anybody (the sweep in `helpdesk.sweep` does).
"""

import json
from datetime import datetime
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone

from . import sla
from .models import (
    DONE_STATUSES,
    ClockTarget,
    EscalationRule,
    EscalationTrigger,
    IntervalKind,
    Priority,
    SlaClock,
    SlaInterval,
    SlaPolicy,
    Status,
    Weekday,
)
from .timeline import TICKET_SLA_FIELDS, record_event

PAUSED_STATUSES = (Status.WAITING, Status.ON_HOLD)


# --- terms ------------------------------------------------------------------------------


def policy_for_tier(tier):
    """The policy a tier names, or the default one; None when no policy is set up."""
    if tier is not None and tier.sla_policy_id:
        return SlaPolicy.objects.select_related("calendar").get(pk=tier.sla_policy_id)
    return SlaPolicy.objects.select_related("calendar").filter(is_default=True).first()


def freeze_terms(policy, tier, *, now=None):
    """Everything a ticket's clocks need from its policy, as plain JSON-able data."""
    rows = {}
    for target in policy.targets.filter(Q(tier=tier) | Q(tier__isnull=True)).order_by("tier_id"):
        # A tier's own row wins over the any-tier row for the same priority.
        if target.tier_id is not None or target.priority not in rows:
            rows[target.priority] = target
    levels = {}
    for row in policy.level_targets.all():
        levels.setdefault(str(row.level), {})[str(row.priority)] = {
            "acknowledge": row.acknowledge_minutes,
            "update": row.update_minutes,
        }
    escalation = {}
    for rule in EscalationRule.objects.filter(is_active=True, trigger=EscalationTrigger.TIME).order_by("after_minutes"):
        escalation.setdefault(str(rule.from_level), {"after": rule.after_minutes, "to": rule.to_level})
    return {
        "policy_id": policy.pk,
        "policy": policy.name,
        "frozen_at": (now or timezone.now()).isoformat(),
        "calendar": policy.calendar.to_snapshot(),
        "warn_percent": policy.warn_percent,
        "grace_minutes": policy.escalation_grace_minutes,
        "targets": {
            str(priority): {
                "first_response": row.first_response_minutes,
                "next_response": row.next_response_minutes,
                "resolution": row.resolution_minutes,
                "around_the_clock": row.around_the_clock,
            }
            for priority, row in rows.items()
        },
        "levels": levels,
        "escalation": escalation,
    }


@lru_cache(maxsize=256)
def _calendar(snapshot_json, always_open):
    snapshot = json.loads(snapshot_json)
    if always_open:
        return sla.Calendar.always(snapshot.get("time_zone") or "UTC")
    return sla.Calendar.from_snapshot(snapshot)


def calendar_for(terms, priority):
    """The calendar a priority's targets are measured in (24×7 when the target says so)."""
    target = terms.get("targets", {}).get(str(priority)) or {}
    snapshot = json.dumps(terms.get("calendar") or {}, sort_keys=True)
    return _calendar(snapshot, bool(target.get("around_the_clock")))


def target_minutes(terms, priority, target):
    """Minutes allowed for `target` at `priority`, or None when the terms set none."""
    row = terms.get("targets", {}).get(str(priority))
    if not row:
        return None
    return row.get(target)


def level_minutes(terms, level, priority, what):
    return (terms.get("levels", {}).get(str(level), {}).get(str(priority)) or {}).get(what)


# --- clocks -------------------------------------------------------------------------------


def _new_clock(ticket, target, *, minutes, start, cycle=1):
    calendar = calendar_for(ticket.sla_terms, ticket.priority)
    seconds = minutes * 60
    due = sla.add_business_time(calendar, start, seconds)
    warn = sla.warn_at(calendar, start, seconds, due, ticket.sla_terms.get("warn_percent", 75))
    return SlaClock(
        ticket=ticket,
        target=target,
        cycle=cycle,
        target_minutes=minutes,
        started_at=start,
        due_at=due,
        warn_at=warn,
        level=ticket.level,
    )


def _start(ticket, target, now, *, minutes=None, cycle=None):
    if minutes is None and target == ClockTarget.NEXT_RESPONSE and ticket.escalation_count:
        # After a handoff the level holding the ticket keeps its own update cadence.
        minutes = level_minutes(ticket.sla_terms, ticket.level, ticket.priority, "update")
    minutes = minutes or target_minutes(ticket.sla_terms, ticket.priority, target)
    if not minutes:
        return None
    if cycle is None:
        last = SlaClock.objects.filter(ticket=ticket, target=target).order_by("-cycle").values_list("cycle", flat=True)
        cycle = (last.first() or 0) + 1
    clock = _new_clock(ticket, target, minutes=minutes, start=now, cycle=cycle)
    if ticket.sla_paused_at:
        clock.paused_at = now
    clock.save()
    return clock


def start_ticket_clocks(ticket, now):
    """Freeze the terms and start first-response and resolution clocks of a new ticket.

    Saves the ticket's SLA fields; a ticket whose tier has no policy runs no clock.
    """
    policy = policy_for_tier(ticket.organization.tier)
    ticket.level_since = now
    SlaInterval.objects.create(ticket=ticket, kind=IntervalKind.LEVEL, level=ticket.level, started_at=now)
    if policy is None:
        ticket.save(update_fields=["level_since"])
        return
    ticket.sla_policy = policy
    ticket.sla_terms = freeze_terms(policy, ticket.organization.tier, now=now)
    _start(ticket, ClockTarget.FIRST_RESPONSE, now, cycle=1)
    _start(ticket, ClockTarget.RESOLUTION, now, cycle=1)
    _schedule_escalation(ticket, now)
    refresh_due(ticket)
    ticket.save(update_fields=["sla_policy", "sla_terms", *TICKET_SLA_FIELDS])


def _schedule_escalation(ticket, start):
    """When the time-based rule for the ticket's level escalates it, counting from `start`."""
    rule = ticket.sla_terms.get("escalation", {}).get(str(ticket.level))
    if not rule or ticket.status in DONE_STATUSES:
        ticket.escalate_at = None
        return
    calendar = calendar_for(ticket.sla_terms, ticket.priority)
    ticket.escalate_at = sla.add_business_time(calendar, start, rule["after"] * 60)


def refresh_due(ticket):
    """Copy the nearest running, unpaused target to the ticket (not saved)."""
    nearest = (
        SlaClock.objects.filter(ticket=ticket)
        .ticking()
        .order_by("due_at", "pk")
        .values_list("due_at", "target")
        .first()
    )
    ticket.sla_due_at, ticket.sla_due_target = nearest if nearest else (None, "")


def _meet(ticket, now, *targets):
    SlaClock.objects.filter(ticket=ticket, target__in=targets).running().update(met_at=now, paused_at=None)


def on_agent_public_reply(ticket, now):
    """A public reply from us meets the first and the current next response, and starts the next one."""
    if not ticket.sla_terms:
        return
    _meet(ticket, now, ClockTarget.FIRST_RESPONSE, ClockTarget.NEXT_RESPONSE)
    if ticket.status not in DONE_STATUSES:
        _start(ticket, ClockTarget.NEXT_RESPONSE, now)
    refresh_due(ticket)


def on_status_change(ticket, old, new, now):
    """Pause on waiting or on hold, resume after; resolving meets resolution; reopening restarts it."""
    if not ticket.sla_terms and old not in DONE_STATUSES:
        return
    was_paused, paused = old in PAUSED_STATUSES, new in PAUSED_STATUSES
    was_done, done = old in DONE_STATUSES, new in DONE_STATUSES
    if was_paused and not paused:
        _resume(ticket, now)
    if paused and not was_paused and not was_done:
        _pause(ticket, now, reason=new)
    if done and not was_done:
        _meet(ticket, now, ClockTarget.RESOLUTION)
        SlaClock.objects.filter(ticket=ticket).running().update(stopped_at=now, paused_at=None)
        SlaInterval.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
        ticket.escalate_at = None
    if was_done and not done:
        ticket.reopen_count += 1
        # A ticket without SLA terms never closed its level interval when resolved (see the guard above):
        # reopening it twice must not open a second one.
        SlaInterval.objects.get_or_create(
            ticket=ticket,
            kind=IntervalKind.LEVEL,
            ended_at=None,
            defaults={"level": ticket.level, "started_at": now},
        )
        ticket.level_since = now
        if ticket.sla_terms:
            # A reopened ticket gets a new resolution target, and the customer,
            # who just told us it is not fixed, is owed a reply.
            _start(ticket, ClockTarget.RESOLUTION, now)
            _start(ticket, ClockTarget.NEXT_RESPONSE, now)
            _schedule_escalation(ticket, now)
        if paused:
            _pause(ticket, now, reason=new)
    refresh_due(ticket)


def _pause(ticket, now, *, reason):
    ticket.sla_paused_at = now
    SlaClock.objects.filter(ticket=ticket).running().filter(paused_at__isnull=True).update(paused_at=now)
    SlaInterval.objects.get_or_create(
        ticket=ticket, kind=IntervalKind.PAUSE, ended_at=None, defaults={"reason": reason, "started_at": now}
    )


def _resume(ticket, now):
    paused_at = ticket.sla_paused_at
    ticket.sla_paused_at = None
    SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.PAUSE, ended_at__isnull=True).update(ended_at=now)
    if not ticket.sla_terms:
        return
    calendar = calendar_for(ticket.sla_terms, ticket.priority)
    percent = ticket.sla_terms.get("warn_percent", 75)
    for clock in SlaClock.objects.filter(ticket=ticket).running().filter(paused_at__isnull=False):
        clock.due_at = sla.resume_due(calendar, clock.due_at, clock.paused_at, now)
        if clock.warned_at is None:
            clock.warn_at = sla.warn_at(calendar, now, clock.target_minutes * 60, clock.due_at, percent)
        clock.paused_at = None
        clock.save(update_fields=["due_at", "warn_at", "paused_at"])
    if ticket.escalate_at and paused_at:
        # Time at a level counts no paused time either; a level taken during
        # the pause started counting only at its handover.
        since = max(paused_at, ticket.level_since or paused_at)
        ticket.escalate_at = sla.resume_due(calendar, ticket.escalate_at, since, now)


def on_level_change(ticket, old, new, now):
    """Close the old level's interval, open the new one's; a higher level owes an acknowledgement."""
    SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.LEVEL, ended_at__isnull=True).update(ended_at=now)
    if ticket.status not in DONE_STATUSES:
        SlaInterval.objects.create(ticket=ticket, kind=IntervalKind.LEVEL, level=new, started_at=now)
    ticket.level_since = now
    if not ticket.sla_terms:
        return
    # An earlier handoff's acknowledgement is moot once the ticket moves on.
    SlaClock.objects.filter(ticket=ticket, target=ClockTarget.ACKNOWLEDGEMENT).running().update(stopped_at=now)
    if new > old:
        minutes = level_minutes(ticket.sla_terms, new, ticket.priority, "acknowledge")
        if minutes:
            _start(ticket, ClockTarget.ACKNOWLEDGEMENT, now, minutes=minutes)
    if ticket.status not in DONE_STATUSES:
        _schedule_escalation(ticket, now)
    refresh_due(ticket)


def grant_escalation_grace(ticket, now):
    """Seed rule: escalating a ticket that is not critical buys its resolution target extra time."""
    minutes = ticket.sla_terms.get("grace_minutes") if ticket.sla_terms else None
    if not minutes or ticket.priority == Priority.CRITICAL:
        return 0
    calendar = calendar_for(ticket.sla_terms, ticket.priority)
    for clock in SlaClock.objects.filter(ticket=ticket, target=ClockTarget.RESOLUTION).running():
        clock.due_at = sla.add_business_time(calendar, clock.due_at, minutes * 60)
        clock.target_minutes += minutes
        clock.save(update_fields=["due_at", "target_minutes"])
    refresh_due(ticket)
    return minutes


def acknowledge_handoff(ticket, now):
    _meet(ticket, now, ClockTarget.ACKNOWLEDGEMENT)
    refresh_due(ticket)


def on_priority_change(ticket, now):
    """Running clocks take the new priority's targets from the frozen terms, counted from their start."""
    if not ticket.sla_terms:
        return
    recompute_clocks(ticket, now)


def recompute_clocks(ticket, now):
    """Due times of running clocks from their start, the target in the terms, and the pauses so far."""
    calendar = calendar_for(ticket.sla_terms, ticket.priority)
    percent = ticket.sla_terms.get("warn_percent", 75)
    pauses = list(
        SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.PAUSE).values_list("started_at", "ended_at")
    )
    for clock in SlaClock.objects.filter(ticket=ticket).running():
        if clock.target == ClockTarget.ACKNOWLEDGEMENT:
            minutes = level_minutes(ticket.sla_terms, clock.level, ticket.priority, "acknowledge")
        else:
            minutes = target_minutes(ticket.sla_terms, ticket.priority, clock.target)
        if not minutes:
            continue
        due = sla.add_business_time(calendar, clock.started_at, minutes * 60)
        resumed = clock.started_at
        for started, ended in pauses:
            if ended is None or ended <= clock.started_at:
                continue
            due = sla.resume_due(calendar, due, max(started, clock.started_at), ended)
            resumed = ended
        clock.target_minutes = minutes
        clock.due_at = due
        if clock.warned_at is None:
            clock.warn_at = sla.warn_at(calendar, resumed, minutes * 60, due, percent)
        clock.save(update_fields=["target_minutes", "due_at", "warn_at"])
    refresh_due(ticket)


def explain(ticket):
    """What produced each due time: the target, the calendar, its holidays and the pauses. For the ticket page."""
    terms = ticket.sla_terms or {}
    pauses = list(SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.PAUSE))
    levels = list(SlaInterval.objects.filter(ticket=ticket, kind=IntervalKind.LEVEL))
    rows = []
    for clock in SlaClock.objects.filter(ticket=ticket).order_by("started_at", "pk"):
        calendar = calendar_for(terms, ticket.priority) if terms else None
        end = clock.met_at or clock.stopped_at or clock.due_at
        rows.append(
            {
                "clock": clock,
                "state": clock.state(),
                "holidays": sla.holidays_between(calendar, clock.started_at, max(end, clock.due_at))
                if calendar
                else [],
                "pauses": [
                    p for p in pauses if (p.ended_at or timezone.now()) > clock.started_at and p.started_at < end
                ],
            }
        )
    target = terms.get("targets", {}).get(str(ticket.priority), {})
    calendar_terms = terms.get("calendar", {})
    weekdays = dict(Weekday.choices)
    hours = [
        (weekdays[int(day)], windows)
        for day, windows in sorted(calendar_terms.get("hours", {}).items(), key=lambda item: int(item[0]))
    ]
    frozen = terms.get("frozen_at")
    return {
        "terms": terms,
        "frozen_at": datetime.fromisoformat(frozen) if frozen else None,
        "hours": hours,
        "calendar": terms.get("calendar", {}),
        "around_the_clock": bool(target.get("around_the_clock")),
        "rows": rows,
        "levels": levels,
        "pauses": pauses,
    }


def recompute_open_tickets(policy, *, actor=None):
    """Freeze the policy's current terms on its open tickets again and recompute their running clocks.

    An admin asks for this after editing a policy; without it, running tickets
    keep the terms they were opened with. Returns how many tickets changed.
    Ticket by ticket: each one's clocks depend on its own history of pauses.
    """
    from django.db import transaction

    from .models import EventKind, Ticket

    now = timezone.now()
    changed = 0
    policy = SlaPolicy.objects.select_related("calendar").get(pk=policy.pk)
    for ticket in Ticket.objects.open().filter(sla_policy=policy).select_related("organization__tier"):
        with transaction.atomic():
            ticket.sla_terms = freeze_terms(policy, ticket.organization.tier, now=now)
            recompute_clocks(ticket, now)
            if ticket.escalate_at and not ticket.sla_paused_at:
                _schedule_escalation(ticket, ticket.level_since or now)
            ticket.save(update_fields=["sla_terms", *TICKET_SLA_FIELDS])
            record_event(ticket, actor, EventKind.SLA_RECOMPUTED, at=now, data={"policy": policy.name})
        changed += 1
    return changed


def bulk_status_change(old_statuses, new, now):
    """Clock effects of one new status given to many tickets ({pk: old status}), after the UPDATE.

    Pausing and resolving are done set-wise here. Returns {"status": [pks]}: the
    tickets that resume or reopen, which the caller handles one by one.
    """
    from .models import Ticket

    if not old_statuses:
        return {}
    pause, done, one_by_one = [], [], []
    for pk, old in old_statuses.items():
        if old in PAUSED_STATUSES and new not in PAUSED_STATUSES or old in DONE_STATUSES and new not in DONE_STATUSES:
            one_by_one.append(pk)
        elif new in PAUSED_STATUSES and old not in PAUSED_STATUSES:
            pause.append(pk)
        elif new in DONE_STATUSES and old not in DONE_STATUSES:
            done.append(pk)
    if pause:
        SlaClock.objects.filter(ticket_id__in=pause).running().filter(paused_at__isnull=True).update(paused_at=now)
        open_pauses = SlaInterval.objects.filter(ticket_id__in=pause, kind=IntervalKind.PAUSE, ended_at__isnull=True)
        already = set(open_pauses.values_list("ticket_id", flat=True))
        SlaInterval.objects.bulk_create(
            SlaInterval(ticket_id=pk, kind=IntervalKind.PAUSE, reason=new, started_at=now)
            for pk in pause
            if pk not in already
        )
        Ticket.objects.filter(pk__in=pause, sla_paused_at__isnull=True).update(
            sla_paused_at=now, sla_due_at=None, sla_due_target=""
        )
    if done:
        SlaClock.objects.filter(ticket_id__in=done, target=ClockTarget.RESOLUTION).running().update(
            met_at=now, paused_at=None
        )
        SlaClock.objects.filter(ticket_id__in=done).running().update(stopped_at=now, paused_at=None)
        SlaInterval.objects.filter(ticket_id__in=done, ended_at__isnull=True).update(ended_at=now)
        Ticket.objects.filter(pk__in=done).update(
            escalate_at=None, sla_due_at=None, sla_due_target="", sla_paused_at=None
        )
    return {"status": one_by_one}
