"""The managers' figures on journey signals: a fixed number of aggregate queries at any volume."""

from datetime import timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate

from helpdesk.models import Ticket

from .models import ProactiveCase, SignalEvent


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
    wrote_first = Exists(own_ticket.filter(created_at__lt=OuterRef("first_outreach_at"))) | (
        Q(first_outreach_at__isnull=True) & Exists(own_ticket)
    )
    totals = cases.aggregate(
        cases=Count("pk"),
        reached=Count("pk", filter=Q(first_outreach_at__isnull=False)),
        avg_to_outreach=Avg(F("first_outreach_at") - F("first_detected_at")),
    )
    before_us = cases.filter(wrote_first).count()
    average = totals["avg_to_outreach"]
    if average is not None and not isinstance(average, timedelta):
        average = timedelta(microseconds=average)  # SQLite answers in microseconds
    return {
        "days": days,
        "per_day": per_day,
        "per_type": per_type,
        "cases": totals["cases"],
        "reached": totals["reached"],
        "avg_to_outreach": average,
        "avg_to_outreach_minutes": round(average.total_seconds() / 60, 1) if average is not None else None,
        "wrote_before_us": before_us,
    }
