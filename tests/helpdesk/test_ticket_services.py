"""Business rules of the ticket services, called directly."""

import threading

import pytest
from django.db import connection

from comms.models import OutboundMessage
from helpdesk import services
from helpdesk.models import EventKind, Priority, Role, Status, Ticket, TicketEvent

from .factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_create_ticket_writes_first_message_event_and_acknowledgement(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.create_ticket(alice, requester=alice, subject="  Broken  ", description="Details")
    assert ticket.subject == "Broken" and ticket.status == Status.NEW
    event = TicketEvent.objects.get(ticket=ticket, is_public=True)  # triage adds internal entries
    assert (event.kind, event.is_public, event.message.body) == (EventKind.CREATED, True, "Details")
    outbox = OutboundMessage.objects.get(channel="email")
    assert outbox.idempotency_key == f"ticket:{ticket.pk}:created:user:{alice.pk}"
    assert outbox.recipient == alice.email and outbox.status == "sent"
    # The customer also finds it in the portal inbox.
    portal = OutboundMessage.objects.get(channel="portal")
    assert portal.idempotency_key == f"ticket:{ticket.pk}:created:user:{alice.pk}:portal"


def test_customer_without_organization_cannot_be_a_requester(agent):
    with pytest.raises(services.NotAllowed):
        services.create_ticket(agent, requester=agent, subject="x", description="y")
    assert not Ticket.objects.exists()


def test_agent_first_public_reply_opens_a_new_ticket(agent, ticket):
    services.reply_to_ticket(agent, ticket, body="On it")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.last_public_at is not None


def test_internal_note_changes_no_status_and_is_not_public(agent, ticket):
    message = services.reply_to_ticket(agent, ticket, body="psst", internal=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.last_public_at is None
    assert message.event.is_public is False


@pytest.mark.parametrize("status", [Status.WAITING, Status.RESOLVED])
def test_customer_reply_reopens_a_waiting_or_resolved_ticket(alice, status):
    ticket = TicketFactory(requester=alice, status=status)
    services.reply_to_ticket(alice, ticket, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None


def test_customer_reply_on_closed_ticket_is_refused(alice):
    ticket = TicketFactory(requester=alice, closed=True)
    with pytest.raises(services.NotAllowed):
        services.reply_to_ticket(alice, ticket, body="hello")
    assert not ticket.messages.exists()


def test_customers_cannot_write_internal_notes(alice, ticket):
    with pytest.raises(services.NotAllowed):
        services.reply_to_ticket(alice, ticket, body="x", internal=True)


def test_stale_reply_is_refused_until_forced(agent, other_agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(other_agent, ticket, body="first")
    with pytest.raises(services.StaleReply) as excinfo:
        services.reply_to_ticket(agent, ticket, body="second", seen_event_id=seen)
    assert [m.body for m in excinfo.value.messages] == ["first"]
    services.reply_to_ticket(agent, ticket, body="second", seen_event_id=seen, force=True)
    assert ticket.messages.count() == 2


def test_own_messages_do_not_count_as_stale(agent, ticket):
    seen = services.latest_event_id(ticket)
    services.reply_to_ticket(agent, ticket, body="first")
    services.reply_to_ticket(agent, ticket, body="second", seen_event_id=seen)
    assert ticket.messages.count() == 2


def test_claim_race_has_one_winner(agent, other_agent, ticket):
    services.claim_ticket(agent, ticket)
    with pytest.raises(services.TicketConflict):
        services.claim_ticket(other_agent, ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


def test_claiming_my_own_ticket_again_is_harmless(agent, ticket):
    services.claim_ticket(agent, ticket)
    services.claim_ticket(agent, ticket)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_in_threads_have_one_winner(alice):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share an in-memory SQLite database; this runs on PostgreSQL in CI")
    ticket = TicketFactory(requester=alice)
    agents = [AgentFactory(), AgentFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def claim(agent):
        barrier.wait()
        try:
            services.claim_ticket(agent, Ticket.objects.get(pk=ticket.pk))
            outcomes.append("won")
        except services.TicketConflict:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_lose_nothing(alice):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share an in-memory SQLite database; this runs on PostgreSQL in CI")
    ticket = TicketFactory(requester=alice)
    agents = [AgentFactory(), AgentFactory()]
    barrier = threading.Barrier(2)

    def reply(agent):
        barrier.wait()
        try:
            services.reply_to_ticket(agent, Ticket.objects.get(pk=ticket.pk), body=f"from {agent.username}")
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ticket.messages.count() == 2
    ticket.refresh_from_db()
    assert ticket.version == 3


def test_update_from_stale_version_changes_nothing(agent, other_agent, ticket):
    version = ticket.version
    services.update_ticket(other_agent, ticket, priority=Priority.HIGH)
    with pytest.raises(services.TicketConflict):
        services.update_ticket(agent, ticket, expected_version=version, priority=Priority.LOW, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status) == (Priority.HIGH, Status.NEW)


def test_each_change_writes_one_event_with_before_and_after(agent, other_agent, ticket):
    services.update_ticket(
        agent, ticket, priority=Priority.CRITICAL, level=3, assignee=other_agent, status=Status.RESOLVED
    )
    events = {e.kind: e.data for e in TicketEvent.objects.filter(ticket=ticket)}
    assert events[EventKind.PRIORITY] == {"from": Priority.MEDIUM, "to": Priority.CRITICAL}
    assert events[EventKind.LEVEL] == {"from": 1, "to": 3}
    assert events[EventKind.ASSIGNED]["to_id"] == other_agent.pk
    assert events[EventKind.STATUS] == {"from": "new", "to": "resolved"}
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None and ticket.version == 2


def test_unchanged_values_write_no_event(agent, ticket):
    services.update_ticket(agent, ticket, priority=ticket.priority, status=ticket.status)
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_bulk_update_is_set_wise(agent, alice, django_assert_max_num_queries):
    few = [t.pk for t in TicketFactory.create_batch(5, requester=alice)]
    with django_assert_max_num_queries(20) as small:
        services.bulk_update_tickets(agent, few, assignee=agent, status=Status.OPEN, priority=Priority.HIGH)
    # 40 tickets × 3 events stays within one SQLite bulk insert (its parameter limit
    # splits larger ones into batches, which is still set-wise).
    many = [t.pk for t in TicketFactory.create_batch(40, requester=alice)]
    with django_assert_max_num_queries(20) as large:
        changed = services.bulk_update_tickets(agent, many, assignee=agent, status=Status.OPEN, priority=Priority.HIGH)
    assert changed == 40
    assert len(small.captured_queries) == len(large.captured_queries)
    assert TicketEvent.objects.filter(ticket_id__in=many).count() == 120


def test_set_user_role_mirrors_the_group(alice):
    services.set_user_role(None, alice, role=Role.MANAGER)
    assert list(alice.groups.values_list("name", flat=True)) == ["manager"]
    assert alice.is_staff
    services.set_user_role(None, alice, role=Role.AGENT)
    assert list(alice.groups.values_list("name", flat=True)) == ["agent"]
    assert not alice.is_staff


def test_message_html_is_rendered_and_cleaned_once_when_written(agent, ticket):
    message = services.reply_to_ticket(agent, ticket, body="**Done** <script>alert(1)</script>")
    assert "<strong>Done</strong>" in message.body_html
    assert "<script>" not in message.body_html
