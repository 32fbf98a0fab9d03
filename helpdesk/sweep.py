"""The SLA sweep: warnings, breaches and time-based escalations, set-wise.

Run every minute by django-q2. Each step claims its rows and records its
work in one transaction: clocks get `warned_at` / `breached_at`, tickets move
level and get their next escalation time, so a second run finds nothing left
to do. The claim reads its rows FOR UPDATE (PostgreSQL) inside an IMMEDIATE
transaction (SQLite), so two workers sweeping at once claim disjoint rows;
the unique keys on events, handoffs, clocks and outbox rows are the last guard.
Events, handoffs, intervals and clocks are written with INSERT … SELECT, so
the number of statements does not grow with the number of tickets.
"""

import json
import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.services import queue_emails

from . import clocks, counts, sla
from .models import (
    ClockTarget,
    EventKind,
    Handoff,
    HandoffKind,
    IntervalKind,
    Priority,
    Role,
    SlaClock,
    SlaInterval,
    SupportLevel,
    SweepLease,
    Ticket,
    TicketEvent,
    User,
)
from .timeline import local_time, message_template, render_for

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# At most this many rows per step and run (a backlog after an outage is worked
# off over the next minutes); it also keeps every IN list within SQLite's limits.
BATCH = 20_000
DIGEST_ITEMS = 40


# --- lease ------------------------------------------------------------------------------


def _take_lease(name, now):
    holder = uuid.uuid4().hex
    SweepLease.objects.get_or_create(name=name)
    taken = (
        SweepLease.objects.filter(name=name)
        .filter(lease_until__isnull=True)
        .update(holder=holder, lease_until=now + LEASE)
    ) or SweepLease.objects.filter(name=name, lease_until__lt=now).update(holder=holder, lease_until=now + LEASE)
    return holder if taken else None


def _release_lease(name, holder, now):
    SweepLease.objects.filter(name=name, holder=holder).update(lease_until=None, last_finished_at=now)


def sweep_sla(*, now=None):
    """Warn, breach and escalate whatever is due; returns what it did."""
    now = now or timezone.now()
    holder = _take_lease("sla", now)
    if holder is None:
        return {"skipped": True}
    try:
        result = {
            "warnings": _alert(now, "warning"),
            "breaches": _alert(now, "breach"),
            "escalations": escalate_due(now),
        }
    finally:
        _release_lease("sla", holder, now)
    if any(result.values()):
        counts.invalidate()
    return result


# --- SQL helpers ----------------------------------------------------------------------------


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _json(pairs):
    """A JSON object built by the database from (key, SQL expression) pairs."""
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    if connection.vendor == "postgresql":
        return f"json_build_object({args})::jsonb"
    return f"json_object({args})"


def _false():
    return "FALSE"


def _dt(value):
    """A datetime as the backend stores it, for raw SQL (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _key_sql(column):
    """`prefix || column || suffix`, typed so that either kind of parameter binding resolves it."""
    return f"CAST(%s AS TEXT) || CAST({column} AS TEXT) || CAST(%s AS TEXT)"


# --- warnings and breaches ------------------------------------------------------------------


def _alert(now, kind):
    """Claim clocks past their warning point (or due time), log each once, notify the people concerned."""
    with transaction.atomic():
        candidates = (
            SlaClock.objects.due_for_warning(now) if kind == "warning" else SlaClock.objects.due_for_breach(now)
        )
        order = "warn_at" if kind == "warning" else "due_at"
        ids = list(
            candidates.filter(ticket__is_open=1)
            .order_by(order)
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return 0
        claimed = SlaClock.objects.filter(pk__in=ids)
        if kind == "warning":
            claimed.update(warned_at=now)
        else:
            level = Ticket.objects.filter(pk=OuterRef("ticket_id")).values("level")[:1]
            claimed.update(breached_at=now, breached_level=Subquery(level))
        event_kind = EventKind.SLA_WARNING if kind == "warning" else EventKind.SLA_BREACH
        data = _json([("target", "c.target"), ("cycle", "c.cycle"), ("due", "c.due_at"), ("clock", "c.id")])
        # The claimed ids are written into the statement (integers only): selecting
        # them by primary key beats scanning every clock for the marker timestamp.
        id_list = ",".join(str(int(pk)) for pk in ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_table(TicketEvent)} (ticket_id, actor_id, kind, data, is_public, created_at, key)"  # noqa: S608 - table names, integers and fixed SQL only
                f" SELECT c.ticket_id, NULL, %s, {data}, {_false()}, %s, {_key_sql('c.id')}"
                f" FROM {_table(SlaClock)} c WHERE c.id IN ({id_list})"
                " ON CONFLICT DO NOTHING",
                [event_kind, _dt(now), "sla:", f":{kind}"],
            )
        _notify(now, kind, ids)
    return len(ids)


def _notify(now, kind, ids):
    """One message per person listing the tickets this run claimed for them."""
    rows = list(
        SlaClock.objects.filter(pk__in=ids).values(
            "pk",
            "target",
            "due_at",
            "ticket_id",
            "ticket__subject",
            "ticket__priority",
            "ticket__assignee_id",
            "ticket__queue__team_id",
        )
    )
    leads, managers = _leads_and_managers()
    items = defaultdict(list)
    for row in rows:
        people = set(leads.get(row["ticket__queue__team_id"], ()))
        if row["ticket__assignee_id"]:
            people.add(row["ticket__assignee_id"])
        if kind == "breach" and row["ticket__priority"] == Priority.CRITICAL:
            people.update(managers)
        for person in people:
            items[person].append(row)
    if not items:
        return
    people = User.objects.filter(pk__in=items).only(
        "pk", "username", "email", "language", "time_zone", "first_name", "last_name"
    )
    slug = "sla-warning-digest" if kind == "warning" else "sla-breach-digest"
    template = message_template(slug)
    emails = []
    for person in people:
        if not person.email:
            continue
        subject, body = _digest(person, template, items[person.pk])
        emails.append(
            {
                "key": f"sla:{kind}:{now.isoformat()}:user:{person.pk}",
                "to": person.email,
                "subject": subject,
                "body": body,
                "recipient_user_id": person.pk,
                "reference": "SLA",
            }
        )
    queue_emails(emails)


def _leads_and_managers():
    """Team leads by team id, and every manager: who is copied on SLA notices. Two queries."""
    leads = defaultdict(list)
    for lead in User.objects.filter(role=Role.TEAM_LEAD, is_active=True, team__isnull=False).values("pk", "team_id"):
        leads[lead["team_id"]].append(lead["pk"])
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True))
    return leads, managers


def _digest(person, template, rows):
    """One person's digest from the admin's template; the ticket lines are its `ticket_lines` placeholder."""

    def values(user):
        labels = dict(ClockTarget.choices)
        lines = []
        for row in sorted(rows, key=lambda r: r["due_at"])[:DIGEST_ITEMS]:
            ref = Ticket.ref_for(row["ticket_id"])
            lines.append(
                _("%(ref)s · %(target)s due %(due)s · %(subject)s")
                % {
                    "ref": ref,
                    "target": str(labels.get(row["target"], row["target"])),
                    "due": local_time(row["due_at"], user),
                    "subject": row["ticket__subject"],
                }
            )
            lines.append(f"  {_agent_url(ref)}")
        return _digest_values(lines, len(rows))

    rendered = render_for(person, template, values)
    return rendered["subject"], rendered["body"]


def _agent_url(ref):
    return f"{settings.FIRSTLINE_SITE_URL}{reverse('helpdesk:ticket-detail', args=[ref])}"


def _digest_values(lines, count):
    if count > DIGEST_ITEMS:
        lines.append(_("… and %(count)d more.") % {"count": count - DIGEST_ITEMS})
    return {
        "ticket_count": str(count),
        "ticket_lines": "\n".join(lines),
        "breaching_url": f"{settings.FIRSTLINE_SITE_URL}{reverse('helpdesk:ticket-list')}?view=breaching",
    }


# --- time-based escalation ------------------------------------------------------------------


def escalate_due(now):
    """Move every open, unpaused ticket whose time at its level ran out to the next level."""
    with transaction.atomic():
        rows = list(
            Ticket.objects.filter(is_open=1, escalate_at__lte=now, sla_paused_at__isnull=True)
            # escalate_at's own order, so its partial index answers (the model's
            # default order would walk every open ticket).
            .order_by("escalate_at")
            .select_for_update(of=("self",))
            .values("pk", "level", "priority", "sla_terms")[:BATCH]
        )
        if not rows:
            return 0
        groups = defaultdict(list)
        for row in rows:
            rule = (row["sla_terms"] or {}).get("escalation", {}).get(str(row["level"]))
            to_level = rule and rule.get("to")
            if not to_level or to_level <= row["level"]:
                groups[("none",)].append(row)
                continue
            terms = row["sla_terms"]
            key = (json.dumps(terms.get("calendar"), sort_keys=True), row["priority"], row["level"], to_level)
            groups[key].append(row)
        moved = 0
        grace_updates = []
        for key, members in groups.items():
            ids = [row["pk"] for row in members]
            if key == ("none",):
                # No rule above this level: nothing more to escalate to.
                Ticket.objects.filter(pk__in=ids).update(escalate_at=None)
                continue
            _calendar_json, priority, from_level, to_level = key
            terms = members[0]["sla_terms"]
            calendar = clocks.calendar_for(terms, priority)
            nxt = terms.get("escalation", {}).get(str(to_level))
            next_at = sla.add_business_time(calendar, now, nxt["after"] * 60) if nxt else None
            moved += Ticket.objects.filter(pk__in=ids).update(
                level=to_level,
                level_since=now,
                escalate_at=next_at,
                escalation_count=F("escalation_count") + 1,
                handoff_pending_since=now,
                updated_at=now,
                version=F("version") + 1,
            )
            _write_handoffs(
                now, ids, from_level, to_level, after=(terms.get("escalation", {}).get(str(from_level)) or {})
            )
            ack = clocks.level_minutes(terms, to_level, priority, "acknowledge")
            if ack:
                due = sla.add_business_time(calendar, now, ack * 60)
                warn = sla.warn_at(calendar, now, ack * 60, due, terms.get("warn_percent", 75))
                _start_ack_clocks(now, ids, to_level, ack, due, warn)
            if priority != Priority.CRITICAL and terms.get("grace_minutes"):
                grace_updates.append((calendar, ids, terms["grace_minutes"]))
        _grant_grace(now, grace_updates)
        _refresh_due(now, [row["pk"] for row in rows])
        _notify_escalations(now)
    return moved


def _write_handoffs(now, ids, from_level, to_level, *, after):
    hours = round((after.get("after") or 0) / 60, 1)
    summary = _("Escalated automatically after %(hours)s business hours at %(level)s without resolution.") % {
        "hours": hours,
        "level": SupportLevel(from_level).label,
    }
    id_list = ",".join(str(int(pk)) for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(Handoff)} (ticket_id, kind, from_level, to_level, created_by_id, created_at,"  # noqa: S608 - ids are ints
            " summary, impact, steps_tried, next_step, communication, acknowledge_due, acknowledged_at,"
            " acknowledged_by_id, key)"
            f" SELECT t.id, %s, %s, %s, NULL, %s, %s, '', '', '', '', NULL, NULL, NULL, {_key_sql('t.id')}"
            f" FROM {_table(Ticket)} t WHERE t.level_since = %s AND t.id IN ({id_list})"
            " ON CONFLICT DO NOTHING",
            [HandoffKind.TIME, from_level, to_level, _dt(now), summary, "esc:", f":{now.isoformat()}", _dt(now)],
        )
        data = _json([("from", str(int(from_level))), ("to", str(int(to_level))), ("kind", "'time'")])
        cursor.execute(
            f"INSERT INTO {_table(TicketEvent)} (ticket_id, actor_id, kind, data, is_public, created_at, key)"  # noqa: S608
            f" SELECT t.id, NULL, %s, {data}, {_false()}, %s, {_key_sql('t.id')}"
            f" FROM {_table(Ticket)} t WHERE t.level_since = %s AND t.id IN ({id_list})"
            " ON CONFLICT DO NOTHING",
            [EventKind.ESCALATED, _dt(now), "esc:", f":{now.isoformat()}", _dt(now)],
        )
        # Close the old level's interval and open the new one's.
        cursor.execute(
            f"UPDATE {_table(SlaInterval)} SET ended_at = %s"  # noqa: S608
            f" WHERE kind = %s AND ended_at IS NULL AND started_at < %s AND ticket_id IN ({id_list})",
            [_dt(now), IntervalKind.LEVEL, _dt(now)],
        )
        cursor.execute(
            f"INSERT INTO {_table(SlaInterval)} (ticket_id, kind, level, reason, started_at, ended_at)"  # noqa: S608
            f" SELECT t.id, %s, t.level, '', %s, NULL FROM {_table(Ticket)} t WHERE t.id IN ({id_list})"
            " ON CONFLICT DO NOTHING",
            [IntervalKind.LEVEL, _dt(now)],
        )


def _start_ack_clocks(now, ids, level, minutes, due, warn):
    id_list = ",".join(str(int(pk)) for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(SlaClock)} SET stopped_at = %s"  # noqa: S608
            " WHERE target = %s AND met_at IS NULL AND stopped_at IS NULL AND started_at < %s"
            f" AND ticket_id IN ({id_list})",
            [_dt(now), ClockTarget.ACKNOWLEDGEMENT, _dt(now)],
        )
        cursor.execute(
            f"INSERT INTO {_table(SlaClock)} (ticket_id, target, cycle, target_minutes, started_at, due_at, warn_at,"  # noqa: S608
            " paused_at, met_at, warned_at, breached_at, stopped_at, level, breached_level)"
            " SELECT t.id, %s, t.escalation_count, %s, %s, %s, %s, NULL, NULL, NULL, NULL, NULL, %s, NULL"
            f" FROM {_table(Ticket)} t WHERE t.id IN ({id_list})"
            " ON CONFLICT DO NOTHING",
            [ClockTarget.ACKNOWLEDGEMENT, minutes, _dt(now), _dt(due), _dt(warn), level],
        )
        cursor.execute(
            f"UPDATE {_table(Handoff)} SET acknowledge_due = %s"  # noqa: S608
            f" WHERE created_at = %s AND acknowledged_at IS NULL AND ticket_id IN ({id_list})",
            [_dt(due), _dt(now)],
        )


VALUES_CHUNK = 5000


def _update_from_values(model, columns, rows, assignments):
    """UPDATE many rows, each to its own values, in one statement per few thousand rows.

    `columns` names and types the values ((name, SQL type) pairs, the first the
    primary key); `assignments` is the SET clause, reading them as `v.<name>`.
    """
    names = ", ".join(name for name, _type in columns)
    if connection.vendor == "postgresql":
        row_sql = "(" + ", ".join(f"%s::{sql_type}" for _name, sql_type in columns) + ")"
    else:
        row_sql = "(" + ", ".join("%s" for _column in columns) + ")"
    table = _table(model)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), VALUES_CHUNK):
            chunk = rows[start : start + VALUES_CHUNK]
            cursor.execute(
                f"WITH v({names}) AS (VALUES {', '.join([row_sql] * len(chunk))})"  # noqa: S608 - fixed SQL
                f" UPDATE {table} SET {assignments} FROM v WHERE {table}.id = v.{columns[0][0]}",
                [value for row in chunk for value in row],
            )


def _grant_grace(now, groups):
    """Extra resolution time for escalated tickets that are not critical."""
    updates = []
    for calendar, ids, minutes in groups:
        for pk, due in SlaClock.objects.filter(
            ticket_id__in=ids, target=ClockTarget.RESOLUTION, met_at__isnull=True, stopped_at__isnull=True
        ).values_list("pk", "due_at"):
            updates.append((pk, _dt(sla.add_business_time(calendar, due, minutes * 60)), minutes))
    if updates:
        _update_from_values(
            SlaClock,
            [("id", "bigint"), ("due", "timestamptz"), ("extra", "integer")],
            updates,
            "due_at = v.due, target_minutes = target_minutes + v.extra",
        )


def _refresh_due(now, ids):
    """Each ticket's nearest running, unpaused target: one read of their clocks, one write."""
    nearest = {}
    for ticket_id, due, target in (
        SlaClock.objects.filter(ticket_id__in=ids).ticking().order_by().values_list("ticket_id", "due_at", "target")
    ):
        if ticket_id not in nearest or due < nearest[ticket_id][0]:
            nearest[ticket_id] = (due, target)
    rows = [(pk, _dt(nearest[pk][0]) if pk in nearest else None, nearest.get(pk, (None, ""))[1]) for pk in ids]
    _update_from_values(
        Ticket,
        [("id", "bigint"), ("due", "timestamptz"), ("target", "varchar")],
        rows,
        "sla_due_at = v.due, sla_due_target = v.target",
    )


def _notify_escalations(now):
    """The receiving level and the team leads, one message each, listing the tickets handed over."""
    rows = list(
        Handoff.objects.filter(created_at=now, kind=HandoffKind.TIME).values(
            "ticket_id", "to_level", "ticket__subject", "ticket__queue__team_id", "ticket__priority"
        )
    )
    if not rows:
        return
    agents = defaultdict(list)
    for agent in User.objects.agents().filter(support_level__isnull=False).values("pk", "support_level", "team_id"):
        agents[agent["support_level"]].append(agent)
    leads, managers = _leads_and_managers()
    items = defaultdict(list)
    for row in rows:
        team = row["ticket__queue__team_id"]
        people = {a["pk"] for a in agents[row["to_level"]] if team is None or a["team_id"] == team}
        people.update(leads.get(team, ()))
        if row["to_level"] >= SupportLevel.L3:
            people.update(managers)
        for person in people:
            items[person].append(row)
    template = message_template("time-escalation-digest")
    emails = []
    for person in User.objects.filter(pk__in=items).only(
        "pk", "username", "email", "language", "time_zone", "first_name", "last_name"
    ):
        if not person.email:
            continue
        mine = items[person.pk]

        def values(user, mine=mine):
            lines = []
            for row in mine[:DIGEST_ITEMS]:
                ref = Ticket.ref_for(row["ticket_id"])
                lines.append(f"{ref} · {SupportLevel(row['to_level']).label} · {row['ticket__subject']}")
                lines.append(f"  {_agent_url(ref)}")
            return _digest_values(lines, len(mine))

        rendered = render_for(person, template, values)
        emails.append(
            {
                "key": f"esc:time:{now.isoformat()}:user:{person.pk}",
                "to": person.email,
                "subject": rendered["subject"],
                "body": rendered["body"],
                "recipient_user_id": person.pk,
                "reference": "SLA",
            }
        )
    queue_emails(emails)
