"""Built-in detection rules: scheduled, set-wise queries over Firstline's own data.

Each rule is one SELECT whatever the number of tickets (a GROUP BY or a
filtered scan with a correlated subquery the database runs per candidate
row, never a query per row in Python). A hit carries a natural key (the
message or handoff it is about), so the same situation found by the next
run is the same event and changes nothing; a new message makes a new key.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from helpdesk.models import Handoff, Message, Role, Status, Ticket, User

from .engine import Incoming, ingest_signals, prepare_case
from .models import Detection, SignalEvent, SignalType

KEY_HORIZON = timedelta(days=180)


def repeat_contact(signal_type, now):
    """The same customer wrote 3+ times (new tickets and replies) in 7 days."""
    count = signal_type.parameter("count", 3)
    days = signal_type.parameter("days", 7)
    rows = (
        Message.objects.filter(
            created_at__gte=now - timedelta(days=days), is_internal=False, author__role=Role.CUSTOMER
        )
        .order_by()
        .values("author_id")
        .annotate(n=Count("pk"), last=Max("pk"))
        .filter(n__gte=count)
    )
    # Keyed by the latest message: a further contact is a new event (and a new touch), a rerun is not.
    return [(r["author_id"], f"{r['author_id']}:{r['last']}", {"contacts": r["n"], "days": days}) for r in rows]


def _last_public_author_role():
    return Subquery(
        Message.objects.filter(ticket=OuterRef("pk"), is_internal=False)
        .order_by("-created_at", "-pk")
        .values("author__role")[:1]
    )


def waiting_on_us(signal_type, now):
    """A customer's latest message on an open ticket has waited for an answer longer than `hours`."""
    hours = signal_type.parameter("hours", 8)
    rows = (
        Ticket.objects.open()
        .filter(status__in=[Status.NEW, Status.OPEN], last_public_at__lte=now - timedelta(hours=hours))
        .filter(proactive_case__isnull=True)
        .annotate(last_role=_last_public_author_role())
        .filter(last_role=Role.CUSTOMER)
        .values("pk", "requester_id", "last_public_at")
    )
    return [
        (
            r["requester_id"],
            f"{r['pk']}:{r['last_public_at']:%Y%m%d%H%M%S}",
            {"ticket": Ticket.ref_for(r["pk"]), "waiting_since": r["last_public_at"].isoformat(), "hours": hours},
        )
        for r in rows
    ]


def unacknowledged_escalation(signal_type, now):
    """An escalation whose receiving level has not acknowledged it `hours` after it was due (or made)."""
    hours = signal_type.parameter("hours", 2)
    late = now - timedelta(hours=hours)
    rows = (
        Handoff.objects.filter(acknowledged_at__isnull=True, ticket__is_open=1, created_at__lte=late)
        .exclude(acknowledge_due__gt=late)
        .filter(to_level__gt=1)
        .values("pk", "ticket_id", "ticket__requester_id", "to_level", "created_at")
    )
    return [
        (
            r["ticket__requester_id"],
            f"handoff:{r['pk']}",
            {"ticket": Ticket.ref_for(r["ticket_id"]), "to_level": r["to_level"], "since": r["created_at"].isoformat()},
        )
        for r in rows
    ]


def silent_customer(signal_type, now):
    """Waiting on the customer, and they have not answered for `days`."""
    days = signal_type.parameter("days", 5)
    rows = (
        Ticket.objects.filter(status=Status.WAITING, last_public_at__lte=now - timedelta(days=days))
        .filter(proactive_case__isnull=True)
        .values("pk", "requester_id", "last_public_at")
    )
    return [
        (
            r["requester_id"],
            f"{r['pk']}:{r['last_public_at']:%Y%m%d%H%M%S}",
            {"ticket": Ticket.ref_for(r["pk"]), "waiting_since": r["last_public_at"].isoformat(), "days": days},
        )
        for r in rows
    ]


RULES = {
    Detection.REPEAT_CONTACT: repeat_contact,
    Detection.WAITING_ON_US: waiting_on_us,
    Detection.UNACKNOWLEDGED_ESCALATION: unacknowledged_escalation,
    Detection.SILENT_CUSTOMER: silent_customer,
}


def new_hits(signal_type, now):
    """The rule's hits whose key has not been recorded yet: two queries at any volume.

    Keys are compared with those the rule recorded within KEY_HORIZON; a
    situation unchanged for longer than that is reported once more (the
    proactive ticket it made then is long resolved).
    """
    hits = RULES[signal_type.detection](signal_type, now)
    if not hits:
        return []
    seen = set(
        SignalEvent.objects.filter(
            integration__isnull=True, signal_type=signal_type, received_at__gte=now - KEY_HORIZON
        ).values_list("idempotency_key", flat=True)
    )
    return [hit for hit in hits if hit[1] not in seen]


def run_detection(*, now=None, limit=200):
    """Every active rule-based signal type: record up to `limit` new hits each; returns {code: recorded}.

    Each type's hits are recorded set-wise in one transaction (ingest_signals);
    the tickets of the cases it opened are then opened here, one transaction
    each, as this already runs in the worker. What is left over is found
    again (and recorded) by the next run.
    """
    now = now or timezone.now()
    done = {}
    for signal_type in SignalType.objects.detected_by_rule().select_related("queue"):
        hits = new_hits(signal_type, now)[:limit]
        active = set(
            User.objects.filter(pk__in={customer for customer, _key, _payload in hits}, is_active=True).values_list(
                "pk", flat=True
            )
        )
        items = [
            Incoming(signal_type, customer_id, key, payload=payload)
            for customer_id, key, payload in hits
            if customer_id in active
        ]
        with transaction.atomic():
            recorded = ingest_signals(items, now=now)
        for case_id in sorted({r.case_id for r in recorded if r.created}):
            prepare_case(case_id, now=now)
        done[signal_type.code] = sum(r.created for r in recorded)
    return done
