"""The ticket's delivery log: what was sent about it, and sending a failed message again."""

from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from comms import services as comms_services
from comms.models import OutboundMessage, OutboundStatus
from comms.services import queue_email
from comms.signals import delivery_failed
from helpdesk.models import EventKind, TicketEvent

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


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message: the outside world failing."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def test_a_message_given_up_on_shows_on_the_tickets_timeline(settings, agent_client, ticket, monkeypatch):
    monkeypatch.setattr(comms_services, "_wake_worker", lambda pk: None)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    message = queue_email(key="a", to="alice@example.com", subject="Hi", body="x", reference=ticket.ref)
    OutboundMessage.objects.filter(pk=message.pk).update(max_attempts=2)
    now = timezone.now()
    comms_services.deliver_message(message.pk, now=now)
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DELIVERY_FAILED).exists()  # retried later
    comms_services.deliver_message(message.pk, now=now + timedelta(hours=1))
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.DELIVERY_FAILED)
    assert event.is_public is False
    assert event.data["recipient"] == "alice@example.com" and "SMTP server unreachable" in event.data["error"]
    html = agent_client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "could not deliver a message (email to alice@example.com)" in html


def test_the_failure_is_recorded_once_and_not_for_other_references(ticket):
    message = queue_email(key="a", to="alice@example.com", subject="Hi", body="x", reference=ticket.ref)
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, attempts=6, last_error="No")
    message.refresh_from_db()
    delivery_failed.send(sender=OutboundMessage, message=message)
    delivery_failed.send(sender=OutboundMessage, message=message)
    assert TicketEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).count() == 1
    other = queue_email(key="b", to="alice@example.com", subject="Hi", body="x", reference="SLA")
    delivery_failed.send(sender=OutboundMessage, message=other)
    assert TicketEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).count() == 1


def test_customers_never_see_a_delivery_failure(client, alice, ticket):
    message = queue_email(key="a", to="alice@example.com", subject="Hi", body="x", reference=ticket.ref)
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, last_error="No")
    message.refresh_from_db()
    delivery_failed.send(sender=OutboundMessage, message=message)
    client.force_login(alice)
    html = client.get(reverse("portal:ticket-detail", args=[ticket.ref])).content.decode()
    assert "could not deliver" not in html
