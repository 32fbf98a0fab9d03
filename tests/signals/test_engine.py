"""The engine: one proactive ticket per customer, the note and draft, outreach by the matrix, de-duplication."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from helpdesk.models import EventKind, Message, Status, Ticket, TicketEvent
from helpdesk.services import create_ticket
from incidents.journey.engine import record_signal, send_due_outreach, write_case_notes
from incidents.journey.models import ProactiveCase, SignalEvent
from tests.helpdesk.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def signal(signal_type, customer, key, **fields):
    return record_signal(None, signal_type=signal_type, customer=customer, key=key, **fields)


def customer_rows(customer):
    return OutboundMessage.objects.filter(recipient_user_id=customer.pk, idempotency_key__startswith="signal:")


def test_two_signals_for_one_customer_share_one_ticket_at_the_most_severe_priority(types, alice, run_on_commit):
    with time_machine.travel(NOW, tick=False):
        with run_on_commit():  # a new case wakes the worker, which writes its note at once
            first, _ = signal(types["medium"], alice, "a")
        second, _ = signal(types["critical"], alice, "b")
        write_case_notes()
    assert first.case_id == second.case_id
    assert write_case_notes() == 0  # every event is noted once
    ticket = Ticket.objects.get()
    assert ticket.priority == 1
    assert {t.name for t in ticket.tags.all()} == {"proactive", "sig-003", "sig-002"}
    notes = Message.objects.filter(ticket=ticket, is_internal=True)
    assert notes.count() == 2
    assert "Touches so far" in notes.last().body and "Drafted message" in notes.last().body


def test_a_proactive_ticket_sends_no_we_have_your_request_acknowledgement(types, alice, run_on_commit):
    with run_on_commit():
        signal(types["high"], alice, "a")
    assert not OutboundMessage.objects.filter(idempotency_key__contains=":created:").exists()


def test_the_note_lists_the_customers_open_tickets_and_the_draft_is_in_their_language(types, alice):
    alice.language = "es"
    alice.save()
    other = TicketFactory(requester=alice, subject="Cannot call abroad")
    signal(types["high"], alice, "a")
    write_case_notes()
    case = ProactiveCase.objects.get()
    note = Message.objects.filter(ticket=case.ticket, is_internal=True).get()
    assert other.ref in note.body
    assert case.draft_language == "es" and "Hemos detectado" in case.draft_subject


def test_signals_close_together_become_one_message_addressing_both(types, alice):
    with time_machine.travel(NOW, tick=False):
        signal(types["high"], alice, "a")
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        signal(types["medium"], alice, "b")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert send_due_outreach() == 1
        assert send_due_outreach() == 0
    rows = list(customer_rows(alice))
    assert [r.channel for r in rows] == ["email"]
    assert "Signal SIG-001" in rows[0].body and "Signal SIG-003" in rows[0].body
    assert not SignalEvent.objects.filter(addressed_at__isnull=True).exists()


def test_critical_without_an_open_ticket_goes_by_email_sms_and_push_at_once(types, alice):
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        send_due_outreach()
    assert sorted(customer_rows(alice).values_list("channel", flat=True)) == ["email", "push", "sms"]


def test_critical_with_an_open_ticket_replies_on_that_ticket_and_texts(types, alice):
    open_ticket = TicketFactory(requester=alice)
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        send_due_outreach()
    reply = Message.objects.get(ticket=open_ticket, is_internal=False)
    assert "Signal SIG-002" in reply.body
    assert list(customer_rows(alice).values_list("channel", flat=True)) == ["sms"]
    assert ProactiveCase.objects.get().last_outreach_channels == [f"reply:{open_ticket.ref}", "sms"]


def test_medium_with_an_open_ticket_is_an_internal_note_only(types, alice):
    TicketFactory(requester=alice)
    with time_machine.travel(NOW, tick=False):
        signal(types["medium"], alice, "a")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    assert not customer_rows(alice).exists()
    case = ProactiveCase.objects.get()
    assert case.first_outreach_at is None
    assert "No message sent to the customer" in Message.objects.filter(ticket=case.ticket).last().body


def test_sms_goes_only_where_the_tier_allows_it(types, alice, tier):
    tier.allowed_channels = ["email"]
    tier.save()
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        send_due_outreach()
    assert list(customer_rows(alice).values_list("channel", flat=True)) == ["email"]


def test_an_incident_notice_in_the_last_24_hours_holds_our_message_about_its_components_back(
    types, alice, checkout, incident_notice
):
    types["critical"].components.add(checkout)
    incident = incident_notice(alice, NOW - timedelta(hours=2), components=[checkout])
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        assert send_due_outreach() == 0
        send_due_outreach()
    assert not customer_rows(alice).exists()
    case = ProactiveCase.objects.get()
    assert case.outreach_due_at == NOW + timedelta(hours=22)
    held = Message.objects.filter(ticket=case.ticket, body__startswith="Outreach held back")
    assert held.count() == 1
    assert f"sig-002 (SIG-002): told at 2026-11-24 06:00 UTC by incident notice {incident.ref}" in held.get().body
    assert "held until 2026-11-25 06:00 UTC" in held.get().body
    with time_machine.travel(NOW + timedelta(hours=22, minutes=1), tick=False):
        assert send_due_outreach() == 1
    assert customer_rows(alice).count() == 3


def test_a_customer_hears_once_in_24_hours_whatever_the_number_of_signals_about_one_root_cause(types, alice):
    # eSIM waiting (high) and eSIM activation failed (critical) are one problem to the customer.
    for kind in ("high", "critical"):
        types[kind].root_cause = "esim"
        types[kind].save()
    with time_machine.travel(NOW, tick=False):
        signal(types["high"], alice, "a")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    for hour in (1, 5, 12, 20):
        with time_machine.travel(NOW + timedelta(hours=hour), tick=False):
            signal(types["critical"], alice, f"later-{hour}")
            signal(types["high"], alice, f"again-{hour}")
            send_due_outreach()
    assert customer_rows(alice).count() == 1
    case = ProactiveCase.objects.get()
    held = Message.objects.filter(ticket=case.ticket, body__startswith="Outreach held back")
    assert held.count() == 1  # said once, not on every sweep that finds them still held
    assert "esim (SIG-002, SIG-001)" in held.get().body
    with time_machine.travel(NOW + timedelta(hours=24, minutes=12), tick=False):
        send_due_outreach()
    # The held signals went out together, once, when the 24 h had passed: critical, so email, SMS and push.
    later = customer_rows(alice).filter(idempotency_key__startswith=f"signal:case:{case.pk}:outreach:2:")
    assert sorted(later.values_list("channel", flat=True)) == ["email", "push", "sms"]
    assert customer_rows(alice).count() == 4


def test_a_resolved_proactive_ticket_closes_its_case_and_a_new_signal_opens_another(types, alice, agent):
    event, _ = signal(types["high"], alice, "a")
    ticket = event.case.ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED)
    second, _ = signal(types["high"], alice, "b")
    assert second.case_id != event.case_id
    assert ProactiveCase.objects.get(pk=event.case_id).closed_at is not None


def test_critical_signals_alert_engineering_once_per_case_and_signal(types, alice):
    signal(types["critical"], alice, "a")
    signal(types["critical"], alice, "b")
    chat = OutboundMessage.objects.filter(channel="chat")
    assert chat.count() == 1
    assert chat.get().recipient == "engineering"


def test_when_the_customer_writes_in_after_our_outreach_the_agent_sees_when_we_contacted_them(
    types, alice, agent, client
):
    with time_machine.travel(NOW, tick=False):
        signal(types["critical"], alice, "a")
        send_due_outreach()
    new = create_ticket(alice, requester=alice, subject="My eSIM?", description="Nothing works")
    client.force_login(agent)
    response = client.get(f"/agent/signals/tickets/{new.ref}/panel/")
    assert response.status_code == 200
    assert "We contacted them about this at" in response.content.decode()


def test_a_thousand_events_with_duplicates_make_exactly_the_right_tickets_and_messages(post, types, settings):
    from tests.helpdesk.factories import CustomerFactory

    customers = [CustomerFactory(organization__tier__allowed_channels=["email"]) for _ in range(40)]
    events = []
    for i in range(800):
        customer = customers[i % 40]
        code = "SIG-001" if i % 2 else "SIG-003"
        events.append(
            {"signal": code, "idempotency_key": f"evt-{i}", "customer_email": customer.email, "data": {"n": i}}
        )
    events += events[:200]  # 200 replays mixed in
    with time_machine.travel(NOW, tick=True):
        for start in range(0, len(events), 100):
            response = post({"events": events[start : start + 100]})
            assert response.status_code == 202, response.json()
    assert SignalEvent.objects.count() == 800
    assert ProactiveCase.objects.count() == 40
    assert set(ProactiveCase.objects.values_list("signal_count", flat=True)) == {20}
    assert not Ticket.objects.exists()  # the requests stored signals and cases; tickets are the worker's
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        assert send_due_outreach() == 40
        assert send_due_outreach() == 0
    assert Ticket.objects.count() == 40
    rows = OutboundMessage.objects.filter(idempotency_key__startswith="signal:")
    assert rows.count() == 40
    assert set(rows.values_list("channel", flat=True)) == {"email"}
    assert rows.values("recipient_user_id").distinct().count() == 40
    assert TicketEvent.objects.filter(kind=EventKind.CREATED).count() == 40
    # The events that arrived together are one note per case, with every one of them in it.
    notes = Message.objects.filter(is_internal=True, body__contains="Drafted message")
    assert notes.count() == 40
    assert all(note.body.count("Proactive signal") == 20 for note in notes)


def test_the_tone_follows_the_customers_touch_count(types, alice):
    for hours in (1, 20, 40):
        MessageFactory(ticket=TicketFactory(requester=alice), created_at=NOW - timedelta(hours=hours))
    with time_machine.travel(NOW, tick=False):
        signal(types["high"], alice, "a")
        write_case_notes()
    case = ProactiveCase.objects.get()
    assert case.touches == 3
    assert "I am taking ownership" in case.draft_subject  # third touch: apologetic, ownership
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    # She has open tickets, so a high signal is answered on the latest of them, in the same tone.
    reply = Message.objects.filter(ticket__proactive_case__isnull=True, author__username="firstline-signals")
    assert "I am sorry it has taken this long" in reply.get().body


def test_the_workers_step_run_twice_or_late_changes_nothing_the_second_time(post, types, alice):
    from incidents.journey.tasks import process_cases

    with time_machine.travel(NOW, tick=False):
        post({"signal": "SIG-002", "idempotency_key": "a", "customer_email": alice.email})
        case = ProactiveCase.objects.get()
        assert case.ticket_id is None
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):  # late: the wake-up was lost
        process_cases([case.pk])
        counts = (Ticket.objects.count(), Message.objects.count(), OutboundMessage.objects.count())
        process_cases([case.pk])
    assert (Ticket.objects.count(), Message.objects.count(), OutboundMessage.objects.count()) == counts
    case.refresh_from_db()
    assert case.ticket_id and case.first_outreach_at == NOW + timedelta(minutes=3)
    assert sorted(customer_rows(alice).values_list("channel", flat=True)) == ["email", "push", "sms"]
