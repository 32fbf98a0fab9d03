"""Signals comms sends to the apps above it, which it never imports."""

from django.dispatch import Signal

# A stored email was read and is not a machine's; a receiver turns it into
# work (helpdesk: a ticket or a reply) and returns a comms.inbound.InboundOutcome.
# Sent with keyword arguments `email` (the InboundEmail row) and `parsed`
# (a comms.mailparse.ParsedEmail), inside the transaction that processes the
# row: raising rolls the receiver's work back and marks the row failed.
inbound_email_received = Signal()


# An outbox row was marked failed for good: out of attempts, or refused
# permanently by the provider. Sent with `message`, the OutboundMessage.
delivery_failed = Signal()
