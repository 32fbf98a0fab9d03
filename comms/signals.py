"""Signals comms sends to the apps above it (which comms never imports)."""

from django.dispatch import Signal

# An outbox row was marked failed for good: out of attempts, or refused
# permanently by the provider. Sent with `message`, the OutboundMessage.
delivery_failed = Signal()
