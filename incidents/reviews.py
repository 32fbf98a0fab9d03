"""Post-incident reviews: the written review and its follow-up tasks, and the communications report.

The report is computed in SQL from the rows the incident left behind: the
first notice stamp, the recorded cadence misses, the outbox rows whose
idempotency key names the incident's updates (counted per channel and
audience, with failures), and the tickets of the affected organizations (or
linked by hand) opened before and after customers first heard from us.
"""

from django.db import models, transaction
from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comms.models import OutboundChannel, OutboundMessage, OutboundStatus
from helpdesk.models import Ticket

from .models import (
    CadenceMiss,
    DeadlineKind,
    EventKind,
    FollowUpTask,
    IncidentEvent,
    IncidentStatus,
    IncidentTicketLink,
    PostIncidentReview,
)
from .services import IncidentError

FAILURES_LISTED = 50


class NoticeAudience(models.TextChoices):
    """Who an outbox row of the incident was for, told apart by its idempotency key."""

    CUSTOMERS = "customers", gettext_lazy("Customers")
    SUBSCRIBERS = "subscribers", gettext_lazy("Status page subscribers")
    EXECUTIVES = "executives", gettext_lazy("Executives")


def _label(choices, value):
    """The translated label of a stored code; the code itself if the choices no longer have it."""
    return choices(value).label if value in choices.values else value


def _event(incident, actor, kind, now, **data):
    IncidentEvent.objects.create(incident=incident, actor=actor, kind=kind, data=data, created_at=now)


def review_for(incident):
    """The incident's review, unsaved and empty while nobody has written one."""
    return PostIncidentReview.objects.filter(incident=incident).first() or PostIncidentReview(incident=incident)


def save_review(actor, incident, *, summary, root_cause, actions_taken, lessons, complete=False, now=None):
    """Write the review of a resolved incident; completing it needs a root cause and the actions taken."""
    now = now or timezone.now()
    if incident.status != IncidentStatus.RESOLVED:
        raise IncidentError(_("The review is written once the incident is resolved."))
    if complete and not (root_cause.strip() and actions_taken.strip()):
        raise IncidentError(_("A completed review states the root cause and the actions taken."))
    with transaction.atomic():
        review, _created = PostIncidentReview.objects.select_for_update().get_or_create(incident=incident)
        review.summary, review.root_cause = summary.strip(), root_cause.strip()
        review.actions_taken, review.lessons, review.updated_at = actions_taken.strip(), lessons.strip(), now
        fields = ["summary", "root_cause", "actions_taken", "lessons", "updated_at"]
        if complete and review.completed_at is None:
            review.completed_at, review.completed_by = now, actor
            fields += ["completed_at", "completed_by"]
            _event(incident, actor, EventKind.REVIEW_COMPLETED, now)
        review.save(update_fields=fields)
    return review


def add_follow_up_task(actor, incident, *, title, owner, due_on, now=None):
    now = now or timezone.now()
    if incident.status != IncidentStatus.RESOLVED:
        raise IncidentError(_("The review is written once the incident is resolved."))
    with transaction.atomic():
        review, _created = PostIncidentReview.objects.get_or_create(incident=incident)
        return FollowUpTask.objects.create(
            review=review, title=title.strip(), owner=owner, due_on=due_on, created_at=now
        )


def complete_follow_up_task(actor, task, *, now=None):
    """Mark a task done (once; a second click changes nothing)."""
    return bool(FollowUpTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now or timezone.now()))


def communications_report(incident, *, now=None):
    """What customers heard and when, as plain figures for the review page."""
    now = now or timezone.now()
    time_to_first_notice = incident.first_notice_at - incident.declared_at if incident.first_notice_at else None
    misses = list(
        CadenceMiss.objects.filter(incident=incident).order_by("due_at", "pk").values("kind", "due_at", "detected_at")
    )
    for miss in misses:
        miss["kind_label"] = _label(DeadlineKind, miss["kind"])
    # The notices of each update, and the one catch-up after a maintenance hold (see notices.py).
    notices = OutboundMessage.objects.filter(
        Q(idempotency_key__startswith=f"incident:{incident.pk}:update:")
        | Q(idempotency_key__startswith=f"incident:{incident.pk}:catch-up:")
    )
    audience = Case(
        When(idempotency_key__contains=":subscription:", then=Value(NoticeAudience.SUBSCRIBERS.value)),
        When(idempotency_key__contains=":executive:", then=Value(NoticeAudience.EXECUTIVES.value)),
        default=Value(NoticeAudience.CUSTOMERS.value),
        output_field=CharField(),
    )
    per_channel = list(
        notices.annotate(audience=audience)
        .values("channel", "audience")
        .annotate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(status=OutboundStatus.SENT)),
            failed=Count("pk", filter=Q(status=OutboundStatus.FAILED)),
            waiting=Count("pk", filter=Q(status__in=[OutboundStatus.PENDING, OutboundStatus.SENDING])),
        )
        .order_by("audience", "channel")
    )
    for row in per_channel:
        row["audience_label"] = _label(NoticeAudience, row["audience"])
        row["channel_label"] = _label(OutboundChannel, row["channel"])
    failures = list(
        notices.filter(status=OutboundStatus.FAILED)
        .order_by("created_at", "pk")
        .values("channel", "recipient", "last_error", "attempts")[:FAILURES_LISTED]
    )
    for failure in failures:
        failure["channel_label"] = _label(OutboundChannel, failure["channel"])
    end = incident.resolved_at or now
    opened = Q(created_at__gte=incident.declared_at, created_at__lte=end)
    if not incident.all_organizations:
        opened &= Q(organization__in=incident.organizations.values("pk"))
    linked = IncidentTicketLink.objects.linked().filter(incident=incident).values("ticket")
    tickets = Ticket.objects.filter(opened | Q(pk__in=linked))
    first = incident.first_notice_at
    if first:
        counts = tickets.aggregate(
            total=Count("pk"),
            before=Count("pk", filter=Q(created_at__lt=first)),
            after=Count("pk", filter=Q(created_at__gte=first)),
        )
    else:  # nobody was told: every ticket came before a notice
        counts = tickets.aggregate(total=Count("pk"), before=Count("pk"))
        counts["after"] = 0
    return {
        "time_to_first_notice": time_to_first_notice,
        "first_notice_target": incident.terms.get("first_notice"),
        "misses": misses,
        "per_channel": per_channel,
        "notices_total": sum(row["total"] for row in per_channel),
        "failed_total": sum(row["failed"] for row in per_channel),
        "failures": failures,
        "tickets_before": counts["before"],
        "tickets_after": counts["after"],
        "tickets_total": counts["total"],
    }
