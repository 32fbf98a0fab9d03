"""Polling an IMAP mailbox: every unseen message is stored, then marked seen.

A message is flagged \\Seen only after its row is committed, and fetched
with BODY.PEEK so that reading it does not flag it: one we failed to store
stays unseen and is tried again on the next run. One bad message never
stops the batch. A message fetched twice (two overlapping runs) is stored
once, by its Message-ID.
"""

import imaplib
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .inbound import EmptyEmail, store_inbound_email, store_unreadable_email
from .models import InboundSource

logger = logging.getLogger(__name__)

FETCH_BATCH = 50
TIMEOUT_SECONDS = 30
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    pass


@dataclass
class FetchReport:
    stored: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)


def connect():
    """A logged-in connection to the configured mailbox, with its folder selected."""
    if not settings.IMAP_HOST:
        raise ImapError(_("IMAP_HOST is not set."))
    factory = imaplib.IMAP4_SSL if settings.IMAP_SSL else imaplib.IMAP4
    conn = factory(settings.IMAP_HOST, settings.IMAP_PORT, timeout=TIMEOUT_SECONDS)
    conn.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
    typ, data = conn.select(settings.IMAP_FOLDER)
    if typ != "OK":
        conn.logout()
        reason = _("Cannot open the folder %(folder)s: %(answer)s") % {"folder": settings.IMAP_FOLDER, "answer": data}
        raise ImapError(reason)
    return conn


def fetch_mail(*, limit=FETCH_BATCH):
    """Store up to `limit` unseen messages of the mailbox and mark each seen once stored."""
    report = FetchReport()
    conn = connect()
    try:
        typ, data = conn.uid("SEARCH", None, "UNSEEN")
        if typ != "OK":
            raise ImapError(_("The server refused to search the folder: %(answer)s") % {"answer": data})
        uids = [uid.decode() for uid in (data[0] or b"").split()][:limit]
        for uid in uids:
            try:
                created = _store_one(conn, uid)
            except Exception as exc:  # one bad message never stops the batch; it stays unseen
                logger.exception("Could not store IMAP message %s; it stays unseen", uid)
                report.failed.append(f"{uid}: {type(exc).__name__}: {exc}")
                continue
            if created:
                report.stored += 1
            else:
                report.duplicates += 1
            try:
                conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            except Exception:
                # Stored already: the next run fetches it again and finds it by Message-ID.
                logger.exception("Could not mark IMAP message %s seen", uid)
    finally:
        try:
            conn.logout()
        except Exception:
            logger.warning("IMAP logout failed", exc_info=True)
    return report


def _fetch(conn, uid, part):
    typ, data = conn.uid("FETCH", uid, f"({part})")
    if typ != "OK" or not data:
        raise ImapError(_("The server did not return the message: %(answer)s") % {"answer": data})
    return data


def _literal(data):
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    raise ImapError(_("The server's answer holds no message."))


def _store_one(conn, uid):
    """Store one message; returns whether a new row was written. Raises if nothing was stored."""
    sizes = [m for item in _fetch(conn, uid, "RFC822.SIZE") for m in _SIZE.findall(_flatten(item))]
    size = int(sizes[0]) if sizes else None
    if size is not None and size > settings.FIRSTLINE_INBOUND_MAX_BYTES:
        # Keep the headers so an admin can see who wrote; the message stays in the mailbox.
        headers = _literal(_fetch(conn, uid, "BODY.PEEK[HEADER]"))
        reason = _("The email is %(size)d bytes; the limit is %(limit)d bytes. It is left in the mailbox.") % {
            "size": size,
            "limit": settings.FIRSTLINE_INBOUND_MAX_BYTES,
        }
        return store_unreadable_email(headers, source=InboundSource.IMAP, reason=reason, size=size)[1]
    raw = _literal(_fetch(conn, uid, "BODY.PEEK[]"))
    try:
        return store_inbound_email(raw, source=InboundSource.IMAP)[1]
    except EmptyEmail as exc:
        return store_unreadable_email(raw, source=InboundSource.IMAP, reason=str(exc))[1]


def _flatten(item):
    if isinstance(item, tuple):
        return b" ".join(part for part in item if isinstance(part, bytes))
    return item if isinstance(item, bytes) else b""
