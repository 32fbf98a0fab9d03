"""Writing to the outbox: hostile input refused or made harmless, and the fan-out to a contact's channels."""

import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms import services
from comms.defaults import install_default_channel_rules
from comms.models import MessageTemplate, OutboundMessage, OutboundStatus, PortalNotification
from comms.services import Contact, notify_contact, queue_email, queue_message, queue_messages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_wake_up(monkeypatch):
    monkeypatch.setattr(services, "_wake_worker", lambda pk: None)


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recipient",
    [
        "alice@example.com\r\nBcc: everyone@example.com",
        "alice@example.com\nBcc: everyone@example.com",
        "Alice\r\nBcc: everyone@example.com <alice@example.com>",
        "alice@example.com, everyone@example.com",
        "Alice, Bob <alice@example.com>",
        "not an address",
        "",
    ],
)
def test_an_unsafe_email_recipient_is_refused_and_nothing_is_stored(recipient):
    with pytest.raises(ValueError, match="line break|not one valid email address"):
        queue_email(key="k", to=recipient, subject="Hi", body="Body")
    assert not OutboundMessage.objects.exists()


def test_a_named_recipient_is_accepted():
    row = queue_email(key="k", to="Ana García <ana@example.com>", subject="Hi", body="Body")
    assert row.recipient == "Ana García <ana@example.com>"


def test_a_subject_is_one_line_so_it_cannot_add_headers():
    row = queue_email(key="k", to="alice@example.com", subject="Hello\r\nBcc: everyone@example.com\n", body="x")
    assert row.subject == "Hello Bcc: everyone@example.com"
    services.deliver_message(row.pk)
    sent = mail.outbox[0].message()
    assert sent["Bcc"] is None and sent["Subject"] == "Hello Bcc: everyone@example.com"
    assert mail.outbox[0].recipients() == ["alice@example.com"]


def test_a_key_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="control character"):
        queue_email(key="k\r\nX-Evil: 1", to="alice@example.com", subject="Hi", body="x")


def test_one_bad_item_in_a_bulk_write_stores_nothing_and_names_the_item():
    items = [
        {"key": "good", "to": "alice@example.com", "subject": "Hi", "body": "x"},
        {"key": "bad", "to": "bob@example.com\nBcc: x@example.com", "subject": "Hi", "body": "x"},
    ]
    with pytest.raises(ValueError, match="'bad'"):
        queue_messages(items)
    assert not OutboundMessage.objects.exists()


def test_an_oversized_body_is_cut_at_the_limit_with_a_visible_marker(settings):
    settings.FIRSTLINE_OUTBOX_MAX_BODY_BYTES = 100 * 1024
    row = queue_email(key="k", to="alice@example.com", subject="Hi", body="é" * 150_000)
    assert len(row.body.encode()) <= 100 * 1024
    assert row.body.endswith(services.TRUNCATED_MARKER) and row.body.startswith("éé")
    small = queue_email(key="k2", to="alice@example.com", subject="Hi", body="short")
    assert small.body == "short"


def test_an_sms_is_cut_at_the_configured_length(settings):
    settings.FIRSTLINE_SMS_MAX_CHARS = 320
    row = queue_message(channel="sms", key="k", to="+34 600 12-34-56", body="x" * 500)
    assert len(row.body) == 320 and row.body.endswith("…")
    assert row.recipient == "+34600123456"


@pytest.mark.parametrize("phone", ["", "call me", "+34 600\n123456", "12345"])
def test_an_sms_needs_a_phone_number(phone):
    with pytest.raises(ValueError):
        queue_message(channel="sms", key="k", to=phone, body="x")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "data:text/html,x", "/ok\nX"])
def test_a_link_must_be_a_path_here_or_an_http_address(link):
    with pytest.raises(ValueError):
        queue_message(channel="portal", key="k", to="", recipient_user_id=7, body="x", link=link)


def test_portal_and_push_need_a_user_and_unknown_channels_are_refused():
    with pytest.raises(ValueError, match="user id"):
        queue_message(channel="portal", key="k", to="", body="x")
    with pytest.raises(ValueError, match="Unknown channel"):
        queue_message(channel="pigeon", key="k", to="x", body="x")


# --- channels without a provider set up -------------------------------------------------------


def test_without_a_provider_url_an_sms_is_written_to_a_file(settings):
    row = queue_message(channel="sms", key="k", to="+34600123456", body="Your ticket moved", reference="FL-1")
    assert services.deliver_message(row.pk) is True
    [line] = (settings.FIRSTLINE_CHANNEL_FILE_DIR / "sms.jsonl").read_text().splitlines()
    assert json.loads(line)["json"] == {
        "to": "+34600123456",
        "text": "Your ticket moved",
        "reference": "FL-1",
        "idempotency_key": "k",
    }


def test_delivering_a_portal_message_twice_writes_one_notification():
    row = queue_message(channel="portal", key="k", to="", recipient_user_id=7, subject="Hi", body="x", link="/p/")
    token, rows = services.claim_due(row.next_attempt_at)
    assert services.deliver_claimed(token, rows, now=row.next_attempt_at) == 1
    OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundStatus.PENDING)  # as if its result was lost
    services.deliver_due()
    note = PortalNotification.objects.get()
    assert (note.user_id, note.title, note.link) == (7, "Hi", "/p/")
    assert OutboundMessage.objects.get().provider_id == f"portal:{note.pk}"
    assert PortalNotification.objects.unread_count(7) == 1 and PortalNotification.objects.unread_count(8) == 0


def test_the_sweep_claims_a_batch_in_one_statement():
    queue_messages({"key": f"k{i}", "to": f"p{i}@example.com", "subject": "Hi", "body": "x"} for i in range(30))
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver_due() == 30
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # One claim for the whole batch, then one "sent" per row as soon as it is known.
    assert len(updates) == 31 and "lease_token" in updates[0]
    assert len(mail.outbox) == 30


# --- fan-out ------------------------------------------------------------------------------


@pytest.fixture
def template(db):
    return MessageTemplate.objects.create(
        kind="incident_alert",
        name="Incident",
        slug="incident-alert",
        subject_en="[{{ incident_id }}] {{ incident_title }}",
        body_en="Hello {{ customer_name }}, we are on it.",
        short_text_en="{{ incident_id }}: {{ incident_title }}",
        subject_es="[{{ incident_id }}] {{ incident_title }} (es)",
        body_es="Hola {{ customer_name }}, estamos en ello.",
        short_text_es="{{ incident_id }}: {{ incident_title }} (es)",
    )


ALL = ["phone", "sms", "email", "portal", "push"]
VALUES = {"incident_id": "INC-7", "incident_title": "Payments down", "customer_name": "Ana"}


def ana(**fields):
    return Contact(
        **{"user_id": 7, "name": "Ana", "email": "ana@example.com", "phone": "+34600123456", "language": "es", **fields}
    )


def test_a_p1_notice_goes_by_sms_email_and_portal_in_the_contacts_language(template):
    install_default_channel_rules()
    rows = notify_contact(
        ana(), severity="p1", key="incident:7:user:7", template=template, values=VALUES, allowed_channels=ALL
    )
    by_channel = {row.channel: row for row in rows}
    # The rule's phone call is delivered as an SMS: one text, not two.
    assert list(by_channel) == ["sms", "email", "portal"]
    assert by_channel["email"].idempotency_key == "incident:7:user:7"
    assert by_channel["sms"].idempotency_key == "incident:7:user:7:sms"
    assert by_channel["portal"].idempotency_key == "incident:7:user:7:portal"
    assert by_channel["sms"].body == "INC-7: Payments down (es)"
    assert by_channel["email"].body == "Hola Ana, estamos en ello."
    assert by_channel["portal"].subject == "[INC-7] Payments down (es)"
    assert {(row.template_slug, row.language) for row in rows} == {("incident-alert", "es")}


def test_a_channel_without_an_address_is_skipped(template):
    install_default_channel_rules()
    rows = notify_contact(
        ana(phone="", email=""), severity="p1", key="k", template=template, values=VALUES, allowed_channels=ALL
    )
    assert [row.channel for row in rows] == ["portal"]


def test_an_unusable_stored_address_skips_its_channel_only(template):
    install_default_channel_rules()
    rows = notify_contact(
        ana(phone="not a phone"), severity="p2", key="k", template=template, values=VALUES, allowed_channels=ALL
    )
    assert [row.channel for row in rows] == ["email", "portal"]


def test_the_preferred_push_channel_reaches_the_user_and_english_fills_a_missing_language(template):
    install_default_channel_rules()
    rows = notify_contact(
        ana(language="ja", preferred_channel="push"),
        severity="p3",
        key="k",
        template=template,
        values=VALUES,
        allowed_channels=ALL,
    )
    push = rows[0]
    assert (push.channel, push.recipient, push.body, push.language) == ("push", "7", "INC-7: Payments down", "en")


def test_notifying_twice_writes_nothing_more(template):
    for _ in range(2):
        notify_contact(ana(), severity="routine", key="k", template=template, values=VALUES, allowed_channels=ALL)
    assert sorted(OutboundMessage.objects.values_list("channel", flat=True)) == ["email", "portal"]


def test_pre_rendered_text_without_a_short_text_sends_the_subject_by_sms(template):
    install_default_channel_rules()
    rendered = {"subject": "Your ticket was answered", "body": "Long body", "language": "en"}
    rows = notify_contact(ana(), severity="p2", key="k", rendered=rendered, allowed_channels=ALL)
    assert {row.channel: row.body for row in rows}["sms"] == "Your ticket was answered"


# --- admin --------------------------------------------------------------------------------


def test_the_admin_delivery_log_shows_channel_template_language_and_provider_id(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw", role="admin")
    client.force_login(admin)
    row = queue_message(
        channel="sms", key="k", to="+34600123456", body="x", template_slug="incident-alert", language="es"
    )
    OutboundMessage.objects.filter(pk=row.pk).update(provider_id="SM123", status=OutboundStatus.FAILED)
    html = client.get(reverse("admin:comms_outboundmessage_changelist")).content.decode()
    assert "SM123" in html and "incident-alert" in html and "Text message (SMS)" in html
    response = client.post(
        reverse("admin:comms_outboundmessage_changelist"),
        {"action": "retry_delivery", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert OutboundMessage.objects.get().status == OutboundStatus.PENDING
