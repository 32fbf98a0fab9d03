"""django-q2 entry points for delivery: thin and idempotent."""

from . import services


def deliver_message(message_id):
    return services.deliver_message(message_id)


def deliver_due():
    """Schedule target: every minute, send whatever is due or was left behind."""
    return services.deliver_due()


def process_inbound_email(email_id):
    from .inbound import process_inbound_email as process

    return process(email_id)


def process_pending_inbound():
    """Schedule target: every minute, process stored emails a lost task left in `new`."""
    from .inbound import process_pending_inbound as process

    return process()


def fetch_mail():
    """Schedule target (only when IMAP_HOST is set): every minute, store the mailbox's unseen messages."""
    from .imap import fetch_mail as fetch

    report = fetch()
    return {"stored": report.stored, "duplicates": report.duplicates, "failed": len(report.failed)}
