"""What helpdesk does when a lower app (comms) tells it something through a signal."""

from django.db import IntegrityError, transaction

from .models import EventKind, Ticket, TicketEvent, ref_to_pk


def record_delivery_failure(sender, message, **kwargs):
    """A message about a ticket was given up on: the agents see it on the ticket's timeline.

    The outbox row's `reference` names the ticket (rows about anything else
    are ignored). Keyed by row and attempt, so a repeated signal writes one
    event, and a failure after an agent's retry writes a new one.
    """
    pk = ref_to_pk(message.reference)
    ticket = Ticket.objects.filter(pk=pk).only("pk").first() if pk else None
    if ticket is None:
        return None
    try:
        with transaction.atomic():
            return TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.DELIVERY_FAILED,
                key=f"delivery-failed:{message.pk}:{message.attempts}",
                data={
                    "outbox_id": message.pk,
                    "channel": message.channel,
                    "recipient": message.recipient,
                    "error": message.last_error[:500],
                },
            )
    except IntegrityError:
        return None  # already recorded
