"""Senders: how an outbox row leaves the building, one class per kind of channel.

`FIRSTLINE_CHANNEL_BACKENDS` maps a channel to the dotted path of its sender
class. The delivery sweep opens one sender per channel and batch, calls
`send(row)` for each claimed row and closes it, so an SMTP connection is
reused across a batch. `send` returns the provider's id for the message (or
"") and raises:

- `PermanentFailure` when retrying cannot help (an HTTP 4xx other than 408
  and 429, an SMTP 5xx for the recipient or the content): the row is marked
  failed at once;
- anything else (connection refused, timeouts, HTTP 5xx, SMTP 4xx): the row
  is tried again later with back-off.

HTTP senders with no URL configured (development) append each request they
would have made to `FIRSTLINE_CHANNEL_FILE_DIR/<channel>.jsonl` instead, the
way Django's file email backend writes mail under var/mail/: nothing leaves
the machine and nothing fails.
"""

import hashlib
import json
import logging
import re
import smtplib
import urllib.error
import urllib.request
from email import quoprimime
from email.header import Header
from email.utils import formatdate, parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from .models import PortalNotification

logger = logging.getLogger(__name__)

DEFAULT_BACKENDS = {
    "email": "comms.channels.EmailSender",
    "sms": "comms.channels.HttpJsonSender",
    "push": "comms.channels.HttpJsonSender",
    "portal": "comms.channels.PortalInboxSender",
    "chat": "comms.channels.ChatWebhookSender",
}
# At most this much of a provider's answer is read (its id, or the start of an error).
RESPONSE_LIMIT = 64 * 1024


class PermanentFailure(Exception):
    """The provider refused the message for good; trying again cannot help."""


def sender_for(channel):
    """A new sender for `channel`, from FIRSTLINE_CHANNEL_BACKENDS."""
    backends = {**DEFAULT_BACKENDS, **getattr(settings, "FIRSTLINE_CHANNEL_BACKENDS", {})}
    path = backends.get(channel)
    if not path:
        raise PermanentFailure(f"No sender is configured for the channel {channel!r}.")
    return import_string(path)(channel)


class Sender:
    """Delivers rows of one channel. Opened once per batch; `send` is called per row."""

    def __init__(self, channel):
        self.channel = channel

    def open(self):
        pass

    def close(self):
        pass

    def send(self, message):
        raise NotImplementedError


# --- email --------------------------------------------------------------------------------


def mail_domain():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def email_headers(message, *, domain=None):
    """Message-ID fixed per outbox row, so a retried send is recognised as the same mail; In-Reply-To
    and References name the thread, so a ticket's mails group in one conversation. `domain` is
    `mail_domain()` unless given: a sender works it out once per batch rather than per message."""
    domain = domain or mail_domain()
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
    headers = {"Message-ID": f"<{digest}.{message.pk}@{domain}>", "X-Firstline-Key": message.idempotency_key}
    if message.thread:
        root = f"<thread.{slugify(message.thread) or 'x'}@{domain}>"
        headers.update({"In-Reply-To": root, "References": root})
    return headers


def _smtp_refusal_is_permanent(exc):
    """5xx for the recipient or the content is final; a 5xx for our login is a setting to fix, so retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


# Headers longer than this are folded; a body line longer than RFC 5322's limit is sent quoted-printable.
HEADER_LINE_LENGTH = 78
BODY_LINE_LIMIT = 998
HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
CRLF = "\r\n"


def header_line(name, value):
    """`Name: value` and CRLF, safe to put in a message's head.

    A control character (a line break would start a header of its own) is
    refused for good; non-ASCII text is encoded per RFC 2047 and a long line
    folded, both by the standard library's `Header`, as Django does.
    """
    if HEADER_CONTROL.search(value):
        raise PermanentFailure(f"The {name} header contains a line break or control character.")
    if value.isascii() and len(name) + 2 + len(value) <= HEADER_LINE_LENGTH:
        return f"{name}: {value}\r\n"
    folded = Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name).encode(linesep=CRLF)
    return f"{name}: {folded}\r\n"


def address_header(address):
    """An address as Django writes it in From/To: ASCII as it is, otherwise RFC 2047 name and IDNA domain."""
    return address if address.isascii() else sanitize_address(address, "utf-8")


def email_bytes(message, headers, *, sender):
    """The outbox row `message` as a plain-text UTF-8 email: its bytes, CRLF line ends, ready for SMTP DATA.

    The same head and body Django's EmailMessage writes (Subject, From, To,
    Date, then `headers`: Message-ID and the threading headers), a tenth of
    the work: no MIME object tree, no generator. 7bit or 8bit body, or
    quoted-printable when a line is longer than SMTP allows.
    """
    body = LINE_BREAK.sub("\r\n", message.body).encode()
    if any(len(line) > BODY_LINE_LIMIT for line in body.split(b"\r\n")):
        encoding = "quoted-printable"
        body = quoprimime.body_encode(body.decode("latin-1"), eol="\r\n").encode("ascii")
    else:
        encoding = "7bit" if body.isascii() else "8bit"
    head = [
        'Content-Type: text/plain; charset="utf-8"\r\n',
        "MIME-Version: 1.0\r\n",
        f"Content-Transfer-Encoding: {encoding}\r\n",
        header_line("Subject", message.subject),
        header_line("From", sender),
        header_line("To", address_header(message.recipient)),
        header_line("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        *(header_line(name, value) for name, value in headers.items()),
        "\r\n",
    ]
    return "".join(head).encode("ascii") + body


class EmailSender(Sender):
    """Email through Django's configured EMAIL_BACKEND, one connection per batch.

    With Django's own SMTP backend the message is written by `email_bytes`
    and handed to the backend's open smtplib connection: a Django
    EmailMessage per row took as much CPU as the mail server's whole share
    of the work, so a fan-out was limited by us rather than by the server.
    Every other backend (console and file in development, locmem in tests, a
    subclass of the SMTP backend that signs or rewrites mail) is given a
    Django EmailMessage, as before.
    """

    def open(self):
        self.connection = get_connection(fail_silently=False)
        self.connection.open()
        self.writes_bytes = type(self.connection) is SmtpBackend
        # What Django's SMTP backend puts in the From header and in MAIL FROM.
        self.from_header = address_header(settings.DEFAULT_FROM_EMAIL)
        self.envelope_from = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        self.domain = mail_domain()

    def close(self):
        self._drop_connection()

    def _drop_connection(self):
        try:
            self.connection.close()
        except Exception:  # a dead server cannot be told goodbye
            logger.debug("Closing the mail connection failed", exc_info=True)
        if hasattr(self.connection, "connection"):
            self.connection.connection = None  # the SMTP backend reconnects on its next send

    def send(self, message):
        headers = email_headers(message, domain=self.domain)
        # Built before anything is sent: a header that cannot be written safely fails the row, not the connection.
        data = email_bytes(message, headers, sender=self.from_header) if self.writes_bytes else None
        try:
            if data is None:
                self.django_message(message, headers).send(fail_silently=False)
            else:
                self._send_bytes(address_header(message.recipient), data)
        except smtplib.SMTPException as exc:
            self._drop_connection()
            if _smtp_refusal_is_permanent(exc):
                raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
            raise
        except Exception:
            self._drop_connection()
            raise
        return headers["Message-ID"]

    def django_message(self, message, headers):
        return EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=headers,
            connection=self.connection,
        )

    def _send_bytes(self, recipient, data):
        if self.connection.connection is None:  # dropped after an error: reconnect, as Django's backend would
            self.connection.open()
        # smtplib reads the address out of "Name <address>" for RCPT TO, as it does for Django's backend.
        self.connection.connection.sendmail(self.envelope_from, [recipient], data)


# --- HTTP ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A provider that redirects a POST is misconfigured: following it would resend as GET and lose the body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _provider_id(raw):
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        return ""
    if isinstance(answer, dict):
        for name in ("id", "message_id", "messageId", "sid"):
            if answer.get(name) not in (None, ""):
                return str(answer[name])[:255]
    return ""


class HttpJsonSender(Sender):
    """POSTs `{to, text, reference, idempotency_key}` as JSON to the channel's URL with a bearer token.

    The channel's settings come from FIRSTLINE_HTTP_CHANNELS[channel]: `url`,
    `token` and `timeout` (seconds). The `Idempotency-Key` header carries the
    row's key, so a provider that honours it drops the duplicate an
    at-least-once retry can cause. 2xx is sent (the id is read from the JSON
    answer's `id`, `message_id` or `sid`); 4xx other than 408 and 429 and
    any redirect are permanent; everything else is retried.
    """

    def __init__(self, channel):
        super().__init__(channel)
        conf = getattr(settings, "FIRSTLINE_HTTP_CHANNELS", {}).get(channel, {})
        self.url = conf.get("url", "")
        self.token = conf.get("token", "")
        self.timeout = float(conf.get("timeout") or 10)
        if self.url and not self.url.startswith(("https://", "http://")):
            raise PermanentFailure(f"The {channel} URL must start with https:// or http://.")

    def payload(self, message):
        return {
            "to": message.recipient,
            "text": message.body,
            "reference": message.reference,
            "idempotency_key": message.idempotency_key,
        }

    def headers(self, message):
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": "Firstline",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def send(self, message):
        body = json.dumps(self.payload(message)).encode()
        if not self.url:
            return self.write_to_file(message, body)
        request = urllib.request.Request(self.url, data=body, headers=self.headers(message), method="POST")  # noqa: S310 (scheme checked above)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                raw = response.read(RESPONSE_LIMIT)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            error = f"HTTP {exc.code} from the {self.channel} provider: {detail}"[:1000]
            if 300 <= exc.code < 500 and exc.code not in (408, 429):
                raise PermanentFailure(error) from exc
            raise ConnectionError(error) from exc
        return _provider_id(raw)

    def write_to_file(self, message, body):
        folder = Path(getattr(settings, "FIRSTLINE_CHANNEL_FILE_DIR", settings.BASE_DIR / "var" / "outbox"))
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "idempotency_key": message.idempotency_key, "json": json.loads(body)},
            ensure_ascii=False,
        )
        with open(folder / f"{self.channel}.jsonl", "a", encoding="utf-8") as file:
            file.write(line + "\n")
        return ""


def slack_escape(text):
    """Slack reads <…> as links and mentions (<!channel>): customer text must stay plain."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ChatWebhookSender(HttpJsonSender):
    """An internal chat room through a Slack-compatible incoming webhook: `{"text": …}` to CHAT_WEBHOOK_URL."""

    def payload(self, message):
        lines = [f"*{slack_escape(message.subject)}*" if message.subject else "", slack_escape(message.body)]
        if message.link:
            lines.append(slack_escape(message.link))
        return {"text": "\n".join(line for line in lines if line)}


# --- portal inbox -------------------------------------------------------------------------


class PortalInboxSender(Sender):
    """Delivering to the portal inbox writes the customer's notification row, once per outbox row."""

    def send(self, message):
        if not message.recipient_user_id:
            raise PermanentFailure("A portal message needs the recipient's user id.")
        note, _created = PortalNotification.objects.get_or_create(
            message=message,
            defaults={
                "user_id": message.recipient_user_id,
                "title": message.subject,
                "body": message.body,
                "link": message.link,
                "reference": message.reference,
            },
        )
        return f"portal:{note.pk}"
