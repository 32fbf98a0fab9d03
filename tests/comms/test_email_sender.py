"""Email over SMTP is written by comms.channels.email_bytes, not Django's EmailMessage: the two must agree.

Each row is built both ways and read back with the standard library's
parser; a real SMTP server on 127.0.0.1 checks what arrives, envelope
included. Rows with hostile headers written behind the services' back are
refused for good without a byte sent.
"""

import email
from email import policy

import pytest
from django.conf import settings

from comms import services
from comms.channels import EmailSender, address_header, email_bytes, email_headers
from comms.models import OutboundMessage, OutboundStatus
from comms.signals import delivery_failed

from .servers import SmtpSink, free_port

pytestmark = pytest.mark.django_db

LONG_LINE = "Ünïcode and a paragraph without a break. " * 40  # about 1 700 bytes of UTF-8 on one line
HEADERS = ["Subject", "From", "To", "Message-ID", "X-Firstline-Key", "In-Reply-To", "References", "Content-Type"]


@pytest.fixture
def smtp_port(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return port


def row(**fields):
    values = {"key": "ticket:1:reply:1:user:1", "to": "alice@example.com", "subject": "Hello", "body": "Body"}
    return services.queue_email(**{**values, **fields})


ROWS = {
    "plain": {},
    "threaded": {"thread": "FL-1001"},
    "non-ascii name, subject and body": {
        "to": "Ana García <ana@example.com>",
        "subject": "Réponse à votre demande — ticket FL-1001",
        "body": "Hola Ana,\n\nya está resuelto. ¡Gracias!\n",
    },
    "long subject": {"subject": "Scheduled maintenance of the payment gateway and the checkout " * 3},
    "line longer than SMTP allows": {"body": f"Hello,\n\n{LONG_LINE}\n\nBye"},
    "international domain": {"to": "ana@bücher.example"},
    "dots and bare carriage returns": {"body": ".\n..two dots\r\n.\rlast"},
}


def parsed(data):
    return email.message_from_bytes(data, policy=policy.default)


def unfolded(value):
    """A header's text with folding whitespace made one space (Django folds a long subject after the colon)."""
    return " ".join(str(value).split()) if value is not None else None


def text(message):
    """The body with line ends made \\n and without the line end SMTP adds to the last line."""
    return message.get_content().replace("\r\n", "\n").removesuffix("\n")


@pytest.mark.parametrize("fields", ROWS.values(), ids=ROWS.keys())
def test_the_smtp_bytes_read_like_djangos_email_message(fields):
    message = row(**fields)
    headers = email_headers(message)
    sender = EmailSender("email")
    sender.connection = None
    django = parsed(sender.django_message(message, headers).message().as_bytes(linesep="\r\n"))
    ours = parsed(email_bytes(message, headers, sender=address_header(settings.DEFAULT_FROM_EMAIL)))
    for name in HEADERS:
        assert unfolded(ours[name]) == unfolded(django[name]), name
    assert ours["Date"] and ours["Content-Transfer-Encoding"] == django["Content-Transfer-Encoding"]
    assert text(ours) == text(django)


def test_every_line_of_the_head_stays_within_the_limit_and_ends_in_crlf():
    message = row(**ROWS["long subject"], thread="FL-1001")
    data = email_bytes(message, email_headers(message), sender="Firstline <support@example.com>")
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in head.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


@pytest.mark.parametrize("fields", ROWS.values(), ids=ROWS.keys())
def test_what_the_smtp_server_receives_is_the_row(smtp_port, fields):
    message = row(**fields)
    with SmtpSink(port=smtp_port) as sink:
        assert services.deliver_due() == 1
    [data] = sink.contents
    received = parsed(data)
    assert received["Message-ID"] == email_headers(message)["Message-ID"]
    assert received["Subject"] == message.subject
    assert text(received) == message.body.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n")
    [(envelope_from, envelope_to)] = sink.envelopes
    assert envelope_from == "support@localhost"
    assert envelope_to == [received["To"].addresses[0].addr_spec]


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hello\r\nBcc: everyone@example.com"),
        ("recipient", "alice@example.com\nBcc: everyone@example.com"),
        ("idempotency_key", "ticket:1\r\nBcc: everyone@example.com"),
    ],
)
def test_a_header_with_a_line_break_is_refused_for_good_and_nothing_is_sent(smtp_port, field, value):
    message = row()
    OutboundMessage.objects.filter(pk=message.pk).update(**{field: value})  # behind the services' back
    failed = []
    receiver = lambda sender, message, **kw: failed.append(message.pk)  # noqa: E731
    delivery_failed.connect(receiver)
    try:
        with SmtpSink(port=smtp_port) as sink:
            assert services.deliver_due() == 0
    finally:
        delivery_failed.disconnect(receiver)
    assert sink.contents == []
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED and "line break" in message.last_error
    assert failed == [message.pk]


def test_a_refused_row_does_not_stop_the_rest_of_the_batch(smtp_port):
    bad = row(key="bad")
    row(key="good")
    OutboundMessage.objects.filter(pk=bad.pk).update(subject="Hi\nBcc: everyone@example.com")
    with SmtpSink(port=smtp_port) as sink:
        assert services.deliver_due() == 1
    assert len(sink.contents) == 1 and sink.sessions == 1
    assert OutboundMessage.objects.get(idempotency_key="good").status == OutboundStatus.SENT
