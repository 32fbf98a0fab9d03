"""Writing to the outbox and delivering from it.

The outbox row is the source of truth. A task is only a wake-up call: the
periodic sweep (`deliver_due`) picks up anything a lost task left behind, and
the row's state change guards against a duplicated one.
"""

import hashlib
import logging
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from .models import ChannelRule, ContactChannel, DeliveryAttempt, OutboundChannel, OutboundMessage, OutboundStatus
from .templating import render, render_subject

logger = logging.getLogger(__name__)

# Longer than the django-q2 task timeout, so a live worker never loses its lease.
SEND_LEASE = timedelta(minutes=5)
SWEEP_BATCH = 200


def retry_delay(attempts):
    """Back-off after the n-th failed attempt: 1, 2, 4, 8, 16 … minutes, capped at 2 h."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def queue_email(*, key, to, subject, body, recipient_user_id=None, reference="", thread=""):
    """Write one email to the outbox, once per key, and wake the worker.

    Calling it again with the same key returns the existing row and sends
    nothing more: the key names the reason and the recipient.
    """
    defaults = {
        "channel": OutboundChannel.EMAIL,
        "recipient": to,
        "recipient_user_id": recipient_user_id,
        "subject": subject[:255],
        "body": body,
        "reference": reference[:64],
        "thread": thread[:64],
    }
    try:
        with transaction.atomic():
            message, created = OutboundMessage.objects.get_or_create(idempotency_key=key[:200], defaults=defaults)
    except IntegrityError:
        # A concurrent call inserted the same key between our read and write.
        return OutboundMessage.objects.get(idempotency_key=key[:200])
    if created:
        transaction.on_commit(lambda: _wake_worker(message.pk))
    return message


def queue_emails(emails):
    """Write many emails to the outbox in a few statements; rows whose key exists are skipped.

    Each item is a dict with `key`, `to`, `subject`, `body` and optionally
    `recipient_user_id` and `reference`. Used by periodic jobs that notify
    many people at once; the delivery sweep sends the rows, so no task is
    queued per row.
    """
    now = timezone.now()
    rows = [
        OutboundMessage(
            idempotency_key=item["key"][:200],
            channel=OutboundChannel.EMAIL,
            recipient=item["to"],
            recipient_user_id=item.get("recipient_user_id"),
            subject=item["subject"][:255],
            body=item["body"],
            reference=item.get("reference", "")[:64],
            thread=item.get("thread", "")[:64],
            next_attempt_at=now,
            created_at=now,
        )
        for item in emails
    ]
    OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _wake_worker(message_id):
    from django_q.tasks import async_task

    try:
        async_task("comms.tasks.deliver_message", message_id, task_name=f"deliver-{message_id}")
    except Exception:  # the broker being down must not fail the request
        logger.exception("Could not enqueue delivery of outbox row %s; the sweep will", message_id)


def deliver_message(message_id, *, now=None):
    """Try to send one outbox row. Safe to call twice or concurrently.

    The row is claimed by a conditional UPDATE (pending and due, or a lapsed
    lease); whoever loses the claim does nothing.
    """
    now = now or timezone.now()
    claimed = (
        OutboundMessage.objects.due(now)
        .filter(pk=message_id)
        .update(
            status=OutboundStatus.SENDING,
            lease_until=now + SEND_LEASE,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        _send(message)
    except Exception as exc:  # any channel error is recorded and retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        give_up = message.attempts >= message.max_attempts
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundStatus.FAILED if give_up else OutboundStatus.PENDING,
            next_attempt_at=now + retry_delay(message.attempts),
            lease_until=None,
            last_error=error,
        )
        DeliveryAttempt.objects.create(message=message, attempted_at=now, succeeded=False, error=error)
        logger.warning("Delivery of outbox row %s failed: %s", message.pk, error)
        return False
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    DeliveryAttempt.objects.create(message=message, attempted_at=now, succeeded=True)
    return True


def mail_domain():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def email_headers(message):
    """Message-ID fixed per outbox row, so a retried send is recognised as the same mail; In-Reply-To
    and References name the thread, so a ticket's mails group in one conversation."""
    domain = mail_domain()
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
    headers = {"Message-ID": f"<{digest}.{message.pk}@{domain}>", "X-Firstline-Key": message.idempotency_key}
    if message.thread:
        root = f"<thread.{slugify(message.thread) or 'x'}@{domain}>"
        headers.update({"In-Reply-To": root, "References": root})
    return headers


def _send(message):
    if message.channel == OutboundChannel.EMAIL:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=email_headers(message),
        ).send(fail_silently=False)
        return
    raise ValueError(f"No sender for channel {message.channel!r}")


def deliver_due(*, now=None, limit=SWEEP_BATCH):
    """Send every row that is due; returns how many were sent."""
    now = now or timezone.now()
    ids = list(OutboundMessage.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return sum(1 for pk in ids if deliver_message(pk, now=now))


def retry_message(actor, message):
    """Put a failed row back in the queue (admin action)."""
    updated = OutboundMessage.objects.filter(pk=message.pk, status=OutboundStatus.FAILED).update(
        status=OutboundStatus.PENDING, next_attempt_at=timezone.now(), max_attempts=F("attempts") + 3
    )
    if updated:
        transaction.on_commit(lambda: _wake_worker(message.pk))
    return bool(updated)


def render_template(template, *, language, values):
    """A template rendered with plain `values` in `language`, English where that language has no text.

    Returns a dict with `subject`, `body`, `short_text` and `language` (the one
    actually used), so a caller can tell the agent before sending that the
    customer's language was missing.
    """
    subject, used = template.translated("subject", language)
    body, _used = template.translated("body", used)
    short, _used = template.translated("short_text", used)
    return {
        "subject": render_subject(subject, values),
        "body": render(body, values),
        "short_text": render_subject(short, values),
        "language": used,
    }


def choose_channels(*, severity, allowed, preferred="", backup=""):
    """The channels a message goes out on, in order, without repeats.

    The severity's rule (admin data) names its channels and whether the
    customer's preferred and backup channels are added; the tier's `allowed`
    channels limit them all (email and the portal inbox are always allowed).
    With no rule, email and the portal inbox.
    """
    rule = ChannelRule.objects.filter(severity=severity).first()
    wanted = list(rule.channels) if rule else [ContactChannel.EMAIL, ContactChannel.PORTAL]
    if rule and rule.add_preferred and preferred:
        wanted.insert(0, preferred)
    if rule and rule.add_backup and backup:
        wanted.append(backup)
    permitted = set(allowed or []) | {ContactChannel.EMAIL, ContactChannel.PORTAL}
    return [channel for channel in dict.fromkeys(wanted) if channel in permitted]
