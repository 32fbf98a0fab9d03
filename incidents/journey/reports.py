"""The managers' figures on journey signals: a fixed number of aggregate queries at any volume."""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate

from helpdesk.models import Ticket

from .models import ProactiveCase, SignalEvent, SignalSeverity


def signal_figures(*, now, days=30):
    since = now - timedelta(days=days)
    per_day = list(
        SignalEvent.objects.filter(received_at__gte=since)
        .order_by()
        .annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("pk"), customers=Count("customer_id", distinct=True))
        .order_by("-day")
    )
    per_type = list(
        SignalEvent.objects.filter(received_at__gte=since)
        .order_by()
        .values("signal_type__code", "signal_type__name", "signal_type__severity")
        .annotate(n=Count("pk"), customers=Count("customer_id", distinct=True))
        .order_by("-n")
    )
    cases = ProactiveCase.objects.filter(first_detected_at__gte=since)
    # A ticket of their own, opened after we detected the signal and before we first reached them
    # (or at all, when we have not reached them yet): the customer had to ask.
    own_ticket = Ticket.objects.filter(
        requester_id=OuterRef("customer_id"),
        proactive_case__isnull=True,
        created_at__gte=OuterRef("first_detected_at"),
    )
    wrote_first = Q(Exists(own_ticket.filter(created_at__lt=OuterRef("first_outreach_at")))) | (
        Q(first_outreach_at__isnull=True) & Exists(own_ticket)
    )
    reached = Q(first_outreach_at__isnull=False)
    # Every figure in one GROUP BY severity; the totals are the sums of its rows.
    rows = list(
        cases.order_by()
        .values("severity")
        .annotate(
            cases=Count("pk"),
            reached=Count("pk", filter=reached),
            to_outreach=Sum(F("first_outreach_at") - F("first_detected_at"), filter=reached),
            wrote_first=Count("pk", filter=wrote_first),
            **_target_counts("internal_target_at", "first_handled_at", now),
            **_target_counts("outreach_target_at", "first_outreach_at", now),
        )
    )
    rank = {severity: n for n, severity in enumerate(SignalSeverity.values)}
    rows.sort(key=lambda row: rank.get(row["severity"], 99))
    total_reached = sum(row["reached"] for row in rows)
    total_time = sum((_duration(row["to_outreach"]) for row in rows if row["to_outreach"] is not None), timedelta())
    average = total_time / total_reached if total_reached else None
    targets = [
        {
            "severity": SignalSeverity(row["severity"]).label,
            "cases": row["cases"],
            "internal": _met_missed(row, "internal_target_at"),
            "outreach": _met_missed(row, "outreach_target_at"),
        }
        for row in rows
    ]
    return {
        "days": days,
        "per_day": per_day,
        "per_type": per_type,
        "cases": sum(row["cases"] for row in rows),
        "reached": total_reached,
        "avg_to_outreach": average,
        "avg_to_outreach_minutes": round(average.total_seconds() / 60, 1) if average is not None else None,
        "wrote_before_us": sum(row["wrote_first"] for row in rows),
        "targets": targets,
    }


def _target_counts(due, done, now):
    """Met: done by the target. Missed: done after it, or not done and the target has passed. Else pending."""
    return {
        f"{due}_met": Count("pk", filter=Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})),
        f"{due}_missed": Count(
            "pk",
            filter=Q(**{f"{done}__gt": F(due)}) | Q(**{f"{done}__isnull": True, f"{due}__lt": now}),
        ),
        f"{due}_set": Count("pk", filter=Q(**{f"{due}__isnull": False})),
    }


def _met_missed(row, due):
    met, missed, total = row[f"{due}_met"], row[f"{due}_missed"], row[f"{due}_set"]
    return {"met": met, "missed": missed, "pending": total - met - missed, "total": total}


def _duration(value):
    # SQLite answers a sum of durations in microseconds.
    return value if isinstance(value, timedelta) else timedelta(microseconds=value)
