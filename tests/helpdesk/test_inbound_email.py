"""Received email becomes tickets and replies, for people who may see them, once."""

import pytest
from django.core import mail

from comms import inbound
from comms.models import InboundSource, InboundStatus, OutboundMessage
from comms.services import email_headers
from helpdesk.models import Attachment, Channel, EventKind, Role, Status, Ticket
from helpdesk.templatetags.firstline import event_summary
from tests.comms.emails import build_email

from .factories import AgentFactory, CustomerFactory, OrganizationFactory, TicketFactory

pytestmark = pytest.mark.django_db

ALICE = "Alice Person <alice@example.com>"


@pytest.fixture
def receive(run_on_commit):
    """Store an email as the IMAP poller would, run the processing it wakes, and return the row."""

    def receive(raw):
        with run_on_commit():
            email, _created = inbound.store_inbound_email(raw, source=InboundSource.IMAP)
        email.refresh_from_db()
        return email

    return receive


def acknowledgement(ticket):
    return OutboundMessage.objects.get(idempotency_key__startswith=f"ticket:{ticket.pk}:created:", channel="email")


# --- new tickets ------------------------------------------------------------------------------


def test_new_mail_opens_a_ticket_for_the_sender_and_acknowledges_it(alice, receive):
    body = "The export fails.\n\nOn Mon, 3 Mar 2025 at 10:02, Bob <bob@example.com> wrote:\n> earlier"
    email = receive(build_email(sender=ALICE, subject="Export broken", body=body))
    ticket = Ticket.objects.get()
    message = ticket.messages.get()
    assert email.status == InboundStatus.PROCESSED
    assert (email.ticket_ref, email.ticket_message_id) == (ticket.ref, message.pk)
    assert (ticket.requester, ticket.organization, ticket.subject, ticket.channel) == (
        alice,
        alice.organization,
        "Export broken",
        Channel.EMAIL,
    )
    assert message.body == "The export fails."  # the history stays in the stored raw email
    assert ticket.events.get(kind=EventKind.CREATED).data == {"channel": "email"}
    assert acknowledgement(ticket).recipient == "alice@example.com"


def test_mail_without_subject_or_text_still_opens_a_ticket(alice, receive):
    receive(build_email(sender=ALICE, subject="", body=""))
    ticket = Ticket.objects.get()
    assert ticket.subject == "(no subject)" and ticket.messages.get().body == "(The email had no text.)"


def test_same_message_id_twice_opens_one_ticket(alice, receive):
    raw = build_email(sender=ALICE, message_id="<dup@mail.example.com>")
    first = receive(raw)
    second = receive(raw)
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1 and OutboundMessage.objects.filter(channel="email").count() == 1


def test_processing_a_row_again_never_adds_a_second_ticket(alice, receive):
    email = receive(build_email(sender=ALICE))
    assert inbound.process_inbound_email(email.pk) is None
    assert inbound.reprocess_inbound_email(None, email) is False  # processed rows stay processed
    assert Ticket.objects.count() == 1


# --- replies ---------------------------------------------------------------------------------


def test_reply_by_in_reply_to_lands_on_the_ticket(alice, receive):
    receive(build_email(sender=ALICE, subject="Export broken"))
    ticket = Ticket.objects.get()
    headers = email_headers(acknowledgement(ticket))
    email = receive(
        build_email(
            sender=ALICE,
            subject="Re: We received your request",
            body="Here is more.\n\n> We received your request",
            headers=[("In-Reply-To", headers["Message-ID"]), ("References", headers["Message-ID"])],
        )
    )
    assert Ticket.objects.count() == 1
    assert email.ticket_ref == ticket.ref
    assert list(ticket.messages.values_list("body", flat=True)) == ["It started this morning.", "Here is more."]
    assert ticket.events.filter(kind=EventKind.REPLIED, actor=alice).count() == 1


def test_reply_by_thread_marker_in_references_lands_on_the_ticket(ticket, receive):
    thread = email_headers(OutboundMessage(idempotency_key="x", thread=ticket.ref))["References"]
    receive(build_email(sender=ALICE, subject="Hello", headers=[("References", f"<other@x> {thread}")]))
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 1


@pytest.mark.parametrize("template", ["Re: [{ref}] Printer", "Printer {ref} still broken", "RE: fwd: [{lower}]"])
def test_reply_by_reference_in_the_subject_lands_on_the_ticket(ticket, receive, template):
    subject = template.format(ref=ticket.ref, lower=ticket.ref.lower())
    email = receive(build_email(sender=ALICE, subject=subject))
    assert email.ticket_ref == ticket.ref and Ticket.objects.count() == 1


def test_a_colleague_of_the_same_organization_may_reply(ticket, receive):
    colleague = CustomerFactory(organization=ticket.organization, email="carol@example.com")
    receive(build_email(sender="carol@example.com", subject=f"Re: [{ticket.ref}]"))
    assert ticket.messages.get().author == colleague


def test_an_outsider_guessing_a_reference_gets_a_ticket_of_their_own(ticket, bob, receive):
    thread = email_headers(OutboundMessage(idempotency_key="x", thread=ticket.ref))["References"]
    email = receive(
        build_email(
            sender="bob@example.com",
            subject=f"Re: [{ticket.ref}] let me in",
            headers=[("In-Reply-To", thread), ("References", thread)],
        )
    )
    assert not ticket.messages.exists()
    own = Ticket.objects.exclude(pk=ticket.pk).get()
    assert own.requester == bob and email.ticket_ref == own.ref


def test_a_made_up_message_id_in_our_format_is_not_trusted(ticket, receive):
    receive(build_email(sender=ALICE, subject="Export"))
    ack = acknowledgement(Ticket.objects.exclude(pk=ticket.pk).get())
    forged = f"<{'0' * 24}.{ack.pk}@localhost>"
    receive(build_email(sender=ALICE, subject="Forged", headers=[("In-Reply-To", forged)]))
    assert Ticket.objects.count() == 3


def test_reply_to_a_resolved_ticket_reopens_it(alice, receive):
    ticket = TicketFactory(requester=alice, resolved=True)
    receive(build_email(sender=ALICE, subject=f"Re: [{ticket.ref}] not fixed"))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.messages.count() == 1


def test_reply_to_a_closed_ticket_opens_a_follow_up(alice, receive):
    ticket = TicketFactory(requester=alice, closed=True)
    email = receive(build_email(sender=ALICE, subject=f"Re: [{ticket.ref}] again"))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and not ticket.messages.exists()
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert email.ticket_ref == follow_up.ref and follow_up.subject == f"Re: [{ticket.ref}] again"


# --- attachments ------------------------------------------------------------------------------


def test_attachments_are_kept_and_disallowed_ones_skipped_and_noted(alice, agent, receive, settings, client):
    settings.FIRSTLINE_ATTACHMENT_MAX_BYTES = 1000
    receive(
        build_email(
            sender=ALICE,
            attachments=[
                ("report.pdf", "application/pdf", b"%PDF-1.4 report"),
                ("virus.exe", "application/octet-stream", b"MZ"),
                ("huge.png", "image/png", b"x" * 2000),
                ("../../etc/notes.txt", "text/plain", b"notes"),
            ],
        )
    )
    ticket = Ticket.objects.get()
    kept = Attachment.objects.filter(message__ticket=ticket).order_by("pk")
    assert [(a.original_name, a.content_type, a.size) for a in kept] == [
        ("report.pdf", "application/pdf", 15),
        ("notes.txt", "text/plain", 5),
    ]
    event = ticket.events.get(kind=EventKind.FILES_SKIPPED)
    assert event.data == {"files": [{"name": "virus.exe", "reason": "type"}, {"name": "huge.png", "reason": "size"}]}
    assert event_summary(event) == (
        "sent attachments that were not kept: virus.exe (file type not allowed), huge.png (too large)"
    )
    client.force_login(agent)
    assert b"virus.exe (file type not allowed)" in client.get(ticket.get_absolute_url()).content


def test_attachments_beyond_the_count_limit_are_skipped(alice, receive, settings):
    settings.FIRSTLINE_ATTACHMENT_MAX_FILES = 1
    receive(build_email(sender=ALICE, attachments=[("a.txt", "text/plain", b"a"), ("b.txt", "text/plain", b"b")]))
    ticket = Ticket.objects.get()
    assert Attachment.objects.filter(message__ticket=ticket).count() == 1
    assert ticket.events.get(kind=EventKind.FILES_SKIPPED).data["files"] == [{"name": "b.txt", "reason": "count"}]


# --- machines ------------------------------------------------------------------------------------

DSN = (
    b"From: Mail Delivery System <mailer@mx.example.com>\r\nTo: support@localhost\r\nSubject: Undelivered\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
    b"Final-Recipient: rfc822; alice@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
)
MACHINE_MAIL = {
    "auto-submitted": build_email(sender=ALICE, headers=[("Auto-Submitted", "auto-replied")]),
    "precedence bulk": build_email(sender=ALICE, headers=[("Precedence", "bulk")]),
    "precedence junk": build_email(sender=ALICE, headers=[("Precedence", "junk")]),
    "precedence list": build_email(sender=ALICE, headers=[("Precedence", "list")]),
    "x-autoreply": build_email(sender=ALICE, headers=[("X-Autoreply", "yes")]),
    "x-autorespond": build_email(sender=ALICE, headers=[("X-Autorespond", "yes")]),
    "list-id": build_email(sender=ALICE, headers=[("List-Id", "<team.example.com>")]),
    "list-unsubscribe": build_email(sender=ALICE, headers=[("List-Unsubscribe", "<mailto:x@example.com>")]),
    "mailer-daemon": build_email(sender="MAILER-DAEMON@example.com"),
    "postmaster": build_email(sender="postmaster@example.com"),
    "dsn": DSN,
}


@pytest.mark.parametrize("kind", list(MACHINE_MAIL))
def test_auto_replies_and_bounces_get_no_ticket_and_no_acknowledgement(alice, ticket, receive, kind):
    raw = MACHINE_MAIL[kind].replace(b"Subject: The printer", f"Subject: [{ticket.ref}] The printer".encode())
    email = receive(raw)
    assert email.status == InboundStatus.IGNORED_AUTO_REPLY and email.error
    assert Ticket.objects.count() == 1 and not ticket.messages.exists()
    assert not OutboundMessage.objects.exists() and not mail.outbox


# --- senders ------------------------------------------------------------------------------------


def test_unknown_sender_is_held_and_processed_again_once_known(acme, receive, run_on_commit):
    email = receive(build_email(sender="Dana <dana@acme.example>"))
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER and "dana@acme.example" in email.error
    assert not Ticket.objects.exists() and not OutboundMessage.objects.exists()
    dana = CustomerFactory(organization=acme, email="dana@acme.example")
    with run_on_commit():
        assert inbound.reprocess_inbound_email(None, email) is True
    email.refresh_from_db()
    assert email.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().requester == dana


def test_unknown_sender_is_rejected_when_configured(settings, receive):
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "reject"
    email = receive(build_email(sender="dana@acme.example"))
    assert email.status == InboundStatus.REJECTED_UNKNOWN_SENDER and not Ticket.objects.exists()


def test_unknown_sender_becomes_a_customer_of_the_organization_owning_the_domain(settings, receive):
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "create"
    initech = OrganizationFactory(name="Initech", email_domains=["initech.example", "initech.co.uk"])
    email = receive(build_email(sender="Peter Gibbons <Peter@Initech.co.uk>"))
    ticket = Ticket.objects.get()
    peter = ticket.requester
    assert email.status == InboundStatus.PROCESSED
    assert (peter.email, peter.first_name, peter.role, peter.organization) == (
        "Peter@Initech.co.uk",
        "Peter Gibbons",
        Role.CUSTOMER,
        initech,
    )
    assert not peter.has_usable_password() and peter.groups.filter(name="customer").exists()
    receive(build_email(sender="peter@initech.co.uk", subject=f"Re: [{ticket.ref}]"))
    assert ticket.messages.count() == 2  # the second mail finds the same customer


def test_unknown_domain_is_held_even_when_creating_customers(settings, receive):
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "create"
    OrganizationFactory(email_domains=["initech.example"])
    email = receive(build_email(sender="someone@elsewhere.example"))
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER and "elsewhere.example" in email.error


def test_mail_from_a_staff_address_is_held(ticket, receive):
    AgentFactory(email="agent@example.com")
    email = receive(build_email(sender="agent@example.com", subject=f"Re: [{ticket.ref}]"))
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER and not ticket.messages.exists()


# --- hostile input ---------------------------------------------------------------------------------


def test_header_injection_cannot_add_headers_to_the_acknowledgement(settings, receive):
    settings.FIRSTLINE_INBOUND_UNKNOWN_SENDERS = "create"
    OrganizationFactory(email_domains=["example.org"])
    raw = (
        b"From: =?utf-8?q?Mallory=0D=0ABcc:_victim@example.net?= <mallory@example.org>\r\n"
        b"To: support@localhost\r\n"
        b"Subject: =?utf-8?q?Help=0D=0ABcc:_victim@example.net=0D=0A=0D=0Afake_body?=\r\n"
        b"Message-ID: <inject@example.org>\r\n\r\nPlease help.\r\n"
    )
    email = receive(raw)
    assert email.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.subject == "Help Bcc: victim@example.net fake body"
    assert len(mail.outbox) == 1  # the acknowledgement, delivered
    sent = mail.outbox[0]
    assert sent.to == ["mallory@example.org"] and sent.bcc == [] and sent.cc == []
    headers = sent.message()
    assert headers["Bcc"] is None and "\n" not in headers["Subject"]
    assert all(value.lower() != "victim@example.net" for value in headers.values())


def test_html_body_with_script_is_neutralised(alice, receive, agent, client):
    html = '<p>Hi</p><script>alert("x")</script><img src=x onerror="alert(1)"><p>&lt;b&gt;bold?&lt;/b&gt;</p>'
    receive(build_email(sender=ALICE, body=None, html=html))
    message = Ticket.objects.get().messages.get()
    assert "alert" not in message.body and "onerror" not in message.body
    assert "<script" not in message.body_html and "<b>" not in message.body_html
    client.force_login(agent)
    page = client.get(message.ticket.get_absolute_url()).content
    assert b"&lt;b&gt;bold?&lt;/b&gt;" in page and b'alert("x")' not in page
