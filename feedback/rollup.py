"""The feedback report's daily rollup: answers and invitations summed per UTC day, rebuilt set-wise.

A refresh deletes and rebuilds a range of whole days in one transaction,
each table filled by INSERT … SELECT … GROUP BY, so running it twice, late,
or from two workers at once (the lease row is locked until the end) leaves
the same rows. Every ten minutes the last `RECENT_DAYS` are rebuilt; once a
day (and with `manage.py rebuild_feedback_rollup`) every day is.

Why per breakdown rather than one row per combination of all six: answers
rarely share agent, team, tier, category, language and channel on one day,
so a cross-product row per combination is about one row per answer and
saves nothing. Summed per breakdown (and again per team and per tier, the
report's filters), a day of a few hundred answers is a few hundred short rows
and the unfiltered report reads only the organisation-wide ones.

When a day is trusted: only days that had ended `SETTLE` before the rebuild
are written, so every answer of the day is in (an answer is stamped with the
time it is recorded). Invitations of the day answered after the rebuild are
counted live by the report (`answered_at > as_of`). Dimensions are those the
answers were recorded with, and for invitations the ticket's team and the
person's tier at the rebuild, as `helpdesk.rollup` does for the SLA counts.
"""

from datetime import UTC, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Count, F, Q, Sum, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from helpdesk.models import SweepLease

from .models import (
    FeedbackDailyInvitations,
    FeedbackDailyScore,
    FeedbackRollupDay,
    Invitation,
    Response,
    SurveyKind,
)

LEASE_NAME = "feedback-rollup"
# Longer than a survey link lives (14 days by default) plus its reminder: days older than this
# rarely gain an answered invitation, and when they do the report counts it live.
RECENT_DAYS = 35
# A row stamped before `now - SETTLE` is assumed committed by `now`.
SETTLE = timedelta(minutes=1)
# dimension -> the answer's column holding its value (None: the day's totals)
DIMENSIONS = {
    "all": None,
    "agent": "agent_id",
    "team": "team_id",
    "tier": "tier_id",
    "category": "category_id",
    "language": "language",
    "channel": "channel",
}
# The scopes every dimension is summed for: everyone, each team, each tier.
SCOPES = (None, "team_id", "tier_id")
HIGH = Q(kind=SurveyKind.CSAT, score__gte=4) | Q(kind=SurveyKind.NPS, score__gte=9) | Q(kind=SurveyKind.PULSE, score=1)
LOW = Q(kind=SurveyKind.NPS, score__lte=6)


def midnight(day):
    return datetime.combine(day, time(0), tzinfo=UTC)


def last_complete_day(now):
    """The last UTC day that had ended `SETTLE` before `now`."""
    return (now - SETTLE).astimezone(UTC).date() - timedelta(days=1)


def _null_id():
    return Cast(Value(None), BigIntegerField())


def _insert(model, columns, select):
    """INSERT INTO model (columns) SELECT … — the select's values() aliases are `r_<column>`."""
    quote = connection.ops.quote_name
    sql, params = select.query.sql_with_params()
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    picked = ", ".join(f"g.{quote('r_' + c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {picked} FROM ({sql}) g",  # noqa: S608 - compiled by Django
            params,
        )
        return cursor.rowcount


SCORE_COLUMNS = (
    "day",
    "scope_team_id",
    "scope_tier_id",
    "dimension",
    "kind",
    "agent",
    "team",
    "tier",
    "category",
    "language",
    "channel",
    "answers",
    "score_sum",
    "high",
    "low",
)


def _score_select(answers, scope, dimension):
    """One (scope, dimension) part of the rollup as a grouped SELECT over the answers."""
    column = DIMENSIONS[dimension]
    keys = {
        "r_agent": _null_id(),
        "r_team": _null_id(),
        "r_tier": _null_id(),
        "r_category": _null_id(),
        "r_language": Value("", output_field=CharField()),
        "r_channel": Value("", output_field=CharField()),
    }
    if column is not None:
        keys["r_" + column.removesuffix("_id")] = F(column)
    if scope is not None:
        answers = answers.filter(**{f"{scope}__isnull": False})
    return (
        answers.annotate(
            r_day=TruncDate("created_at", tzinfo=UTC),
            r_scope_team_id=F("team_id") if scope == "team_id" else _null_id(),
            r_scope_tier_id=F("tier_id") if scope == "tier_id" else _null_id(),
            r_dimension=Value(dimension, output_field=CharField()),
            r_kind=F("kind"),
            **keys,
        )
        .values("r_day", "r_scope_team_id", "r_scope_tier_id", "r_dimension", "r_kind", *keys)
        .annotate(
            r_answers=Count("pk"),
            r_score_sum=Sum("score"),
            r_high=Count("pk", filter=HIGH),
            r_low=Count("pk", filter=LOW),
        )
    )


def refresh(*, days=RECENT_DAYS, now=None):
    """Rebuild the last `days` whole days (every day when None); returns the rows written.

    Each rebuilt day records `now - SETTLE` as the moment its figures were taken.
    """
    now = now or timezone.now()
    as_of = now - SETTLE
    last = last_complete_day(now)
    with transaction.atomic():
        SweepLease.objects.get_or_create(name=LEASE_NAME)
        # Held to the end of the transaction: a second refresh waits, then rebuilds the same days.
        SweepLease.objects.select_for_update().get(name=LEASE_NAME)
        if days is None:
            earliest = [
                model.objects.order_by("created_at").values_list("created_at", flat=True).first()
                for model in (Response, Invitation)
            ]
            earliest = [moment.astimezone(UTC).date() for moment in earliest if moment is not None]
            first = min(earliest, default=last + timedelta(days=1))
            stale = {}
        else:
            first = last - timedelta(days=days - 1)
            stale = {"day__gte": first}
        for model in (FeedbackRollupDay, FeedbackDailyScore, FeedbackDailyInvitations):
            model.objects.filter(**stale).delete()
        written = 0
        if first <= last:
            FeedbackRollupDay.objects.bulk_create(
                FeedbackRollupDay(day=first + timedelta(days=n), as_of=as_of) for n in range((last - first).days + 1)
            )
            span = {"created_at__gte": midnight(first), "created_at__lt": midnight(last + timedelta(days=1))}
            answers = Response.objects.filter(**span).order_by()
            for scope in SCOPES:
                for dimension in DIMENSIONS:
                    written += _insert(FeedbackDailyScore, SCORE_COLUMNS, _score_select(answers, scope, dimension))
            invitations = (
                Invitation.objects.filter(**span)
                .order_by()
                .annotate(
                    r_day=TruncDate("created_at", tzinfo=UTC),
                    r_kind=F("kind"),
                    r_team_id=F("ticket__queue__team_id"),
                    r_tier_id=F("person__organization__tier_id"),
                )
                .values("r_day", "r_kind", "r_team_id", "r_tier_id")
                .annotate(r_sent=Count("pk"), r_answered=Count("pk", filter=Q(answered_at__lte=as_of)))
            )
            written += _insert(
                FeedbackDailyInvitations, ("day", "kind", "team_id", "tier_id", "sent", "answered"), invitations
            )
        SweepLease.objects.filter(name=LEASE_NAME).update(last_finished_at=now)
    return written


def refreshed_at():
    """When the rollup was last rebuilt, or None if it never was (the report then counts live)."""
    return SweepLease.objects.filter(name=LEASE_NAME).values_list("last_finished_at", flat=True).first()
