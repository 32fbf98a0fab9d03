"""The portal inbox: notices a customer finds on the portal, with an unread count, marked read one by one."""

import pytest
from django.urls import reverse

from comms.models import OutboundMessage, PortalNotification
from comms.services import deliver_due, queue_message
from helpdesk import services

from .factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db
PORTAL = reverse("portal:ticket-list")
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def notify(user, key, *, title="Your ticket was answered", body="We replied.", link="", reference=""):
    """A notice on the portal channel, delivered: the way every portal notification is made."""
    queue_message(
        channel="portal",
        key=key,
        to="",
        recipient_user_id=user.pk,
        subject=title,
        body=body,
        link=link,
        reference=reference,
    )
    deliver_due()
    return PortalNotification.objects.get(message__idempotency_key=key)


def read_url(note):
    return reverse("portal:notification-read", args=[note.pk])


def test_an_agent_reply_reaches_the_customer_by_email_and_in_the_portal_inbox(
    agent, alice, ticket, mailoutbox, run_on_commit
):
    with run_on_commit():
        message = services.reply_to_ticket(agent, ticket, body="Fixed it", internal=False)
    key = f"ticket:{ticket.pk}:message:{message.pk}:user:{alice.pk}"
    assert set(OutboundMessage.objects.values_list("idempotency_key", "channel")) == {
        (key, "email"),
        (f"{key}:portal", "portal"),
    }
    assert len(mailoutbox) == 1
    note = PortalNotification.objects.get(user_id=alice.pk)
    assert note.reference == ticket.ref and note.link == ticket.get_portal_url()
    assert ticket.ref in note.title and "Fixed it" in note.body
    assert note.read_at is None


def test_the_portal_lists_the_customers_notifications_with_the_unread_count(alice_client, alice):
    notify(alice, "a", title="First notice")
    read = notify(alice, "b", title="Second notice")
    alice_client.post(read_url(read))
    html = alice_client.get(PORTAL).content.decode()
    assert "First notice" in html and "Second notice" in html
    assert "1 unread" in html
    assert '<span id="portal-unread-count"> <span class="badge">1</span>' in html


def test_an_empty_inbox_says_so(alice_client):
    html = alice_client.get(PORTAL).content.decode()
    assert "No notifications yet." in html
    assert 'id="portal-unread-count"></span>' in html


def test_marking_read_without_javascript_redirects_back_to_the_list(alice_client, alice):
    note = notify(alice, "a")
    response = alice_client.post(read_url(note))
    assert response.status_code == 302 and response["Location"] == f"{PORTAL}#portal-notifications"
    note.refresh_from_db()
    assert note.read_at is not None
    first_read = note.read_at
    alice_client.post(read_url(note))  # again: nothing changes
    note.refresh_from_db()
    assert note.read_at == first_read


def test_marking_read_with_htmx_returns_the_fresh_list_and_the_nav_count(alice_client, alice):
    note = notify(alice, "a", title="Only notice")
    notify(alice, "b", title="Other notice")
    response = alice_client.post(read_url(note), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "notificationsRead" in response["HX-Trigger"]
    assert html.lstrip().startswith('<section id="portal-notifications"') and "<html" not in html
    assert 'id="portal-unread-count" hx-swap-oob="true"' in html and '<span class="badge">1</span>' in html
    assert html.count("Mark as read") == 1  # the other one's button only


def test_mark_all_as_read(alice_client, alice, bob):
    notify(alice, "a")
    notify(alice, "b")
    theirs = notify(bob, "c")
    alice_client.post(reverse("portal:notification-read-all"))
    assert PortalNotification.objects.unread().get() == theirs


def test_a_customer_cannot_see_or_mark_another_customers_notification(alice_client, alice, bob):
    colleague = CustomerFactory(organization=alice.organization)
    for owner in (bob, colleague):
        note = notify(owner, f"note-{owner.pk}", title=f"Private to {owner.username}")
        assert alice_client.post(read_url(note)).status_code == 404
        assert alice_client.post(read_url(note), **HX).status_code == 404
        note.refresh_from_db()
        assert note.read_at is None
        assert f"Private to {owner.username}" not in alice_client.get(PORTAL).content.decode()


def test_marking_read_needs_a_post_and_a_customer(alice_client, alice, agent, client):
    note = notify(alice, "a")
    assert alice_client.get(read_url(note)).status_code == 405
    client.force_login(agent)
    assert client.post(read_url(note)).status_code == 404


def test_notification_text_is_never_html(alice_client, alice):
    notify(alice, "a", title="<script>alert(1)</script>", body="<img src=x onerror=alert(1)>\nsecond line")
    html = alice_client.get(PORTAL).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;<br>second line" in html


def test_a_notification_links_to_its_page(alice_client, alice):
    ticket = TicketFactory(requester=alice)
    notify(alice, "a", title="About your ticket", link=ticket.get_portal_url())
    html = alice_client.get(PORTAL).content.decode()
    assert f'<a href="{ticket.get_portal_url()}"><strong>About your ticket</strong></a>' in html


def test_the_unread_count_is_in_the_nav_on_every_portal_page(alice_client, alice):
    ticket = TicketFactory(requester=alice)
    notify(alice, "a")
    html = alice_client.get(reverse("portal:ticket-detail", args=[ticket.ref])).content.decode()
    assert '<span id="portal-unread-count"> <span class="badge">1</span>' in html


def test_portal_page_queries_do_not_grow_with_notifications(alice_client, alice, django_assert_max_num_queries):
    for i in range(2):
        notify(alice, f"few-{i}")
    with django_assert_max_num_queries(8) as few:
        alice_client.get(PORTAL)
    for i in range(20):
        notify(alice, f"many-{i}")
    with django_assert_max_num_queries(8) as many:
        alice_client.get(PORTAL)
    assert len(few.captured_queries) == len(many.captured_queries)
    with django_assert_max_num_queries(8) as partial:
        alice_client.post(reverse("portal:notification-read-all"), **HX)
    assert len(partial.captured_queries) <= len(many.captured_queries)
