import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from comms.models import OutboundMessage
from incidents import services, subscriptions
from incidents.models import Component, ComponentStatus, StatusSubscription
from incidents.notices import send_update_notices

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"/status/subscriptions/confirm/([A-Za-z0-9_-]+)/")


@pytest.fixture
def billing(api):
    return Component.objects.create(name="Billing", group=api.group)


def subscribe(client, email, *, components=(), **extra):
    data = {"email": email, "scope": "chosen" if components else "all", "components": [c.pk for c in components]}
    return client.post(reverse("status:subscribe"), data, **extra)


def confirmation_token(email):
    message = OutboundMessage.objects.filter(recipient=email, template_slug="status-subscription-confirm").latest("pk")
    return CONFIRM_LINK.search(message.body).group(1)


def subscribed(client, email, **kwargs):
    """A confirmed subscription, the way a visitor makes one."""
    subscribe(client, email, **kwargs)
    client.post(reverse("status:subscription-confirm", args=[confirmation_token(email)]))
    return StatusSubscription.objects.active().get(email=email)


def test_subscribing_stores_a_pending_row_and_emails_a_single_link_whose_token_is_kept_hashed(client, api):
    response = subscribe(client, "Visitor@Example.com", components=[api])
    assert response.status_code == 302
    subscription = StatusSubscription.objects.get()
    assert subscription.email == "visitor@example.com" and not subscription.is_active
    assert list(subscription.components.all()) == [api] and not subscription.all_components
    token = confirmation_token("visitor@example.com")
    assert len(token) >= 40
    assert subscription.confirm_token_hash == subscriptions.hash_token(token) != token
    assert not StatusSubscription.objects.filter(confirm_token_hash=token).exists()
    assert "Almost done" in client.get(reverse("status:page")).content.decode()


def test_confirmation_link_shows_a_button_and_confirms_once(client, api):
    subscribe(client, "v@example.com")
    token = confirmation_token("v@example.com")
    url = reverse("status:subscription-confirm", args=[token])
    page = client.get(url)  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and "Confirm subscription" in page.content.decode()
    assert not StatusSubscription.objects.active().exists()
    assert client.post(url).status_code == 200
    subscription = StatusSubscription.objects.get()
    assert subscription.is_active and subscription.confirm_token_hash is None
    reused = client.post(url)
    assert reused.status_code == 404 and "does not work" in reused.content.decode()
    assert client.get(url).status_code == 404
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:20], str.upper])
def test_tampered_confirmation_token_confirms_nothing(client, tamper):
    subscribe(client, "v@example.com")
    token = tamper(confirmation_token("v@example.com"))
    assert client.post(reverse("status:subscription-confirm", args=[token])).status_code == 404
    assert not StatusSubscription.objects.active().exists()


def test_expired_confirmation_link_confirms_nothing(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        subscribe(client, "v@example.com")
    token = confirmation_token("v@example.com")
    with time_machine.travel(start + timedelta(hours=subscriptions.CONFIRM_HOURS, seconds=1), tick=False):
        assert client.post(reverse("status:subscription-confirm", args=[token])).status_code == 404
    assert not StatusSubscription.objects.active().exists()
    with time_machine.travel(start + timedelta(hours=subscriptions.CONFIRM_HOURS - 1), tick=False):
        assert client.post(reverse("status:subscription-confirm", args=[token])).status_code == 200
    assert StatusSubscription.objects.active().count() == 1


def test_a_new_confirmation_replaces_that_emails_subscription_and_an_unconfirmed_one_changes_nothing(
    client, api, billing
):
    first = subscribed(client, "v@example.com", components=[api])
    subscribe(client, "v@example.com", components=[billing])  # a stranger could send this much
    first.refresh_from_db()
    assert first.is_active and list(first.components.all()) == [api]
    client.post(reverse("status:subscription-confirm", args=[confirmation_token("v@example.com")]))
    active = StatusSubscription.objects.active().get(email="v@example.com")
    assert active.pk != first.pk and list(active.components.all()) == [billing]


def test_unsubscribe_ends_only_its_own_subscription_without_login(client):
    mine = subscribed(client, "me@example.com")
    other = subscribed(client, "other@example.com")
    url = reverse("status:unsubscribe", args=[mine.unsubscribe_token])
    assert "Unsubscribe" in client.get(url).content.decode()
    mine.refresh_from_db()
    assert mine.is_active  # showing the page changes nothing
    response = client.post(url)
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    assert client.post(url).status_code == 200  # a second click is harmless
    mine.refresh_from_db()
    other.refresh_from_db()
    assert not mine.is_active and other.is_active
    for token in ("", "x", mine.unsubscribe_token[:-2], other.unsubscribe_token.upper()):
        if token:
            assert client.post(reverse("status:unsubscribe", args=[token])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_subscribers_get_each_public_update_of_their_components_once(client, people, api, billing, run_on_commit):
    everything = subscribed(client, "all@example.com")
    api_only = subscribed(client, "api@example.com", components=[api])
    subscribed(client, "billing@example.com", components=[billing])
    subscribe(client, "pending@example.com")
    gone = subscribed(client, "gone@example.com")
    client.post(reverse("status:unsubscribe", args=[gone.unsubscribe_token]))

    incident = services.declare_incident(
        people["manager"],
        title="API errors",
        severity=2,
        commander=people["manager"],
        communications_lead=people["agent"],
        organizations=[people["acme"]],
        components={api: ComponentStatus.MAJOR_OUTAGE},
    )
    with run_on_commit():
        update = services.post_update(people["manager"], incident, body="Rolling back.")
        services.post_update(people["manager"], incident, body="Internal only", public=False)
    rows = OutboundMessage.objects.filter(template_slug="status-subscriber-update")
    assert sorted(rows.values_list("recipient", flat=True)) == ["all@example.com", "api@example.com"]
    message = rows.get(recipient="api@example.com")
    assert "Rolling back." in message.body and "Internal only" not in message.body
    assert reverse("status:unsubscribe", args=[api_only.unsubscribe_token]) in message.body
    assert "API" in message.body
    assert message.idempotency_key == f"incident:{incident.pk}:update:{update.pk}:subscription:{api_only.pk}"
    assert (
        reverse("status:unsubscribe", args=[everything.unsubscribe_token]) in rows.get(recipient="all@example.com").body
    )
    # A second run, or the update stamped again and re-driven, writes nothing more.
    assert send_update_notices(update.pk) == 0
    from incidents.models import IncidentUpdate

    IncidentUpdate.objects.filter(pk=update.pk).update(notices_sent_at=None)
    send_update_notices(update.pk)
    assert rows.count() == 2


def test_subscribers_hear_nothing_of_an_internal_incident(client, people, api, run_on_commit):
    subscribed(client, "all@example.com")
    incident = services.declare_incident(
        people["manager"],
        title="Quiet",
        severity=3,
        commander=people["manager"],
        communications_lead=people["agent"],
        organizations=[people["acme"]],
        components={api: ComponentStatus.DEGRADED},
        is_public=False,
    )
    with run_on_commit():
        services.post_update(people["manager"], incident, body="Shh")
    assert not OutboundMessage.objects.filter(template_slug="status-subscriber-update").exists()


def test_subscribing_is_rate_limited_per_email_and_per_network_address_with_a_clear_message(client):
    for _n in range(subscriptions.LIMIT_PER_EMAIL_PER_DAY):
        assert subscribe(client, "target@example.com").status_code == 302
    refused = subscribe(client, "target@example.com")
    assert refused.status_code == 429
    assert "several confirmation links to this address today" in refused.content.decode()
    sent = OutboundMessage.objects.filter(recipient="target@example.com").count()
    assert sent == subscriptions.LIMIT_PER_EMAIL_PER_DAY

    for n in range(subscriptions.LIMIT_PER_ADDRESS_PER_HOUR - subscriptions.LIMIT_PER_EMAIL_PER_DAY):
        assert subscribe(client, f"other{n}@example.com").status_code == 302
    refused = subscribe(client, "fresh@example.com")
    assert refused.status_code == 429 and "Too many subscription requests" in refused.content.decode()
    assert not StatusSubscription.objects.filter(email="fresh@example.com").exists()
    # Another network is not held back by this one.
    assert subscribe(client, "fresh@example.com", REMOTE_ADDR="203.0.113.9").status_code == 302


def test_subscribe_form_with_htmx_answers_with_its_fragment_and_explains_mistakes(client, api):
    response = client.post(
        reverse("status:subscribe"), {"email": "nope", "scope": "chosen"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section id="status-subscribe"')
    assert "Choose at least one component." in body and "valid email" in body
    assert not StatusSubscription.objects.exists()
    response = client.post(
        reverse("status:subscribe"),
        {"email": "v@example.com", "scope": "chosen", "components": [api.pk]},
        headers={"HX-Request": "true"},
    )
    assert "Almost done" in response.content.decode()
    assert "statusSubscriptionRequested" in response.headers["HX-Trigger"]


def test_status_page_with_the_subscription_form_keeps_its_query_count(client, api, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        page = client.get(reverse("status:page"))
    assert 'name="components"' in page.content.decode()


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_reports(client, settings):
    """Every visitor arrives from the proxy's address; CLIENT_IP_HEADER names the visitor's own."""
    settings.FIRSTLINE_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for n in range(subscriptions.LIMIT_PER_ADDRESS_PER_HOUR):
        assert subscribe(client, f"a{n}@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    refused = subscribe(client, "a-last@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert refused.status_code == 429
    # Same proxy, another visitor behind it: not held back.
    assert subscribe(client, "b@example.com", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
