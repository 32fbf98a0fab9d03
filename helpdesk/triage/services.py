"""What people do with triage: answer the classifier's suggestion, say whether they are available."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import EventKind, SuggestionOutcome, TicketTriage, User
from ..timeline import NotAllowed, record_event


def answer_suggestion(actor, ticket, *, keep, category=None):
    """An agent keeps the classifier's category or corrects it, in one step.

    Keeping a suggestion that was only suggested sets it; correcting sets the
    agent's choice. Either way the answer is counted once (a second answer
    changes nothing) and the timeline says so.
    """
    from ..services import update_ticket

    with transaction.atomic():
        triage = (
            TicketTriage.objects.select_for_update(of=("self",))
            .select_related("suggested_category")
            .filter(ticket=ticket)
            .first()
        )
        if triage is None or triage.suggested_category_id is None:
            raise NotAllowed(_("There is no suggestion on this ticket."))
        if triage.outcome != SuggestionOutcome.PENDING:
            return triage
        chosen = triage.suggested_category if keep else category
        if chosen is None:
            raise NotAllowed(_("Choose the category the ticket belongs to."))
        if ticket.category_id != chosen.pk:
            update_ticket(actor, ticket, category=chosen)
        outcome = SuggestionOutcome.KEPT if chosen.pk == triage.suggested_category_id else SuggestionOutcome.CORRECTED
        now = timezone.now()
        TicketTriage.objects.filter(pk=triage.pk).update(outcome=outcome, outcome_at=now, outcome_by=actor)
        record_event(
            ticket,
            actor,
            EventKind.SUGGESTION,
            at=now,
            data={"outcome": outcome, "suggested": triage.suggested_category.name, "chosen": chosen.name},
        )
        triage.outcome = outcome
    return triage


def note_category_change(actor, ticket, now):
    """A category changed by hand while a suggestion waits: that answers it (kept if it is the suggestion)."""
    rows = TicketTriage.objects.filter(ticket=ticket, outcome=SuggestionOutcome.PENDING)
    kept = rows.filter(suggested_category_id=ticket.category_id).update(
        outcome=SuggestionOutcome.KEPT, outcome_at=now, outcome_by=actor
    )
    if not kept:
        rows.update(outcome=SuggestionOutcome.CORRECTED, outcome_at=now, outcome_by=actor)


def set_availability(actor, *, available):
    """An agent marks themselves available or away; away starts the clock on handing their tickets back."""
    now = timezone.now()
    User.objects.filter(pk=actor.pk).update(is_available=available, away_since=None if available else now)
    actor.is_available = available
    actor.away_since = None if available else now
    return actor
