"""The dashboard's compliance rollup: settled targets counted per day, rebuilt set-wise.

A refresh deletes and rebuilds a range of days in one transaction with one
INSERT … SELECT … GROUP BY, so running it twice, late, or from two workers at
once (the lease row is locked for the duration) gives the same rows. Every ten
minutes the last `RECENT_DAYS` are rebuilt, which covers targets that settle
long after they started; once a day every day is.
"""

from datetime import UTC, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ClockTarget, SlaClock, SlaDailyCount, SlaRollupDay, SweepLease

LEASE_NAME = "sla-rollup"
RECENT_DAYS = 90
TARGETS = (ClockTarget.FIRST_RESPONSE, ClockTarget.RESOLUTION)
MET_ON_TIME = Q(met_at__isnull=False, breached_at__isnull=True)
BREACHED = Q(breached_at__isnull=False)
# Spelled as the condition of the partial index `sla_clock_settled`, which SQLite only uses word for word.
SETTLED = Q(met_at__isnull=False) | BREACHED
# rollup column -> the clock's path to it
COLUMNS = {
    "target": "target",
    "priority": "ticket__priority",
    "tier_id": "ticket__organization__tier_id",
    "team_id": "ticket__queue__team_id",
    "assignee_id": "ticket__assignee_id",
}


def midnight(day):
    return datetime.combine(day, time(0), tzinfo=UTC)


def refresh(*, days=RECENT_DAYS, now=None):
    """Rebuild the last `days` days (every day since the first target when None).

    Returns the number of count rows written. Each rebuilt day records `now`
    as the moment its counts were taken.
    """
    now = now or timezone.now()
    first = now.astimezone(UTC).date() - timedelta(days=days) if days is not None else None
    with transaction.atomic():
        SweepLease.objects.get_or_create(name=LEASE_NAME)
        # Held to the end of the transaction: a second refresh waits, then rebuilds the same days.
        SweepLease.objects.select_for_update().get(name=LEASE_NAME)
        today = now.astimezone(UTC).date()
        if first is None:
            earliest = (
                SlaClock.objects.filter(target__in=TARGETS)
                .order_by("started_at")
                .values_list("started_at", flat=True)[:1]
            )
            first = min([earliest[0].astimezone(UTC).date(), today]) if earliest else today
        SlaRollupDay.objects.filter(day__gte=first).delete()
        SlaRollupDay.objects.bulk_create(
            SlaRollupDay(day=first + timedelta(days=n), as_of=now) for n in range((today - first).days + 1)
        )
        stale = SlaDailyCount.objects.all()
        # Exactly what had settled at `now`: the dashboard counts what settles later live, so a
        # target settling while this runs is counted once, whichever side sees it.
        settled_by_now = Q(breached_at__lte=now) | Q(met_at__lte=now, breached_at__isnull=True)
        clocks = SlaClock.objects.filter(SETTLED, target__in=TARGETS).filter(settled_by_now).order_by()
        if first is not None:
            stale = stale.filter(day__gte=first)
            clocks = clocks.filter(started_at__gte=midnight(first))
        stale.delete()
        select = (
            clocks.annotate(day=TruncDate("started_at", tzinfo=UTC))
            .values("day", *COLUMNS.values())
            .annotate(met=Count("target", filter=MET_ON_TIME), breached=Count("target", filter=BREACHED))
        )
        # Columns picked by their aliases from the compiled GROUP BY, whatever order Django writes them in.
        quote = connection.ops.quote_name
        aliases = {
            "day": "day",
            **{column: path for column, path in COLUMNS.items()},
            "met": "met",
            "breached": "breached",
        }
        sql, params = select.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(SlaDailyCount._meta.db_table)} ({', '.join(quote(c) for c in aliases)})"  # noqa: S608 - compiled by Django
                f" SELECT {', '.join('g.' + quote(a) for a in aliases.values())} FROM ({sql}) g",
                params,
            )
            written = cursor.rowcount
        SweepLease.objects.filter(name=LEASE_NAME).update(last_finished_at=now)
    return written


def refreshed_at():
    """When the rollup was last rebuilt, or None if it never was (the dashboard then counts live)."""
    return SweepLease.objects.filter(name=LEASE_NAME).values_list("last_finished_at", flat=True).first()
