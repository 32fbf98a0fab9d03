"""Channel selection: rules by severity, narrowed by the tier and the customer's own channels."""

import pytest
from django.core.exceptions import ValidationError

from comms.defaults import install_default_channel_rules
from comms.models import ChannelRule
from comms.services import choose_channels

pytestmark = pytest.mark.django_db

ALL = ["phone", "sms", "email", "portal", "push"]


@pytest.fixture
def rules(db):
    install_default_channel_rules()


def test_p1_reaches_phone_sms_email_and_portal_when_the_tier_has_them(rules):
    assert choose_channels(severity="p1", allowed=ALL) == ["phone", "sms", "email", "portal"]


def test_the_tier_limits_the_channels(rules):
    # An Essential customer's tier has email and the portal only.
    assert choose_channels(severity="p1", allowed=["email", "portal"]) == ["email", "portal"]


def test_the_preferred_channel_comes_first_and_the_backup_is_added_for_p1(rules):
    assert choose_channels(severity="p1", allowed=ALL, preferred="push", backup="email") == [
        "push",
        "phone",
        "sms",
        "email",
        "portal",
    ]
    assert choose_channels(severity="p3", allowed=ALL, preferred="sms", backup="phone") == ["sms", "email", "portal"]


def test_routine_messages_use_email_and_the_portal(rules):
    assert choose_channels(severity="routine", allowed=ALL, preferred="sms") == ["email", "portal"]


def test_without_a_rule_email_and_portal(db):
    assert choose_channels(severity="p2", allowed=ALL) == ["email", "portal"]


def test_an_unknown_channel_in_a_rule_is_refused():
    with pytest.raises(ValidationError) as refused:
        ChannelRule(severity="p2", channels=["email", "pigeon"]).full_clean()
    assert "pigeon" in str(refused.value)


def test_default_rules_install_once(db):
    assert install_default_channel_rules() == 5
    assert install_default_channel_rules() == 0
