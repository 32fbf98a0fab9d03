"""The customer portal: listing, opening, following and answering tickets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk import services
from helpdesk.models import Attachment, Status, Ticket

from .factories import CustomerFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
PORTAL = reverse("portal:ticket-list")
NEW = reverse("portal:ticket-create")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def page(ticket):
    return reverse("portal:ticket-detail", args=[ticket.ref])


def test_customer_lands_on_the_portal(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "demo"}, follow=True)
    assert response.redirect_chain[-1][0] == PORTAL


def test_portal_lists_a_customers_own_tickets_only(alice_client, alice, bob):
    colleague = CustomerFactory(organization=alice.organization)
    own = TicketFactory(requester=alice, subject="Mine")
    TicketFactory(requester=colleague, subject="My colleague's")
    TicketFactory(requester=bob, subject="Globex secret")
    html = alice_client.get(PORTAL).content.decode()
    assert own.ref in html
    assert "My colleague&#x27;s" not in html and "Globex secret" not in html
    assert "Opened by" not in html and 'name="scope"' not in html


def test_a_colleagues_ticket_is_not_found_for_a_plain_customer(alice_client, alice):
    theirs = TicketFactory(requester=CustomerFactory(organization=alice.organization))
    assert alice_client.get(page(theirs)).status_code == 404
    assert alice_client.post(reverse("portal:ticket-reply", args=[theirs.ref]), {"body": "hi"}).status_code == 404


def test_portal_filters_open_and_closed(alice_client, alice):
    open_ticket = TicketFactory(requester=alice)
    done = TicketFactory(requester=alice, resolved=True)
    assert done.ref not in alice_client.get(PORTAL).content.decode()
    html = alice_client.get(PORTAL, {"show": "closed"}).content.decode()
    assert done.ref in html and open_ticket.ref not in html


def test_portal_empty_state_invites_a_new_ticket(alice_client):
    html = alice_client.get(PORTAL).content.decode()
    assert "You have no open tickets." in html
    assert NEW in html


def test_open_a_ticket_with_an_attachment(alice_client, alice, mailoutbox, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("screenshot.png", b"\x89PNG fake", content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            NEW,
            {
                "subject": "Printer offline",
                "description": "It blinks **red**.",
                "priority": 2,
                "attachments": [upload],
            },
            follow=True,
        )
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == page(ticket)
    assert f"Ticket {ticket.ref} opened" in response.content.decode()
    assert (ticket.requester, ticket.organization, ticket.priority, ticket.channel) == (
        alice,
        alice.organization,
        2,
        "web",
    )
    assert Attachment.objects.get().original_name == "screenshot.png"
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert ticket.ref in mailoutbox[0].subject


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ", "is not an allowed file type"),
        ("page.html", b"<script>", "is not an allowed file type"),
        ("image.svg", b"<svg/>", "is not an allowed file type"),
        ("big.pdf", b"x" * 2048, "is too large"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_saved(alice_client, settings, name, content, message):
    settings.FIRSTLINE_ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile(name, content)
    response = alice_client.post(
        NEW, {"subject": "Keep me", "description": "And me", "priority": 3, "attachments": [upload]}
    )
    html = response.content.decode()
    assert message in html
    assert 'value="Keep me"' in html and "And me" in html
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_too_many_files_are_refused(alice_client, settings):
    settings.FIRSTLINE_ATTACHMENT_MAX_FILES = 1
    files = [SimpleUploadedFile(f"{i}.txt", b"hi") for i in range(2)]
    response = alice_client.post(NEW, {"subject": "s", "description": "d", "priority": 3, "attachments": files})
    assert "You can attach at most 1 files." in response.content.decode()
    assert not Ticket.objects.exists()


def test_blank_ticket_is_refused_with_messages(alice_client):
    response = alice_client.post(NEW, {"subject": "   ", "description": "", "priority": 3})
    assert "Please correct the errors below" in response.content.decode()
    assert not Ticket.objects.exists()


def test_ticket_page_never_shows_internal_notes(alice_client, agent, ticket):
    services.reply_to_ticket(agent, ticket, body="Public answer")
    note = services.reply_to_ticket(agent, ticket, body="INTERNAL: customer is grumpy", internal=True)
    Attachment.objects.create(
        message=note, file="attachments/x", original_name="internal-only.txt", content_type="text/plain", size=1
    )
    html = alice_client.get(page(ticket)).content.decode()
    assert "Public answer" in html
    assert "grumpy" not in html and "internal-only.txt" not in html


def test_reply_from_the_portal_reaches_the_assignee_only(
    alice_client, agent, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    services.claim_ticket(agent, ticket)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("portal:ticket-reply", args=[ticket.ref]), {"body": "Any news?"}, HTTP_HX_REQUEST="true"
        )
    assert b'id="portal-conversation"' in response.content and b"<html" not in response.content
    assert "Any news?" in response.content.decode()
    assert [m.to for m in mailoutbox] == [[agent.email]]


def test_customer_cannot_write_an_internal_note(alice_client, ticket):
    alice_client.post(reverse("portal:ticket-reply", args=[ticket.ref]), {"body": "sneaky", "internal": "on"})
    assert ticket.messages.get(body="sneaky").is_internal is False


def test_internal_note_sends_no_email_to_the_customer(agent, ticket, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_ticket(agent, ticket, body="between us", internal=True)
    assert mailoutbox == []


def test_hostile_subject_is_plain_text_in_email(alice, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.create_ticket(alice, requester=alice, subject="<script>alert(1)</script>", description="x")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_ticket(agent, ticket, body="<b>bold?</b>")
    assert "<script>alert(1)</script>" in mailoutbox[0].subject
    assert "&lt;" not in mailoutbox[1].body and "<b>bold?</b>" in mailoutbox[1].body
    # text only: nothing for a mail client to render as markup
    assert all(not getattr(m, "alternatives", None) and m.content_subtype == "plain" for m in mailoutbox)


def test_hostile_text_is_escaped_on_portal_pages(alice_client, alice):
    ticket = TicketFactory(requester=alice, subject="<img src=x onerror=alert(1)>")
    MessageFactory(ticket=ticket, body="<script>alert(2)</script>")
    for url in (PORTAL, page(ticket)):
        html = alice_client.get(url).content.decode()
        assert "<img src=x onerror" not in html and "<script>alert(2)" not in html


def test_close_and_reopen(alice_client, ticket):
    alice_client.post(reverse("portal:ticket-close", args=[ticket.ref]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    html = alice_client.get(page(ticket)).content.decode()
    assert "Reopen this ticket" in html and "Add a reply" not in html
    alice_client.post(reverse("portal:ticket-reopen", args=[ticket.ref]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_to_a_closed_ticket_is_refused(alice_client, alice):
    ticket = TicketFactory(requester=alice, closed=True)
    response = alice_client.post(reverse("portal:ticket-reply", args=[ticket.ref]), {"body": "hello?"})
    assert "This ticket is closed. Reopen it to reply." in response.content.decode()
    assert not ticket.messages.exists()


def test_customer_is_told_when_an_agent_replied_while_typing(alice_client, alice, agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(agent, ticket, body="We fixed it")
    services.reply_to_ticket(agent, ticket, body="internal chatter", internal=True)
    url = reverse("portal:ticket-reply", args=[ticket.ref])
    html = alice_client.post(url, {"body": "Still broken", "seen_event_id": seen}).content.decode()
    assert "We replied while you were writing" in html and "Still broken" in html
    assert "internal chatter" not in html
    assert not ticket.messages.filter(author=alice, body="Still broken").exists()
    alice_client.post(url, {"body": "Still broken", "seen_event_id": seen, "force": "on"})
    assert ticket.messages.filter(author=alice, body="Still broken").exists()


def test_portal_query_counts_do_not_grow(alice_client, alice, agent, django_assert_max_num_queries):
    TicketFactory.create_batch(5, requester=alice)
    with django_assert_max_num_queries(8) as small:
        alice_client.get(PORTAL)
    TicketFactory.create_batch(25, requester=CustomerFactory(organization=alice.organization))
    with django_assert_max_num_queries(8) as large:
        alice_client.get(PORTAL)
    assert len(small.captured_queries) == len(large.captured_queries)

    ticket = Ticket.objects.first()
    MessageFactory.create_batch(5, ticket=ticket, author=agent)
    with django_assert_max_num_queries(8) as small:
        alice_client.get(page(ticket))
    MessageFactory.create_batch(15, ticket=ticket, author=alice)
    with django_assert_max_num_queries(8) as large:
        alice_client.get(page(ticket))
    assert len(small.captured_queries) == len(large.captured_queries)
