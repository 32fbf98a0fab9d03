"""De-duplication per root cause: one customer hears about one root cause at most once in 24 h, nothing more."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from helpdesk.models import Message
from incidents.journey.engine import heard_about, record_signal, send_due_outreach, send_outreach
from incidents.journey.models import OutreachRootCause, ProactiveCase, SignalEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def signal(signal_type, customer, key):
    return record_signal(None, signal_type=signal_type, customer=customer, key=key)[0]


def customer_rows(customer):
    return OutboundMessage.objects.filter(recipient_user_id=customer.pk, idempotency_key__startswith="signal:")


def held_notes():
    return Message.objects.filter(is_internal=True, body__startswith="Outreach held back")


def share_root_cause(*signal_types, cause="esim"):
    for signal_type in signal_types:
        signal_type.root_cause = cause
        signal_type.save()


def told_at(at, signal_type, customer, key="first"):
    """The customer hears about `signal_type` at `at` (a medium or high one: after the 10-minute merge window)."""
    with time_machine.travel(at - timedelta(minutes=11), tick=False):
        signal(signal_type, customer, key)
    with time_machine.travel(at, tick=False):
        assert send_due_outreach() == 1
    assert customer_rows(customer).filter(created_at=at).exists()


def test_a_different_root_cause_within_24_hours_goes_out_at_once_and_critical_immediately(types, alice):
    told_at(NOW, types["medium"], alice)  # 09:00: "your order is stuck"
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        signal(types["critical"], alice, "broken")  # 10:00: "your service is broken now"
        assert send_due_outreach() == 1
    critical = customer_rows(alice).filter(created_at=NOW + timedelta(hours=1))
    assert sorted(critical.values_list("channel", flat=True)) == ["email", "push", "sms"]
    assert "Signal SIG-002" in critical.get(channel="email").body
    assert "Signal SIG-003" not in critical.get(channel="email").body  # the order was already told
    assert not held_notes().exists()
    assert ProactiveCase.objects.get().outreach_due_at is None


def test_a_high_signal_about_another_root_cause_waits_only_for_its_merge_window(types, alice):
    told_at(NOW, types["high"], alice)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        signal(types["other"], alice, "port-in")
    with time_machine.travel(NOW + timedelta(hours=2, minutes=11), tick=False):
        assert send_due_outreach() == 1
    assert customer_rows(alice).count() == 2


def test_two_types_sharing_a_root_cause_count_as_one(types, alice):
    share_root_cause(types["high"], types["other"], cause="port-in")
    told_at(NOW, types["high"], alice)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        signal(types["other"], alice, "same-problem")
    with time_machine.travel(NOW + timedelta(hours=2, minutes=11), tick=False):
        assert send_due_outreach() == 0
    assert customer_rows(alice).count() == 1
    note = held_notes().get().body
    assert "port-in (SIG-004): told at 2026-11-24 09:00 UTC by a proactive message" in note
    assert "held until 2026-11-25 09:00 UTC" in note
    assert ProactiveCase.objects.get().outreach_due_at == NOW + timedelta(hours=24)


def test_a_root_cause_is_compared_without_regard_to_case_and_blank_means_the_code(types, alice):
    types["high"].root_cause = "ESIM"
    types["high"].full_clean()
    assert types["high"].root_cause == "esim"
    assert types["high"].root_cause_key == "esim"
    assert types["other"].root_cause_key == "sig-004"


def test_an_incident_notice_holds_back_the_types_of_its_components_but_not_an_unrelated_type(
    types, alice, checkout, incident_notice
):
    share_root_cause(types["critical"], types["medium"], cause="checkout")
    types["medium"].components.add(checkout)  # one type of the root cause linked is enough for the root cause
    incident = incident_notice(alice, NOW - timedelta(hours=3), components=[checkout])
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "checkout-down")  # about the incident's problem
        signal(types["high"], alice, "esim")  # unrelated
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert send_due_outreach() == 1
    (email,) = customer_rows(alice)
    assert "Signal SIG-001" in email.body and "Signal SIG-002" not in email.body
    note = held_notes().get().body
    assert f"checkout (SIG-002): told at 2026-11-24 06:00 UTC by incident notice {incident.ref}" in note
    held = SignalEvent.objects.get(signal_type=types["critical"])
    assert held.addressed_at is None
    assert ProactiveCase.objects.get().outreach_due_at == NOW + timedelta(hours=21)


def test_an_incident_notice_about_other_components_holds_nothing_back(types, alice, checkout, incident_notice):
    types["critical"].components.add(checkout)
    incident_notice(alice, NOW - timedelta(hours=3))  # an incident for the organization, on no component
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        assert send_due_outreach() == 1
    assert customer_rows(alice).count() == 3
    assert not held_notes().exists()


def test_the_24_hour_boundary(types, alice):
    share_root_cause(types["high"], types["critical"])
    told_at(NOW, types["high"], alice)
    with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
        assert set(heard_about(alice.pk, NOW + timedelta(hours=23, minutes=59))) == {"esim"}
        signal(types["critical"], alice, "late")
        assert send_due_outreach() == 0  # still inside the 24 h: held
    assert ProactiveCase.objects.get().outreach_due_at == NOW + timedelta(hours=24)
    with time_machine.travel(NOW + timedelta(hours=24), tick=False):
        assert heard_about(alice.pk, NOW + timedelta(hours=24)) == {}  # exactly 24 h ago no longer counts
        assert send_due_outreach() == 1
    assert customer_rows(alice).count() == 4  # the first email, then email, SMS and push about the failure
    assert not SignalEvent.objects.filter(addressed_at__isnull=True).exists()


def test_running_the_outreach_step_twice_sends_nothing_twice(types, alice):
    share_root_cause(types["high"], types["other"], cause="port-in")
    told_at(NOW, types["high"], alice)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        signal(types["other"], alice, "held")  # held: same root cause
        signal(types["critical"], alice, "fresh")  # goes at once
        case = ProactiveCase.objects.get()
        assert send_outreach(case.pk) is True
        counts = (customer_rows(alice).count(), OutreachRootCause.objects.count(), Message.objects.count())
        assert send_outreach(case.pk) is False
        assert send_due_outreach() == 0
        assert send_due_outreach() == 0
    assert (customer_rows(alice).count(), OutreachRootCause.objects.count(), Message.objects.count()) == counts
    assert customer_rows(alice).count() == 4
    assert held_notes().count() == 1
    told = OutreachRootCause.objects.filter(customer=alice).order_by("told_at")
    assert [(row.root_cause, row.sequence) for row in told] == [("port-in", 1), ("sig-002", 2)]


def test_what_each_outreach_told_is_recorded_per_root_cause(types, alice):
    share_root_cause(types["high"], types["other"], cause="port-in")
    with time_machine.travel(NOW, tick=False):
        signal(types["high"], alice, "a")
        signal(types["other"], alice, "b")
        signal(types["medium"], alice, "c")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert send_due_outreach() == 1
    assert customer_rows(alice).count() == 1  # two signals, two root causes, one message
    case = ProactiveCase.objects.get()
    rows = OutreachRootCause.objects.filter(case=case, reason="outreach", sequence=1)
    assert sorted(rows.values_list("root_cause", flat=True)) == ["port-in", "sig-003"]
    assert set(heard_about(alice.pk, NOW + timedelta(hours=1))) == {"port-in", "sig-003"}


def test_a_note_only_plan_tells_the_customer_nothing_so_holds_nothing_back(types, alice):
    from tests.helpdesk.factories import TicketFactory

    TicketFactory(requester=alice)  # medium with an open ticket: an internal note for the agent only
    told = NOW + timedelta(minutes=11)
    with time_machine.travel(NOW, tick=False):
        signal(types["medium"], alice, "a")
    with time_machine.travel(told, tick=False):
        send_due_outreach()
    assert not OutreachRootCause.objects.exists()
    assert heard_about(alice.pk, told) == {}


def test_the_ladders_follow_up_waits_for_an_incident_notice_about_the_same_root_cause(
    types, alice, checkout, incident_notice
):
    from incidents.journey.ladder import run_signal_sweep

    types["high"].components.add(checkout)
    told_at(NOW, types["high"], alice)
    incident_notice(alice, NOW + timedelta(hours=20), components=[checkout])
    with time_machine.travel(NOW + timedelta(hours=24, minutes=1), tick=False):
        run_signal_sweep()  # told about it 4 h ago, by the incident: the follow-up waits
    assert ProactiveCase.objects.get().followed_up_at is None
    assert not OutboundMessage.objects.filter(idempotency_key__contains=":follow-up:").exists()
    with time_machine.travel(NOW + timedelta(hours=44, minutes=1), tick=False):
        assert run_signal_sweep()["ladder"]["follow_up"] == 1
        assert run_signal_sweep()["ladder"]["follow_up"] == 0
    assert OutboundMessage.objects.filter(idempotency_key__contains=":follow-up:").count() == 1
