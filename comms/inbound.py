"""Inbound email: keep every message first, then process it once.

An email arrives through the IMAP poller (comms.imap) or the HTTP endpoint
(comms.views). `store_inbound_email` writes its raw bytes to an
InboundEmail row and only then asks a worker to process it; a periodic
sweep picks up rows a lost task left in `new`. Processing reads the email
(comms.mailparse), ignores mail written by machines, and hands the rest to
whichever app listens to `comms.signals.inbound_email_received` (the
helpdesk), which answers with an InboundOutcome that is saved on the row.

Processing is safe to run twice or concurrently: the row is claimed by a
conditional UPDATE from `new`, inside the same transaction as the work and
the final status, so a second run finds nothing to claim.
"""

import logging
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .mailparse import MalformedEmail, parse_email, read_envelope
from .models import REPROCESSABLE_STATUSES, InboundEmail, InboundStatus
from .signals import inbound_email_received

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100
ERROR_LENGTH = 4000


class EmptyEmail(Exception):
    pass


class EmailTooLarge(Exception):
    def __init__(self, size):
        super().__init__(
            _("The email is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"size": size, "limit": settings.FIRSTLINE_INBOUND_MAX_BYTES}
        )
        self.size = size


@dataclass(frozen=True)
class InboundOutcome:
    """What became of an email, as reported by the app that handled it."""

    status: str
    error: str = ""
    ticket_ref: str = ""
    message_id: int | None = None


# --- storing ---------------------------------------------------------------------------------


def store_inbound_email(raw, *, source):
    """Keep one received email and have it processed; returns (row, created).

    Raises EmptyEmail or EmailTooLarge (the endpoint answers 400 and 413).
    An email whose Message-ID is already stored is not stored again: the
    existing row is returned with created False, so a message fetched or
    posted twice is processed once. Headers that cannot be read leave the
    row's summary fields empty; processing then records why.
    """
    raw = bytes(raw or b"")
    if not raw.strip():
        raise EmptyEmail(_("The email is empty."))
    if len(raw) > settings.FIRSTLINE_INBOUND_MAX_BYTES:
        raise EmailTooLarge(len(raw))
    envelope = read_envelope(raw)
    row = InboundEmail(
        raw=raw,
        size=len(raw),
        source=source,
        message_id=envelope.message_id or None,
        sender=envelope.sender,
        sender_name=envelope.sender_name,
        subject=envelope.subject,
    )
    return _save_once(row)


def store_unreadable_email(raw, *, source, reason, size=None):
    """Keep what we could get of an email we cannot process (say, over the size limit) as failed."""
    raw = bytes(raw or b"")
    envelope = read_envelope(raw)
    row = InboundEmail(
        raw=raw,
        size=size if size is not None else len(raw),
        source=source,
        message_id=envelope.message_id or None,
        sender=envelope.sender,
        sender_name=envelope.sender_name,
        subject=envelope.subject,
        status=InboundStatus.FAILED,
        error=str(reason)[:ERROR_LENGTH],
        processed_at=timezone.now(),
    )
    return _save_once(row)


def _save_once(row):
    if row.message_id:
        existing = InboundEmail.objects.defer("raw").filter(message_id=row.message_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # The same Message-ID was stored by a concurrent fetch or post.
        if not row.message_id:
            raise
        return InboundEmail.objects.defer("raw").get(message_id=row.message_id), False
    if row.status == InboundStatus.NEW:
        transaction.on_commit(lambda: _wake_worker(row.pk))
    return row, True


def _wake_worker(email_id):
    from django_q.tasks import async_task

    try:
        async_task("comms.tasks.process_inbound_email", email_id, task_name=f"inbound-{email_id}")
    except Exception:  # the broker being down must not lose the email: the sweep will process it
        logger.exception("Could not enqueue processing of inbound email %s; the sweep will", email_id)


# --- processing ------------------------------------------------------------------------------


def process_inbound_email(email_id):
    """Process one stored email, once. Returns the new status, or None if someone else had it."""
    with transaction.atomic():
        claimed = InboundEmail.objects.filter(pk=email_id, status=InboundStatus.NEW).update(
            status=InboundStatus.PROCESSING
        )
        if not claimed:
            return None
        email = InboundEmail.objects.get(pk=email_id)
        outcome = _outcome(email)
        InboundEmail.objects.filter(pk=email_id).update(
            status=outcome.status,
            error=outcome.error[:ERROR_LENGTH],
            ticket_ref=outcome.ticket_ref[:32],
            ticket_message_id=outcome.message_id,
            processed_at=timezone.now(),
        )
    return outcome.status


def _outcome(email):
    try:
        # A savepoint: whatever a receiver wrote is undone if it fails, and the row still records why.
        with transaction.atomic():
            parsed = parse_email(bytes(email.raw))
            if parsed.auto_reply:
                return InboundOutcome(InboundStatus.IGNORED_AUTO_REPLY, error=parsed.auto_reply)
            if parsed.sender.lower() == our_address():
                return InboundOutcome(InboundStatus.IGNORED_AUTO_REPLY, error=_("Sent from our own address."))
            for _receiver, answer in inbound_email_received.send(sender=InboundEmail, email=email, parsed=parsed):
                if isinstance(answer, InboundOutcome):
                    return answer
            return InboundOutcome(InboundStatus.FAILED, error=_("No application handles inbound email."))
    except MalformedEmail as exc:
        return InboundOutcome(InboundStatus.FAILED, error=str(exc))
    except Exception as exc:
        logger.exception("Processing inbound email %s failed", email.pk)
        return InboundOutcome(InboundStatus.FAILED, error=f"{type(exc).__name__}: {exc}")


def our_address():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def process_pending_inbound(*, limit=SWEEP_BATCH):
    """Process rows still in `new` (a lost or failed wake-up); returns how many were processed."""
    ids = list(
        InboundEmail.objects.filter(status=InboundStatus.NEW)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if process_inbound_email(pk) is not None)


def reprocess_inbound_email(actor, email):
    """Send a failed, held or rejected email through processing again (admin action).

    A processed email never goes back: it already made its ticket or reply;
    nor does one kept only in part because it was over the size limit.
    """
    updated = (
        InboundEmail.objects.filter(pk=email.pk, status__in=REPROCESSABLE_STATUSES)
        .filter(size__lte=settings.FIRSTLINE_INBOUND_MAX_BYTES)
        .update(status=InboundStatus.NEW, error="", processed_at=None)
    )
    if updated:
        transaction.on_commit(lambda: _wake_worker(email.pk))
    return bool(updated)
