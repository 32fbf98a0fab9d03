"""Events the helpdesk announces to the apps above it (feedback, incidents).

The helpdesk imports none of those apps (DESIGN.md, dependency rule); they
connect receivers to these signals instead. Every signal here is sent from a
service's `transaction.on_commit`, so a receiver only ever hears about a
change that really happened, and may open its own transaction.

Ticket signals carry ids, set-wise: a bulk change sends one signal for all
the tickets it changed, so a receiver can do its work in a few statements.
"""

from django.dispatch import Signal

# A ticket was opened (sent inside create_ticket's transaction). Sent with `ticket` and `actor`.
ticket_created = Signal()

# A ticket went from an open status to resolved or closed.
# kwargs: ticket_ids (list of ints), actor (User or None), at (datetime)
ticket_resolved = Signal()

# A resolved or closed ticket went back to an open status.
# kwargs: ticket_ids (list of ints), actor (User or None), at (datetime)
ticket_reopened = Signal()

# A page asks for extra panels from other apps (see helpdesk.templatetags.panels).
# kwargs: place (str: "portal-ticket", "portal-preferences", "manager-dashboard",
# "agent-ticket"), request, and what that place shows (e.g. ticket).
# Receivers return rendered HTML (a SafeString) or None.
page_panels = Signal()


def announce_status_change(tickets_by_change, *, actor, at):
    """Send ticket_resolved / ticket_reopened once the transaction commits.

    `tickets_by_change` maps "resolved" and "reopened" to lists of ticket ids.
    """
    from django.db import transaction

    resolved = list(tickets_by_change.get("resolved") or ())
    reopened = list(tickets_by_change.get("reopened") or ())

    def send():
        if resolved:
            ticket_resolved.send(sender="helpdesk.Ticket", ticket_ids=resolved, actor=actor, at=at)
        if reopened:
            ticket_reopened.send(sender="helpdesk.Ticket", ticket_ids=reopened, actor=actor, at=at)

    if resolved or reopened:
        transaction.on_commit(send)


def status_change_kind(old, new):
    """ "resolved", "reopened" or None for a status change, by the open/done divide."""
    from .models import DONE_STATUSES, OPEN_STATUSES

    if old in OPEN_STATUSES and new in DONE_STATUSES:
        return "resolved"
    if old in DONE_STATUSES and new in OPEN_STATUSES:
        return "reopened"
    return None
