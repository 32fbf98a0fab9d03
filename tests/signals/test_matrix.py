"""The channel matrix is admin data: seeded with seed 003's defaults, validated at save, used by the engine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from comms.models import OutboundMessage
from incidents.journey.defaults import OUTREACH_DEFAULTS, install_outreach_defaults
from incidents.journey.engine import outreach_plan, record_signal, send_due_outreach
from incidents.journey.models import OutreachRule, ProactiveCase
from tests.helpdesk.factories import TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def customer_channels(customer):
    rows = OutboundMessage.objects.filter(recipient_user_id=customer.pk, idempotency_key__startswith="signal:")
    return sorted(rows.values_list("channel", flat=True))


def test_the_migration_installs_seed_003s_matrix_and_installing_again_changes_nothing():
    assert {(r.severity, r.has_open_ticket): r.actions() for r in OutreachRule.objects.all()} == OUTREACH_DEFAULTS
    assert install_outreach_defaults() == 0


def test_an_admins_edit_changes_what_the_engine_does(types, alice):
    OutreachRule.objects.filter(severity="high", has_open_ticket=False).update(email=False, sms=True)
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=types["high"], customer=alice, key="a")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    assert customer_channels(alice) == ["sms"]


def test_a_row_the_admin_removed_falls_back_to_the_default(types, alice):
    OutreachRule.objects.filter(severity="critical", has_open_ticket=False).delete()
    assert outreach_plan("critical", False) == ["email", "sms", "push"]
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=types["critical"], customer=alice, key="a")
        send_due_outreach()
    assert customer_channels(alice) == ["email", "push", "sms"]


def test_an_internal_note_only_row_sends_nothing_and_drops_the_outreach_target(types, alice):
    TicketFactory(requester=alice)
    types["medium"].outreach_minutes = 60
    types["medium"].save()
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=types["medium"], customer=alice, key="a")
    assert ProactiveCase.objects.get().outreach_target_at == NOW + timedelta(minutes=60)
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    assert customer_channels(alice) == []
    assert ProactiveCase.objects.get().outreach_target_at is None  # the agent follows up on her ticket


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"has_open_ticket": False}, "__all__", "no_action"),
        ({"has_open_ticket": False, "reply": True}, "reply", "reply_without_ticket"),
        ({"has_open_ticket": True, "note": True, "email": True}, "note", "note_with_channels"),
    ],
)
def test_nonsense_rows_are_refused_with_a_clear_message(fields, field, code):
    rule = OutreachRule(severity="low", **fields)
    with pytest.raises(ValidationError) as refused:
        rule.clean()
    assert refused.value.error_dict[field][0].code == code


def test_the_admin_edits_the_matrix_and_shows_the_reason_for_a_refusal(admin_client):
    rule = OutreachRule.objects.get(severity="high", has_open_ticket=False)
    url = f"/admin/incidents/outreachrule/{rule.pk}/change/"
    assert admin_client.get("/admin/incidents/outreachrule/").status_code == 200
    refused = admin_client.post(url, {"severity": "high", "reply": "on"})
    assert refused.status_code == 200
    assert "needs an open ticket" in refused.content.decode()
    saved = admin_client.post(url, {"severity": "high", "email": "on", "portal": "on"})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert rule.actions() == ["email", "portal"]
