"""The outbox: written once per reason, sent at least once, never twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from comms import services, tasks
from comms.models import DeliveryAttempt, OutboundMessage, OutboundStatus

pytestmark = pytest.mark.django_db


def queue(key="ticket:1:reply:1:user:1", **kwargs):
    return services.queue_email(key=key, to="alice@example.com", subject="Hello", body="Body", **kwargs)


class BrokenBackend(BaseEmailBackend):
    """The outside world failing: an SMTP server that refuses everything."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.fixture
def broken_smtp(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"


def test_queue_email_is_idempotent_per_key():
    first = queue()
    second = queue()
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


def test_different_reasons_are_different_messages():
    queue(key="a")
    queue(key="b")
    assert OutboundMessage.objects.count() == 2


def test_deliver_sends_once_and_logs_it(mailoutbox):
    message = queue()
    assert services.deliver_message(message.pk) is True
    assert services.deliver_message(message.pk) is False
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT and message.attempts == 1 and message.sent_at
    assert list(DeliveryAttempt.objects.values_list("succeeded", flat=True)) == [True]


def test_failure_is_retried_later_with_back_off(broken_smtp):
    message = queue()
    now = timezone.now()
    assert services.deliver_message(message.pk, now=now) is False
    message.refresh_from_db()
    assert message.status == OutboundStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert "SMTP server unreachable" in message.last_error
    assert services.deliver_message(message.pk, now=now) is False  # not due yet: not even tried
    assert DeliveryAttempt.objects.filter(succeeded=False).count() == 1
    services.deliver_message(message.pk, now=now + timedelta(minutes=1))
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == now + timedelta(minutes=3)


def test_gives_up_after_max_attempts(broken_smtp):
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(max_attempts=2)
    now = timezone.now()
    for hours in range(3):
        services.deliver_message(message.pk, now=now + timedelta(hours=hours))
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED and message.attempts == 2


def test_retry_message_requeues_a_failed_one(broken_smtp, settings, mailoutbox, django_capture_on_commit_callbacks):
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, attempts=6)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_message(None, message) is True
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT


def test_sweep_picks_up_a_lapsed_lease(mailoutbox):
    message = queue()
    mail.outbox.clear()
    now = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENDING, lease_until=now - timedelta(seconds=1), attempts=1
    )
    assert services.deliver_due(now=now) == 1
    assert len(mailoutbox) == 1


def test_sweep_leaves_a_live_lease_alone(mailoutbox):
    message = queue()
    mail.outbox.clear()
    now = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENDING, lease_until=now + timedelta(minutes=1)
    )
    assert services.deliver_due(now=now) == 0
    assert mailoutbox == []


def test_sweep_task_twice_sends_each_message_once(mailoutbox, monkeypatch):
    # The wake-up task was lost: rows wait in the outbox for the sweep.
    monkeypatch.setattr(services, "_wake_worker", lambda pk: None)
    for key in ("a", "b", "c"):
        queue(key=key)
    tasks.deliver_due()
    tasks.deliver_due()
    assert sorted(m.extra_headers["X-Firstline-Key"] for m in mailoutbox) == ["a", "b", "c"]


def test_deliver_task_twice_sends_once(mailoutbox, monkeypatch):
    monkeypatch.setattr(services, "_wake_worker", lambda pk: None)
    message = queue()
    tasks.deliver_message(message.pk)
    tasks.deliver_message(message.pk)
    assert len(mailoutbox) == 1


def test_a_tickets_emails_thread_together_and_a_retry_keeps_its_message_id(settings, broken_smtp):
    first = queue(key="ticket:1:created:user:1", thread="FL-1001")
    second = queue(key="ticket:1:message:5:user:1", thread="FL-1001")
    services.deliver_message(first.pk)  # refused by the broken server: retried later
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + timedelta(hours=1)
    services.deliver_message(first.pk, now=later)
    services.deliver_message(second.pk, now=later)
    sent = {m.extra_headers["X-Firstline-Key"]: m.message() for m in mail.outbox}
    one, two = sent["ticket:1:created:user:1"], sent["ticket:1:message:5:user:1"]
    assert one["In-Reply-To"] == two["In-Reply-To"] == one["References"]
    assert one["Message-ID"] != two["Message-ID"]
    assert one["Message-ID"] == services.email_headers(OutboundMessage.objects.get(pk=first.pk))["Message-ID"]


def test_an_email_without_a_thread_starts_none(settings):
    message = queue(key="sla:warning:x:user:1")
    services.deliver_message(message.pk)
    sent = mail.outbox[0].message()
    assert sent["In-Reply-To"] is None and sent["Message-ID"].endswith("@localhost>")


def synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_only_the_sent_mark_commits_without_waiting_for_the_disk(mailoutbox, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's; SQLite's synchronous=NORMAL covers every commit")
    monkeypatch.setattr(services, "_wake_worker", lambda pk: None)
    for number in range(3):
        queue(key=f"fan-out:{number}")
    marks, others = [], []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(services.MARK_SENT_SQL):
            marks.append(context["cursor"].fetchone()[0])  # the setting within the mark's own transaction
        elif context["connection"].in_atomic_block:
            raw = context["connection"].connection  # psycopg's own: not through this wrapper again
            others.append(raw.execute("SHOW synchronous_commit").fetchone()[0])
        return result

    with connection.execute_wrapper(watch):
        assert services.deliver_due() == 3
    assert marks == ["off"] * 3
    assert others and set(others) == {"on"}  # the claim and the delivery log stay durable
    assert synchronous_commit() == "on"  # and so does the session after the marks
    assert OutboundMessage.objects.filter(status=OutboundStatus.SENT).count() == 3


def test_on_postgresql_delivering_inside_a_callers_transaction_leaves_it_durable(mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's; SQLite's synchronous=NORMAL covers every commit")
    message = queue()  # the test runs in a transaction, as a caller's atomic block would
    assert services.deliver_message(message.pk)
    assert synchronous_commit() == "on"
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT
