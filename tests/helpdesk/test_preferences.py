"""A customer's own language, time zone, channels and phone on the portal."""

import pytest
from django.urls import reverse

from comms.models import ContactChannel

URL = reverse("portal:preferences")


@pytest.fixture
def alice_client(client, alice):
    alice.organization.tier.allowed_channels = ["email", "portal", "sms"]
    alice.organization.tier.save()
    client.force_login(alice)
    return client


def post(client, **changes):
    data = {
        "language": "es",
        "time_zone": "Europe/Madrid",
        "preferred_channel": "email",
        "backup_channel": "",
        "phone": "",
    }
    return client.post(URL, {**data, **changes})


def test_customer_saves_language_channels_and_phone(alice_client, alice):
    response = post(alice_client, preferred_channel="sms", backup_channel="email", phone="+34 600 123 456")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone, alice.preferred_channel, alice.backup_channel, alice.phone) == (
        "es",
        "Europe/Madrid",
        ContactChannel.SMS,
        ContactChannel.EMAIL,
        "+34 600 123 456",
    )
    # Pages now use the customer's language.
    assert '<html lang="es"' in alice_client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"preferred_channel": "sms"}, "Text messages and calls need a phone number."),
        ({"phone": "600 123"}, "country code"),
        ({"backup_channel": "email"}, "must differ from the preferred one"),
        ({"preferred_channel": "phone", "phone": "+34 600 123 456"}, "Select a valid choice"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_preferences_are_refused_and_nothing_changes(alice_client, alice, changes, message):
    response = post(alice_client, **changes)
    assert response.status_code == 200 and message in response.content.decode()
    alice.refresh_from_db()
    assert (alice.language, alice.preferred_channel, alice.phone) == ("en", ContactChannel.EMAIL, "")
