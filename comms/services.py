"""Writing to the outbox and delivering from it.

The outbox row is the source of truth. A task is only a wake-up call: the
periodic sweep (`deliver_due`) picks up anything a lost task left behind, and
the row's state change guards against a duplicated one.

Writing: `queue_message` (one row, any channel), `queue_messages` (many, in
bulk), `notify_contact` (one person on every channel the rules choose).
Delivering: `claim_due` takes a batch of due rows set-wise under a lease
token, `deliver_claimed` sends them through the channel senders of
comms/channels.py and records each outcome; a row given up on sends
`comms.signals.delivery_failed`.
"""

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .channels import PermanentFailure, sender_for
from .channels import email_headers as email_headers  # re-exported: callers know them from here
from .channels import mail_domain as mail_domain
from .models import (
    ChannelRule,
    ContactChannel,
    DeliveryAttempt,
    OutboundChannel,
    OutboundMessage,
    OutboundStatus,
    PortalNotification,
)
from .signals import delivery_failed
from .templating import render, render_subject

logger = logging.getLogger(__name__)

# Longer than the django-q2 task timeout, so a live worker never loses its lease.
SEND_LEASE = timedelta(minutes=5)
# A batch stops sending after this long and hands its remaining rows back: shorter than the
# django-q2 task timeout (60 s), so a task is not killed mid-batch with rows sent but unrecorded.
SEND_BUDGET_SECONDS = 40
SWEEP_BATCH = 200
# Channels that carry the template's short text rather than its subject and body.
SHORT_CHANNELS = {OutboundChannel.SMS, OutboundChannel.PUSH}
TRUNCATED_MARKER = "\n\n[…] This message was too long and has been shortened."
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# "Name <address>" or a bare address; the name may not hold what would start a second address.
EMAIL_RECIPIENT = re.compile(r'^(?:(?P<name>[^<>,;"\\]*?)\s*<(?P<address>[^<>\s]+)>|(?P<bare>[^<>\s,;]+))$')
PHONE_SEPARATORS = re.compile(r"[\s().-]")
PHONE = re.compile(r"^\+?[0-9]{6,15}$")
# See _mark_sent.
# The model's own table name, not input; every value is a parameter.
OUTBOX_TABLE = OutboundMessage._meta.db_table
MARK_SENT_SQL = (
    f"UPDATE {OUTBOX_TABLE} SET status = %s, sent_at = %s, lease_until = NULL, last_error = '', "  # noqa: S608
    "provider_id = %s WHERE id = %s AND lease_token = %s"
)
# The same on PostgreSQL, its commit not waiting for the disk. set_config(..., true) sets the
# parameter for the statement's own transaction; in RETURNING it runs for the row written, so
# it costs no round trip of its own (BEGIN, SET LOCAL, UPDATE, COMMIT took 0.35 ms more).
MARK_SENT_ASYNC_COMMIT_SQL = MARK_SENT_SQL + " RETURNING set_config('synchronous_commit', 'off', true)"


def retry_delay(attempts):
    """Back-off after the n-th failed attempt: 1, 2, 4, 8, 16 … minutes, capped at 2 h."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


# --- writing to the outbox -------------------------------------------------------------------


def clean_recipient(channel, to, recipient_user_id=None):
    """The recipient as stored for `channel`, or ValueError saying what is wrong with it.

    Email: one address, bare or as "Name <address>", never a line break
    (a header injection) or a second address. SMS: a phone number, stored
    without separators. Push and portal: the user id. Chat: a room label.
    """
    to = "" if to is None else str(to)
    if CONTROL.search(to):
        raise ValueError(f"The {channel} recipient {to!r} contains a line break or control character.")
    to = to.strip()
    if channel == OutboundChannel.EMAIL:
        match = EMAIL_RECIPIENT.match(to)
        address = match and (match["address"] or match["bare"])
        try:
            validate_email(address or "")
        except ValidationError:
            raise ValueError(f"{to!r} is not one valid email address.") from None
        return to
    if channel == OutboundChannel.SMS:
        number = PHONE_SEPARATORS.sub("", to)
        if not PHONE.match(number):
            raise ValueError(f"{to!r} is not a phone number (6 to 15 digits, optionally with a leading +).")
        return number
    if channel in (OutboundChannel.PORTAL, OutboundChannel.PUSH):
        if not recipient_user_id:
            raise ValueError(f"A {channel} message needs the recipient's user id.")
        return to or str(recipient_user_id)
    if channel == OutboundChannel.CHAT:
        return to[:254] or "chat"
    raise ValueError(f"Unknown channel {channel!r}; expected one of {', '.join(OutboundChannel.values)}.")


def clean_link(link):
    """A path on this site or an http(s) address; anything else (javascript:, //evil) is refused."""
    link = (link or "").strip()
    if not link:
        return ""
    if CONTROL.search(link) or len(link) > 500:
        raise ValueError("A link may not contain control characters or exceed 500 characters.")
    if (link.startswith("/") and not link.startswith("//")) or link.startswith(("https://", "http://")):
        return link
    raise ValueError(f"{link!r} is neither a path on this site nor an http(s) address.")


def fit_body(channel, body):
    """The body within the channel's size: the marker shows where a long one was cut.

    SMS and push get FIRSTLINE_SMS_MAX_CHARS characters; every other
    channel FIRSTLINE_OUTBOX_MAX_BODY_BYTES bytes of UTF-8. Long bodies are
    shortened rather than refused: the full text stays on the ticket, and a
    notice that is cut still tells the customer that something happened.
    """
    body = body or ""
    if channel in SHORT_CHANNELS:
        limit = settings.FIRSTLINE_SMS_MAX_CHARS
        return body if len(body) <= limit else body[: limit - 1].rstrip() + "…"
    limit = settings.FIRSTLINE_OUTBOX_MAX_BODY_BYTES
    encoded = body.encode()
    if len(encoded) <= limit:
        return body
    room = limit - len(TRUNCATED_MARKER.encode())
    return encoded[:room].decode("utf-8", "ignore").rstrip() + TRUNCATED_MARKER


def one_line(text, limit):
    return " ".join(str(text or "").split())[:limit]


def build_message(
    *,
    channel,
    key,
    to,
    body,
    subject="",
    recipient_user_id=None,
    reference="",
    thread="",
    template_slug="",
    language="",
    link="",
    now=None,
):
    """An unsaved outbox row with every field checked; ValueError for what cannot be sent."""
    if channel not in OutboundChannel.values:
        raise ValueError(f"Unknown channel {channel!r}; expected one of {', '.join(OutboundChannel.values)}.")
    key = str(key or "")
    if not key or CONTROL.search(key):
        raise ValueError(f"The idempotency key {key!r} is empty or contains a control character.")
    now = now or timezone.now()
    return OutboundMessage(
        idempotency_key=key[:200],
        channel=channel,
        recipient=clean_recipient(channel, to, recipient_user_id),
        recipient_user_id=recipient_user_id,
        # One line: a subject becomes a mail header, and a line break there would start a new one.
        subject=one_line(subject, 255),
        body=fit_body(channel, body),
        template_slug=one_line(template_slug, 80),
        language=one_line(language, 10),
        link=clean_link(link),
        reference=one_line(reference, 64),
        thread=one_line(thread, 64),
        next_attempt_at=now,
        created_at=now,
    )


def queue_message(*, channel, key, to, body, subject="", **fields):
    """Write one message on one channel to the outbox, once per key, and wake the worker.

    Calling it again with the same key returns the existing row and sends
    nothing more: the key names the reason, the recipient and the channel.
    A recipient that cannot be sent to safely (a line break, two addresses,
    not a phone number) raises ValueError and stores nothing. `fields` are
    the optional columns of `build_message`.
    """
    message = build_message(channel=channel, key=key, to=to, body=body, subject=subject, **fields)
    values = {
        f.attname: getattr(message, f.attname) for f in OutboundMessage._meta.concrete_fields if not f.primary_key
    }
    key = values.pop("idempotency_key")
    try:
        with transaction.atomic():
            message, created = OutboundMessage.objects.get_or_create(idempotency_key=key, defaults=values)
    except IntegrityError:
        # A concurrent call inserted the same key between our read and write.
        return OutboundMessage.objects.get(idempotency_key=key)
    if created:
        transaction.on_commit(lambda: _wake_worker(message.pk))
    return message


def queue_email(*, key, to, subject, body, recipient_user_id=None, reference="", thread="", **fields):
    """One email to the outbox (see queue_message)."""
    return queue_message(
        channel=OutboundChannel.EMAIL,
        key=key,
        to=to,
        subject=subject,
        body=body,
        recipient_user_id=recipient_user_id,
        reference=reference,
        thread=thread,
        **fields,
    )


def queue_messages(items):
    """Write many messages to the outbox in a few statements; rows whose key exists are skipped.

    Each item is a dict of `queue_message`'s arguments (`channel` defaults
    to email). Every item is checked before anything is written, so one bad
    recipient raises ValueError (naming its key) and stores nothing. Used by
    periodic jobs that notify many people at once; the delivery sweep sends
    the rows, so no task is queued per row.
    """
    now = timezone.now()
    rows = []
    for item in items:
        fields = dict(item)
        fields.setdefault("channel", OutboundChannel.EMAIL)
        try:
            rows.append(build_message(now=now, **fields))
        except ValueError as exc:
            raise ValueError(f"Message {fields.get('key')!r}: {exc}") from exc
    OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def queue_emails(emails):
    """Many emails at once (see queue_messages); items are `key`, `to`, `subject`, `body` and optional fields."""
    return queue_messages(emails)


def _wake_worker(message_id):
    from django_q.tasks import async_task

    try:
        async_task("comms.tasks.deliver_message", message_id, task_name=f"deliver-{message_id}")
    except Exception:  # the broker being down must not fail the request
        logger.exception("Could not enqueue delivery of outbox row %s; the sweep will", message_id)


# --- fan-out to a person ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A person to notify, as plain data: comms knows no user model."""

    user_id: int | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    preferred_channel: str = ""
    backup_channel: str = ""

    def address(self, channel):
        """Where `channel` reaches this person; "" when it cannot."""
        if channel == OutboundChannel.EMAIL:
            return self.email
        if channel == OutboundChannel.SMS:
            return self.phone
        if channel in (OutboundChannel.PORTAL, OutboundChannel.PUSH):
            return str(self.user_id) if self.user_id else ""
        return ""


def deliverable_channels(channels):
    """Chosen contact channels as outbox channels, in order, without repeats.

    We cannot place a phone call: a `phone` channel is delivered as an SMS
    (the fastest thing we can send to the same number). Calling the customer
    stays with the people on the ticket.
    """
    mapped = [OutboundChannel.SMS if channel == ContactChannel.PHONE else channel for channel in channels]
    return [channel for channel in dict.fromkeys(mapped) if channel in OutboundChannel.values]


def channel_key(key, channel):
    """The idempotency key of one channel's row: email keeps the bare key, the others add `:<channel>`.

    Email rows were keyed before there were other channels; keeping their
    keys means a notice sent before an upgrade is not sent again after it.
    """
    return key if channel == OutboundChannel.EMAIL else f"{key}:{channel}"


def notify_contact(
    contact,
    *,
    severity,
    key,
    template=None,
    values=None,
    rendered=None,
    allowed_channels=(),
    reference="",
    thread="",
    link="",
):
    """Write one outbox row per channel the rules choose for `contact`; returns the rows.

    Channels come from `choose_channels` (severity, the tier's
    `allowed_channels`, the contact's preferred and backup channel); a
    channel the contact has no (valid) address for is skipped. The words
    come from the MessageTemplate `template` with `values`, rendered in the
    contact's language, or are given `rendered` (a dict with subject, body,
    short_text, language and optionally template_slug). Email and the portal
    inbox carry subject and body; SMS and push the short text (the subject
    when there is none). Keys follow `channel_key`, so running it again
    writes nothing more.
    """
    if (template is None) == (rendered is None):
        raise TypeError("notify_contact needs a template or a rendered text, not both.")
    if template is not None:
        rendered = {
            **render_template(template, language=contact.language or settings.LANGUAGE_CODE, values=values or {}),
            "template_slug": template.slug,
        }
    chosen = choose_channels(
        severity=severity,
        allowed=allowed_channels,
        preferred=contact.preferred_channel,
        backup=contact.backup_channel,
    )
    rows = []
    for channel in deliverable_channels(chosen):
        to = contact.address(channel)
        if not to:
            continue
        short = rendered.get("short_text") or rendered.get("subject", "")
        try:
            rows.append(
                queue_message(
                    channel=channel,
                    key=channel_key(key, channel),
                    to=to,
                    subject=rendered.get("subject", ""),
                    body=short if channel in SHORT_CHANNELS else rendered.get("body", ""),
                    recipient_user_id=contact.user_id,
                    reference=reference,
                    thread=thread,
                    template_slug=rendered.get("template_slug", ""),
                    language=rendered.get("language", ""),
                    link=link if channel != OutboundChannel.EMAIL else "",
                )
            )
        except ValueError as exc:
            # A contact's stored address that cannot be used is no address: the other channels still go.
            logger.warning("Not notifying user %s by %s: %s", contact.user_id, channel, exc)
    return rows


# --- delivering ----------------------------------------------------------------------------


def claim_due(now, *, limit=SWEEP_BATCH, pk=None):
    """Claim up to `limit` due rows for this worker; returns (token, rows).

    In one transaction a SELECT picks the due rows' ids, and one conditional
    UPDATE moves them to `sending` with a lease and a new token; a SELECT by
    the token reads back exactly what it claimed. The UPDATE re-checks "due"
    on every row it writes, so two workers racing for the same rows cannot
    both win one: the loser's condition no longer holds (SQLite runs writers
    one at a time; PostgreSQL re-evaluates the condition on a row another
    transaction just changed). On PostgreSQL the pick locks its rows and
    skips rows another worker has locked, which only saves it a wasted round.
    The pick is a statement of its own, not a subquery of the UPDATE: when
    a row it chose changes under it, PostgreSQL runs such a subquery again
    and the LIMIT no longer bounds the claim (one worker then took thousands
    of rows in the fan-out bench, leaving the other idle).
    """
    token = uuid.uuid4().hex
    due = OutboundMessage.objects.due(now)
    picked = (due.filter(pk=pk) if pk is not None else due).order_by("next_attempt_at", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            picked = picked.select_for_update(skip_locked=True)
        pks = list(picked.values_list("pk", flat=True)[:limit])
        claimed = pks and (
            OutboundMessage.objects.due(now)
            .filter(pk__in=pks)
            .update(
                status=OutboundStatus.SENDING,
                lease_until=now + SEND_LEASE,
                lease_token=token,
                attempts=F("attempts") + 1,
            )
        )
    rows = list(OutboundMessage.objects.claimed_by(token).order_by("next_attempt_at", "pk")) if claimed else []
    return token, rows


def deliver_message(message_id, *, now=None):
    """Try to send one outbox row. Safe to call twice or concurrently: only one caller claims it."""
    now = now or timezone.now()
    token, rows = claim_due(now, limit=1, pk=message_id)
    return bool(rows) and deliver_claimed(token, rows, now=now) == 1


def deliver_due(*, now=None, limit=SWEEP_BATCH):
    """Claim up to `limit` due rows at once and send them; returns how many were sent."""
    now = now or timezone.now()
    token, rows = claim_due(now, limit=limit)
    return deliver_claimed(token, rows, now=now) if rows else 0


def deliver_claimed(token, rows, *, now):
    """Send rows this worker claimed with `token`, one sender (one SMTP connection) per channel.

    Each row's outcome is saved as soon as it is known, before the next row
    is sent, so a worker killed mid-batch leaves at most the one message in
    flight sent but not recorded: its lease runs out and the next sweep
    sends it again (an at-least-once duplicate, never more than one; a
    crash of the PostgreSQL server itself is covered in `_mark_sent`). The
    delivery log lines of rows sent are written together at the end of their
    channel's batch; a worker killed mid-batch loses those lines only, not
    the rows' `sent` state. Rows not reached within SEND_BUDGET_SECONDS are
    handed back untouched.
    """
    started = time.monotonic()
    by_channel = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    sent = 0
    handed_back = []
    for channel, batch in by_channel.items():
        try:
            sender = sender_for(channel)
            sender.open()
        except Exception as exc:  # no connection at all: every row of the channel waits for the next try
            for row in batch:
                _record_failure(row, token, now, exc)
            continue
        delivered = []
        try:
            for row in batch:
                if time.monotonic() - started > SEND_BUDGET_SECONDS:
                    handed_back.append(row.pk)
                    continue
                try:
                    provider_id = sender.send(row)
                except Exception as exc:  # any channel error is recorded and retried (or failed for good)
                    _record_failure(row, token, now, exc)
                else:
                    _mark_sent(row.pk, token, provider_id)
                    delivered.append(row.pk)
        finally:
            try:
                sender.close()
            except Exception:
                logger.warning("Closing the %s sender failed", channel, exc_info=True)
            DeliveryAttempt.objects.bulk_create(
                DeliveryAttempt(message_id=pk, attempted_at=now, succeeded=True) for pk in delivered
            )
            sent += len(delivered)
    if handed_back:
        OutboundMessage.objects.filter(pk__in=handed_back, lease_token=token).update(
            status=OutboundStatus.PENDING, lease_until=None, attempts=F("attempts") - 1
        )
    return sent


def _mark_sent(pk, token, provider_id):
    """One row is sent: a single UPDATE, committed at once (autocommit), only while `token` still holds it.

    Written as SQL because this runs once per message on the delivery path:
    the ORM's filter().update() took ~0.15 ms of CPU to compile, five times
    the statement itself and as much as the whole SMTP exchange, and a fan-out
    must be limited by the mail server rather than by us.

    On PostgreSQL this commit does not wait for the disk (synchronous_commit
    off, for this statement's transaction only). The crash window of
    `deliver_claimed` needs the mark committed before the next message is
    sent: visible to every other worker, and kept when our process is killed
    at any point, which an asynchronous commit is, like any other. What it
    gives up is the mark's survival of a crash of the database server itself
    (the machine, or a crash-restart after one of PostgreSQL's processes
    died): the marks committed in the last moments before it, those the WAL
    writer had not yet flushed (wal_writer_delay, 200 ms by default, up to
    three times that), are lost, and nothing else. Recovery replays the log
    in order, so those rows come back in `sending` under their lease, with
    everything before them intact; once the lease lapses the sweep sends
    each of those messages once more, and marks it anew: one extra copy per
    server crash, never more, and at most a few hundred ms of sends. The
    same goes for a failover to a standby the mark had not reached. The
    rows, the claims, failures and the delivery log still commit durably.
    This is the trade SQLite makes for every commit here (WAL with
    synchronous=NORMAL: durable when a process is killed, not when power is
    lost), made on PostgreSQL for this statement only, where an fsync per
    message (1-2 ms on a virtual disk) held a fan-out to a third of the mail
    server's pace. Inside a caller's transaction the setting would cover
    that transaction's other writes too, so there the plain UPDATE is used.
    """
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = MARK_SENT_SQL
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        sql = MARK_SENT_ASYNC_COMMIT_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, [OutboundStatus.SENT.value, sent_at, (provider_id or "")[:255], pk, token])
        kept = cursor.rowcount
    if not kept:
        logger.warning("Outbox row %s was sent after its lease lapsed; it may arrive twice", pk)


def _record_failure(row, token, now, exc):
    error = f"{type(exc).__name__}: {exc}"[:2000]
    give_up = isinstance(exc, PermanentFailure) or row.attempts >= row.max_attempts
    status = OutboundStatus.FAILED if give_up else OutboundStatus.PENDING
    with transaction.atomic():
        kept = OutboundMessage.objects.filter(pk=row.pk, lease_token=token).update(
            status=status,
            next_attempt_at=now + retry_delay(row.attempts),
            lease_until=None,
            last_error=error,
        )
        DeliveryAttempt.objects.create(message_id=row.pk, attempted_at=now, succeeded=False, error=error)
    logger.warning("Delivery of outbox row %s (%s) failed: %s", row.pk, row.channel, error)
    if give_up and kept:
        row.status, row.last_error = status, error
        for _receiver, result in delivery_failed.send_robust(sender=OutboundMessage, message=row):
            if isinstance(result, Exception):
                logger.error("A delivery_failed receiver failed for row %s: %r", row.pk, result)


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


# --- portal inbox --------------------------------------------------------------------------


def mark_notification_read(user_id, notification, *, now=None):
    """The customer `user_id` has read `notification` (theirs only); reading it again changes nothing."""
    return bool(
        PortalNotification.objects.for_user(user_id)
        .unread()
        .filter(pk=notification.pk)
        .update(read_at=now or timezone.now())
    )


def mark_all_notifications_read(user_id, *, now=None):
    """Every unread notification of `user_id` is read; returns how many were unread."""
    return PortalNotification.objects.for_user(user_id).unread().update(read_at=now or timezone.now())
