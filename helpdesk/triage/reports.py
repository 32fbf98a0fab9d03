"""Triage and routing figures for managers: a fixed handful of queries whatever the volume."""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q

from ..models import (
    ClassifierModel,
    Complexity,
    CustomerType,
    EventKind,
    SuggestionOutcome,
    Ticket,
    TicketEvent,
    TicketTriage,
)
from ..reports import duration_label


@dataclass(frozen=True)
class Figures:
    tickets: int
    assigned: int
    median_to_assign: timedelta | None
    p90_to_assign: timedelta | None
    kept: int
    corrected: int
    pending: int
    reassignments: int
    failed: int
    vip: int
    security: int
    frustrated: int
    repeat: int
    complex: int
    new_customers: int
    classifier: ClassifierModel | None

    @property
    def median_label(self):
        return duration_label(self.median_to_assign)

    @property
    def p90_label(self):
        return duration_label(self.p90_to_assign)

    @property
    def accuracy_percent(self):
        accuracy = self.classifier.category_accuracy if self.classifier else None
        return None if accuracy is None else round(100 * accuracy, 1)

    @property
    def answered(self):
        return self.kept + self.corrected

    @property
    def acceptance(self):
        """Share of answered suggestions that agents kept, in percent (None before the first answer)."""
        return round(100 * self.kept / self.answered, 1) if self.answered else None


def _percentile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def triage_figures(start, end):
    created = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    waits = [
        first - opened
        for opened, first in created.annotate(
            first_assigned=Min("events__created_at", filter=Q(events__kind=EventKind.ASSIGNED))
        )
        .filter(first_assigned__isnull=False)
        .values_list("created_at", "first_assigned")
    ]
    counts = TicketTriage.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        tickets=Count("pk"),
        kept=Count("pk", filter=Q(outcome=SuggestionOutcome.KEPT)),
        corrected=Count("pk", filter=Q(outcome=SuggestionOutcome.CORRECTED)),
        pending=Count("pk", filter=Q(outcome=SuggestionOutcome.PENDING)),
        failed=Count("pk", filter=Q(failed=True)),
        vip=Count("pk", filter=Q(is_vip=True)),
        security=Count("pk", filter=Q(is_security=True)),
        frustrated=Count("pk", filter=Q(is_frustrated=True)),
        repeat=Count("pk", filter=Q(is_repeat=True)),
        complex=Count("pk", filter=Q(complexity=Complexity.COMPLEX)),
        new_customers=Count("pk", filter=Q(customer_type=CustomerType.NEW)),
    )
    # A reassignment is a change of assignee from someone (to someone else or back to the queue).
    reassignments = (
        TicketEvent.objects.filter(kind=EventKind.ASSIGNED, created_at__gte=start, created_at__lt=end)
        .exclude(data__from_id=None)
        .count()
    )
    return Figures(
        assigned=len(waits),
        median_to_assign=statistics.median(waits) if waits else None,
        p90_to_assign=_percentile(waits, 0.9),
        reassignments=reassignments,
        classifier=ClassifierModel.objects.filter(is_active=True).defer("pipeline").first(),
        **counts,
    )
