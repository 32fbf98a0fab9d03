"""What incidents does when helpdesk tells it something through a signal."""

from django.db import transaction

from .services import offer_ticket


def offer_new_ticket(sender, ticket, **kwargs):
    """A new ticket that looks like part of an open incident is offered on the incident page."""
    transaction.on_commit(lambda: offer_ticket(ticket))
