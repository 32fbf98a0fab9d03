"""Delivery against real servers on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP JSON provider.

Servers go away mid-batch and come back; workers die holding a claim; two
workers race for one row. Every test ends by counting what arrived at the
server: each message exactly once. The clock is moved with time_machine,
never waited for.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from comms import services
from comms.models import DeliveryAttempt, OutboundMessage, OutboundStatus
from comms.signals import delivery_failed

from .servers import HttpSink, SmtpSink, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_port(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def sms_port(settings):
    port = free_port()
    settings.FIRSTLINE_HTTP_CHANNELS = {
        **settings.FIRSTLINE_HTTP_CHANNELS,
        "sms": {"url": f"http://127.0.0.1:{port}/send", "token": "sms-secret", "timeout": 5},
    }
    return port


def queue_emails(count, prefix="bulk"):
    services.queue_messages(
        {"key": f"{prefix}:{i}", "to": f"person{i}@example.com", "subject": f"Notice {i}", "body": "Hello"}
        for i in range(count)
    )
    return {services.email_headers(m)["Message-ID"] for m in OutboundMessage.objects.all()}


def queue_sms(count):
    services.queue_messages(
        {"channel": "sms", "key": f"sms:{i}", "to": f"+3460000000{i}", "body": f"Alert {i}", "reference": "INC-1"}
        for i in range(count)
    )


def statuses():
    return sorted(OutboundMessage.objects.values_list("status", flat=True))


def test_a_batch_of_emails_arrives_once_each_over_one_smtp_connection(smtp_port):
    expected = queue_emails(5)
    with SmtpSink(port=smtp_port) as sink:
        assert services.deliver_due() == 5
        assert services.deliver_due() == 0
    assert sorted(sink.received) == sorted(expected)
    assert sink.sessions == 1
    assert set(OutboundMessage.objects.values_list("provider_id", flat=True)) == expected


def test_smtp_server_gone_mid_batch_then_back_delivers_every_email_exactly_once(smtp_port, caplog):
    expected = queue_emails(6)
    received = []
    now = timezone.now()
    with time_machine.travel(now, tick=False), SmtpSink(port=smtp_port, accept=2, received=received):
        assert services.deliver_due() == 2
    assert len(received) == 2
    rows = OutboundMessage.objects.exclude(status=OutboundStatus.SENT)
    assert rows.count() == 4
    for row in rows:
        assert row.status == OutboundStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at == now + timedelta(minutes=1) and row.last_error
    assert DeliveryAttempt.objects.filter(succeeded=False).count() == 4
    assert caplog.text.count("failed") >= 4

    with SmtpSink(port=smtp_port, received=received):
        with time_machine.travel(now + timedelta(seconds=30), tick=False):
            assert services.deliver_due() == 0  # still backing off
        with time_machine.travel(now + timedelta(minutes=1, seconds=1), tick=False):
            assert services.deliver_due() == 4
    assert sorted(received) == sorted(expected)  # every one, none twice
    assert statuses() == ["sent"] * 6


def test_a_worker_killed_mid_delivery_is_covered_by_the_sweep_after_its_lease(smtp_port):
    expected = queue_emails(1)
    now = timezone.now()
    with SmtpSink(port=smtp_port) as sink:
        with time_machine.travel(now, tick=False):
            _token, claimed = services.claim_due(now)  # a worker claims the row, then dies
            assert [row.status for row in claimed] == [OutboundStatus.SENDING]
            assert services.deliver_due() == 0
        with time_machine.travel(now + services.SEND_LEASE - timedelta(seconds=1), tick=False):
            assert services.deliver_due() == 0  # the lease is still live: not sent twice
        assert sink.received == []
        with time_machine.travel(now + services.SEND_LEASE + timedelta(seconds=1), tick=False):
            assert services.deliver_due() == 1
            assert services.deliver_due() == 0
    assert sink.received == list(expected)
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.SENT and row.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_row_at_once_send_it_once(smtp_port):
    expected = queue_emails(1)
    row = OutboundMessage.objects.get()
    gate = threading.Event()
    results = {}

    def first_worker():
        try:
            results["first"] = services.deliver_message(row.pk)
        finally:
            connection.close()

    with SmtpSink(port=smtp_port, gate=gate) as sink:
        worker = threading.Thread(target=first_worker)
        worker.start()
        assert sink.entered.wait(10)  # the first worker is mid-send, its claim committed
        results["second"] = services.deliver_message(row.pk)
        gate.set()
        worker.join(10)
    assert results == {"first": True, "second": False}
    assert sink.received == list(expected)


def test_sms_is_posted_as_json_with_a_bearer_token_and_an_idempotency_key(sms_port):
    queue_sms(1)
    with HttpSink(port=sms_port) as sink:
        assert services.deliver_due() == 1
    [request] = sink.received
    assert request["json"] == {
        "to": "+34600000000",
        "text": "Alert 0",
        "reference": "INC-1",
        "idempotency_key": "sms:0",
    }
    assert request["headers"]["Authorization"] == "Bearer sms-secret"
    assert request["headers"]["Idempotency-Key"] == "sms:0"
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.SENT and row.provider_id == "prov-1"


def test_a_provider_refusal_fails_at_once_and_says_why(sms_port):
    queue_sms(1)
    failed = []
    receiver = lambda sender, message, **kw: failed.append(message.pk)  # noqa: E731
    delivery_failed.connect(receiver)
    try:
        with HttpSink(port=sms_port, respond=lambda payload: (400, {"error": "invalid number"})):
            assert services.deliver_due() == 0
    finally:
        delivery_failed.disconnect(receiver)
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.FAILED and row.attempts == 1
    assert "HTTP 400" in row.last_error and "invalid number" in row.last_error
    assert failed == [row.pk]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_broken_provider_is_tried_again_later(sms_port, status):
    queue_sms(1)
    now = timezone.now()
    with HttpSink(port=sms_port, respond=lambda payload: (status, {})), time_machine.travel(now, tick=False):
        assert services.deliver_due() == 0
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.PENDING and f"HTTP {status}" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)


def test_a_provider_that_does_not_answer_in_time_is_tried_again(settings, sms_port):
    settings.FIRSTLINE_HTTP_CHANNELS["sms"]["timeout"] = 0.2
    queue_sms(1)
    with HttpSink(port=sms_port, gate=threading.Event()):
        assert services.deliver_due() == 0
    row = OutboundMessage.objects.get()
    assert row.status == OutboundStatus.PENDING and "timed out" in row.last_error


def test_http_provider_gone_mid_batch_then_back_receives_every_sms_exactly_once(sms_port):
    queue_sms(5)
    received = []
    now = timezone.now()
    with time_machine.travel(now, tick=False), HttpSink(port=sms_port, budget=2, received=received):
        assert services.deliver_due() == 2
    assert statuses() == ["pending"] * 3 + ["sent"] * 2
    # The row in flight when the server stops may see the connection reset rather than refused.
    assert all(
        "Connection refused" in error or "Connection reset" in error
        for error in OutboundMessage.objects.filter(status="pending").values_list("last_error", flat=True)
    )
    with HttpSink(port=sms_port, received=received), time_machine.travel(now + timedelta(minutes=2), tick=False):
        assert services.deliver_due() == 3
    keys = [request["headers"]["Idempotency-Key"] for request in received]
    assert sorted(keys) == [f"sms:{i}" for i in range(5)]


def test_the_chat_webhook_gets_slack_text_with_customer_text_kept_plain(settings):
    port = free_port()
    settings.FIRSTLINE_HTTP_CHANNELS = {
        **settings.FIRSTLINE_HTTP_CHANNELS,
        "chat": {"url": f"http://127.0.0.1:{port}/"},
    }
    services.queue_messages(
        [
            {
                "channel": "chat",
                "key": "alert:1",
                "to": "#support",
                "subject": "P1 on FL-1042",
                "body": "Customer wrote: <!channel> & <https://evil.example|click>",
                "link": "https://help.example.com/agent/tickets/FL-1042/",
            }
        ]
    )
    with HttpSink(port=port) as sink:
        assert services.deliver_due() == 1
    assert sink.received[0]["json"] == {
        "text": "*P1 on FL-1042*\nCustomer wrote: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;\n"
        "https://help.example.com/agent/tickets/FL-1042/"
    }
