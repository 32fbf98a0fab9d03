"""The ticket's delivery log: what was sent about it, and sending a failed message again."""

import pytest
from django.urls import reverse

from comms.models import OutboundMessage, OutboundStatus
from comms.services import queue_email

from .factories import TicketFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def sent(ticket, key, status=OutboundStatus.SENT, **fields):
    message = queue_email(
        key=key, to="alice@example.com", subject=f"[{ticket.ref}] <b>Hi</b>", body="x", reference=ticket.ref
    )
    OutboundMessage.objects.filter(pk=message.pk).update(status=status, **fields)
    return message


def test_the_log_lists_this_tickets_messages_only(agent_client, ticket, alice):
    other = TicketFactory(requester=alice)
    sent(ticket, "a", OutboundStatus.FAILED, attempts=6, last_error="SMTP refused")
    sent(other, "b")
    html = agent_client.get(reverse("helpdesk:ticket-deliveries", args=[ticket.ref]), **HX).content.decode()
    assert html.count('class="delivery ') == 1
    assert "Failed" in html and "SMTP refused" in html and "6 attempts" in html
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html


def test_a_failed_message_is_sent_again_from_the_ticket(agent_client, ticket):
    failed = sent(ticket, "a", OutboundStatus.FAILED, attempts=6)
    response = agent_client.post(reverse("helpdesk:ticket-delivery-retry", args=[ticket.ref, failed.pk]), **HX)
    assert "will be sent again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status in (OutboundStatus.PENDING, OutboundStatus.SENT)


def test_a_message_of_another_ticket_cannot_be_retried_from_this_one(agent_client, ticket, alice):
    other = TicketFactory(requester=alice)
    failed = sent(other, "b", OutboundStatus.FAILED)
    response = agent_client.post(reverse("helpdesk:ticket-delivery-retry", args=[ticket.ref, failed.pk]))
    assert response.status_code == 404
    assert OutboundMessage.objects.get(pk=failed.pk).status == OutboundStatus.FAILED


def test_customers_never_see_the_log(client, ticket, alice):
    client.force_login(alice)
    assert client.get(reverse("helpdesk:ticket-deliveries", args=[ticket.ref])).status_code == 404
