"""Bulk SLA state for benchmarks: terms, clocks, levels and due times on every ticket, set-wise.

Run after `seed_bench`. Every ticket gets its tier's frozen terms (one UPDATE
per tier), first-response and resolution clocks (INSERT … SELECT), a level
interval, and open tickets an escalation time. Due times are arranged around
`--now` so that, at that instant, about 40 % of `--due` clocks are past their
warning point but not due, 30 % are past due, and 30 % of `--due` tickets are
due for time-based escalation; everything else is not due. Tickets waiting on
the customer or on hold are paused. Resolved and closed tickets get clocks met
or breached when they were resolved, for reports.

It replaces whatever SLA state there is (every clock and interval, the sweep's
handoffs, events and outbox rows), so it can run again before each measured
sweep: this is for benchmark databases, not for one in use. Also creates a
team lead per team and a few managers, so the sweep has people to notify.

    python manage.py seed_bench_sla --due 10000 [--now 2026-11-25T15:00:00+00:00]
"""

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from comms.models import OutboundMessage
from helpdesk import services
from helpdesk.clocks import freeze_terms, policy_for_tier
from helpdesk.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    ClockTarget,
    Handoff,
    IntervalKind,
    Organization,
    Role,
    ServiceTier,
    SlaClock,
    SlaInterval,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from helpdesk.sla_defaults import install_defaults

TICKING = (Status.NEW, Status.OPEN)
PAUSED = (Status.WAITING, Status.ON_HOLD)
BUCKETS = 10_000  # tickets are put in groups by a scramble of `id % BUCKETS`
MANAGERS = 3


def _q(model):
    return connection.ops.quote_name(model._meta.db_table)


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _plus(base, minutes):
    """SQL for the datetime `base` plus an integer SQL expression of minutes (may be negative)."""
    if connection.vendor == "postgresql":
        return f"({base} + make_interval(mins => CAST({minutes} AS INTEGER)))"
    if connection.vendor == "sqlite":
        # Text in, text out, in the 'YYYY-MM-DD HH:MM:SS' form Django stores naive UTC as.
        return f"datetime({base}, CAST({minutes} AS TEXT) || ' minutes')"
    raise CommandError(f"seed_bench_sla supports SQLite and PostgreSQL, not {connection.vendor}")


def _literal(moment):
    if connection.vendor == "postgresql":
        return f"CAST('{moment.isoformat()}' AS TIMESTAMPTZ)"
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"


def _case(column, mapping, default="NULL"):
    whens = " ".join(f"WHEN {key} THEN {value}" for key, value in mapping.items())
    return f"CASE {column} {whens} ELSE {default} END"


class Command(BaseCommand):
    help = "Give every ticket SLA terms, clocks and levels, with N of them due at --now (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--due", type=int, default=10_000, help="clocks and tickets due at --now, in all")
        parser.add_argument("--now", help="ISO date-time the due times are arranged around (default: now)")

    def handle(self, *args, due, now, **options):
        started = time.monotonic()
        if now:
            now = datetime.fromisoformat(now)
            if timezone.is_naive(now):
                raise CommandError("--now needs a time zone offset")
        else:
            now = timezone.now()
        # Whole seconds: SQLite's date arithmetic keeps no fraction.
        now = now.replace(microsecond=0)
        policy = install_defaults()
        _people()
        with transaction.atomic():
            _reset()
            terms = _terms(policy, now)
            arranged = _arrange(now, due, terms)
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(
            f"SLA state for {arranged['open']} open and {arranged['done']} done tickets at {now.isoformat()}: "
            f"~{arranged['warn']} to warn, ~{arranged['breach']} to breach, ~{arranged['escalate']} to escalate, "
            f"in {time.monotonic() - started:.1f} s"
        )


def _people():
    """A team lead for every team and a few managers: the people the sweep copies in."""
    made = []
    for team in Team.objects.all():
        user, created = User.objects.get_or_create(
            username=f"bench-lead-{team.pk}",
            defaults={
                "email": f"bench-lead-{team.pk}@example.com",
                "first_name": "Lead",
                "last_name": team.name,
                "team": team,
                "support_level": 2,
                "role": Role.TEAM_LEAD,
            },
        )
        if created:
            made.append((user, Role.TEAM_LEAD))
    for i in range(MANAGERS):
        user, created = User.objects.get_or_create(
            username=f"bench-manager-{i}",
            defaults={
                "email": f"bench-manager-{i}@example.com",
                "first_name": "Manager",
                "last_name": str(i),
                "role": Role.MANAGER,
                "is_staff": True,
            },
        )
        if created:
            made.append((user, Role.MANAGER))
    for user, role in made:
        user.set_password("demo")
        user.save(update_fields=["password"])
        services.set_user_role(None, user, role=role)


def _reset():
    """Drop the SLA state there is: all clocks and intervals, and what earlier sweeps wrote."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_q(SlaClock)}")  # noqa: S608 - table names only
        cursor.execute(f"DELETE FROM {_q(SlaInterval)}")  # noqa: S608
        cursor.execute(f"DELETE FROM {_q(Handoff)} WHERE key LIKE 'esc:%'")  # noqa: S608
        cursor.execute(f"DELETE FROM {_q(TicketEvent)} WHERE key LIKE 'sla:%' OR key LIKE 'esc:%'")  # noqa: S608
        cursor.execute(
            f"DELETE FROM {_q(OutboundMessage)} WHERE reference = 'SLA'"  # noqa: S608
            " AND (idempotency_key LIKE 'sla:%' OR idempotency_key LIKE 'esc:%')"
        )


def _terms(policy, now):
    """Each tier's terms, frozen once and written with one UPDATE per tier; returns {tier id: terms}."""
    terms = {}
    for tier in ServiceTier.objects.all():
        tier_policy = policy_for_tier(tier) or policy
        terms[tier.pk] = freeze_terms(tier_policy, tier, now=now)
        Ticket.objects.filter(organization__tier=tier).update(sla_policy=tier_policy, sla_terms=terms[tier.pk])
    return terms


def _arrange(now, due, terms):
    ticket, org, clock, interval = _q(Ticket), _q(Organization), _q(SlaClock), _q(SlaInterval)
    n = _literal(now)
    any_terms = next(iter(terms.values()))
    # Time-based rules are global (the same in every tier's terms): level -> minutes at it.
    after = {int(level): rule["after"] for level, rule in any_terms["escalation"].items() if rule.get("to")}
    levels = ", ".join(str(level) for level in after) or "0"

    def minutes(what):
        return _case(
            "o.tier_id",
            {
                tier: _case("t.priority", {int(p): row[what] for p, row in tier_terms["targets"].items()}, "240")
                for tier, tier_terms in terms.items()
            },
            "240",
        )

    # Groups by `id % BUCKETS`, sized from the ticking (open, unpaused) tickets there are.
    ticking = Ticket.objects.filter(status__in=TICKING)
    n_ticking = ticking.count()
    n_escalable = ticking.filter(level__in=list(after)).count()
    want = {"warn": due * 4 // 10, "breach": due * 3 // 10}
    want["escalate"] = due - want["warn"] - want["breach"]
    warn_to = min(BUCKETS, round(BUCKETS * want["warn"] / max(n_ticking, 1)))
    breach_to = min(BUCKETS, warn_to + round(BUCKETS * want["breach"] / max(n_ticking, 1)))
    escalate_to = min(BUCKETS, breach_to + round(BUCKETS * want["escalate"] / max(n_escalable, 1)))

    def group(p=""):
        # Scrambled, so that a few hundred consecutive ids spread over all buckets too.
        b = f"(({p}id % {BUCKETS}) * 7919 % {BUCKETS})"
        tick = f"{p}status IN {_in(TICKING)}"
        return (
            f"CASE WHEN {tick} AND {b} < {warn_to} THEN 'W'"
            f" WHEN {tick} AND {b} < {breach_to} THEN 'B'"
            f" WHEN {tick} AND {b} < {escalate_to} AND {p}level IN ({levels}) THEN 'E'"
            " ELSE 'N' END"
        )

    after_sql = _case("level", after)
    with connection.cursor() as cursor:
        # Done tickets: nothing resolved in the future; no running SLA state.
        cursor.execute(
            f"UPDATE {ticket} SET resolved_at = {n} WHERE resolved_at > {n}"  # noqa: S608
        )
        cursor.execute(
            f"UPDATE {ticket} SET updated_at = {n} WHERE updated_at > {n}"  # noqa: S608
        )
        cursor.execute(
            f"UPDATE {ticket} SET sla_paused_at = NULL, escalate_at = NULL, level_since = created_at,"  # noqa: S608
            " sla_due_at = NULL, sla_due_target = '', escalation_count = 0, handoff_pending_since = NULL"
            f" WHERE status IN {_in(DONE_STATUSES)}"
        )
        # Open tickets: paused ones since up to ten hours; escalation due for group E, later for the rest.
        g = group()
        cursor.execute(
            f"UPDATE {ticket} SET"  # noqa: S608
            f" sla_paused_at = CASE WHEN status IN {_in(PAUSED)} THEN {_plus(n, '-1 - id % 600')} END,"
            f" escalate_at = CASE WHEN level NOT IN ({levels}) THEN NULL"
            f"  WHEN {g} = 'E' THEN {_plus(n, '-1 - id % 30')}"
            f"  ELSE {_plus(n, f'1 + id % {after_sql}')} END,"
            f" level_since = CASE WHEN level NOT IN ({levels}) THEN {_plus(n, '-1 - id % 1440')}"
            f"  WHEN {g} = 'E' THEN {_plus(n, f'-1 - id % 30 - {after_sql}')}"
            f"  ELSE {_plus(n, f'1 + id % {after_sql} - {after_sql}')} END,"
            " sla_due_at = NULL, sla_due_target = '', escalation_count = 0, handoff_pending_since = NULL"
            f" WHERE status IN {_in(OPEN_STATUSES)}"
        )
        # Open tickets' clocks. `s` is where both clocks start, in minutes from now, chosen so that
        # the due clock (first response while new, resolution once answered) lands in its group:
        # W: warn_at <= now < due_at; B: due_at <= now (warned by an earlier sweep); else not due.
        # Warning points are at 75 % of the target, as the default policy says.
        inner = (
            f"SELECT t.id, t.status, t.level, t.sla_paused_at, {minutes('first_response')} AS fr,"  # noqa: S608
            f" {minutes('resolution')} AS res, {group('t.')} AS g"
            f" FROM {ticket} t JOIN {org} o ON o.id = t.organization_id WHERE t.status IN {_in(OPEN_STATUSES)}"
        )
        md = f"CASE WHEN x.status = '{Status.NEW}' THEN x.fr ELSE x.res END"
        middle = (
            f"SELECT x.*, CASE x.g WHEN 'W' THEN -(3 * {md} / 4) - x.id % ({md} - 3 * {md} / 4)"  # noqa: S608
            f" WHEN 'B' THEN -{md} - x.id % 120"
            f" ELSE -((x.id % 7) * {md} / 10) END AS s FROM ({inner}) x"
        )
        columns = (
            "ticket_id, target, cycle, target_minutes, started_at, due_at, warn_at, paused_at, met_at,"
            " warned_at, breached_at, stopped_at, level, breached_level"
        )
        new = f"y.status = '{Status.NEW}'"
        cursor.execute(
            f"INSERT INTO {clock} ({columns})"  # noqa: S608
            f" SELECT y.id, '{ClockTarget.FIRST_RESPONSE}', 1, y.fr, {_plus(n, 'y.s')}, {_plus(n, 'y.s + y.fr')},"
            f" {_plus(n, 'y.s + 3 * y.fr / 4')}, CASE WHEN {new} THEN y.sla_paused_at END,"
            # Answered halfway through the target, but never later than now.
            f" CASE WHEN NOT {new} THEN {_plus(n, 'CASE WHEN y.s + y.fr / 2 < 0 THEN y.s + y.fr / 2 ELSE 0 END')} END,"
            f" CASE WHEN {new} AND y.g = 'B' THEN {_plus(n, 'y.s + 3 * y.fr / 4')} END,"
            f" NULL, NULL, y.level, NULL FROM ({middle}) y"
        )
        cursor.execute(
            f"INSERT INTO {clock} ({columns})"  # noqa: S608
            f" SELECT y.id, '{ClockTarget.RESOLUTION}', 1, y.res, {_plus(n, 'y.s')}, {_plus(n, 'y.s + y.res')},"
            f" {_plus(n, 'y.s + 3 * y.res / 4')}, y.sla_paused_at, NULL,"
            f" CASE WHEN NOT {new} AND y.g = 'B' THEN {_plus(n, 'y.s + 3 * y.res / 4')} END,"
            f" NULL, NULL, y.level, NULL FROM ({middle}) y"
        )
        # Done tickets' clocks, from their own times: first reply 1 minute to 125 % of the target after
        # opening (so about one in five late), resolution met when resolved, breached if that was late.
        done = (
            f"SELECT t.id, t.level, t.created_at, t.resolved_at, {minutes('first_response')} AS fr,"  # noqa: S608
            f" {minutes('resolution')} AS res FROM {ticket} t JOIN {org} o ON o.id = t.organization_id"
            f" WHERE t.status IN {_in(DONE_STATUSES)} AND t.resolved_at IS NOT NULL"
        )
        done_fr = f"SELECT d.*, 1 + d.id % (d.fr + d.fr / 4) AS m FROM ({done}) d"  # noqa: S608
        cursor.execute(
            f"INSERT INTO {clock} ({columns})"  # noqa: S608
            f" SELECT d.id, '{ClockTarget.FIRST_RESPONSE}', 1, d.fr, d.created_at, {_plus('d.created_at', 'd.fr')},"
            f" {_plus('d.created_at', '3 * d.fr / 4')}, NULL, {_plus('d.created_at', 'd.m')},"
            f" CASE WHEN d.m >= 3 * d.fr / 4 THEN {_plus('d.created_at', '3 * d.fr / 4')} END,"
            f" CASE WHEN d.m > d.fr THEN {_plus('d.created_at', 'd.fr')} END, NULL, d.level,"
            f" CASE WHEN d.m > d.fr THEN d.level END FROM ({done_fr}) d"
        )
        late = f"d.resolved_at > {_plus('d.created_at', 'd.res')}"
        cursor.execute(
            f"INSERT INTO {clock} ({columns})"  # noqa: S608
            f" SELECT d.id, '{ClockTarget.RESOLUTION}', 1, d.res, d.created_at, {_plus('d.created_at', 'd.res')},"
            f" {_plus('d.created_at', '3 * d.res / 4')}, NULL, d.resolved_at,"
            f" CASE WHEN d.resolved_at >= {_plus('d.created_at', '3 * d.res / 4')}"
            f"  THEN {_plus('d.created_at', '3 * d.res / 4')} END,"
            f" CASE WHEN {late} THEN {_plus('d.created_at', 'd.res')} END, NULL, d.level,"
            f" CASE WHEN {late} THEN d.level END FROM ({done}) d"
        )
        # Level intervals: open while the ticket is open, closed when it was resolved; pauses.
        cursor.execute(
            f"INSERT INTO {interval} (ticket_id, kind, level, reason, started_at, ended_at)"  # noqa: S608
            f" SELECT id, '{IntervalKind.LEVEL}', level, '', level_since,"
            f" CASE WHEN status IN {_in(DONE_STATUSES)} THEN resolved_at END FROM {ticket}"
            f" WHERE status IN {_in(OPEN_STATUSES)} OR resolved_at IS NOT NULL"
        )
        cursor.execute(
            f"INSERT INTO {interval} (ticket_id, kind, level, reason, started_at, ended_at)"  # noqa: S608
            f" SELECT id, '{IntervalKind.PAUSE}', NULL, status, sla_paused_at, NULL FROM {ticket}"
            f" WHERE status IN {_in(PAUSED)}"
        )
    # Each ticking ticket's nearest target, as the services keep it.
    nearest = SlaClock.objects.filter(ticket_id=OuterRef("pk")).ticking().order_by("due_at", "pk")
    Ticket.objects.filter(status__in=TICKING).update(
        sla_due_at=Subquery(nearest.values("due_at")[:1]),
        sla_due_target=Coalesce(Subquery(nearest.values("target")[:1]), Value("")),
    )
    return {
        "open": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "done": Ticket.objects.filter(status__in=DONE_STATUSES).count(),
        **want,
    }
