"""Signals helpdesk sends to the apps above it (which helpdesk never imports)."""

from django.dispatch import Signal

# A ticket was opened (sent inside create_ticket's transaction). Sent with `ticket` and `actor`.
ticket_created = Signal()
