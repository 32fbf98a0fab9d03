"""django-q2 entry points for delivery: thin and idempotent."""

from . import services


def deliver_message(message_id):
    return services.deliver_message(message_id)


def deliver_due():
    """Schedule target: every minute, send whatever is due or was left behind."""
    return services.deliver_due()
