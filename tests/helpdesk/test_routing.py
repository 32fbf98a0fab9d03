"""Routing: queues by data, assignment by language, skill, level and load, capacity under concurrency, away agents."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from helpdesk import services
from helpdesk.models import AssignmentMode, Channel, EventKind, RoutingRule, Ticket, TicketEvent
from helpdesk.tasks import release_away_tickets
from helpdesk.triage import reasons
from helpdesk.triage.services import set_availability

from .factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    OrganizationFactory,
    QueueFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def explain(data, language="en"):
    """A stored reason as a reader of `language` sees it."""
    with translation.override(language):
        return reasons.explain(data)


@pytest.fixture
def team(db):
    return TeamFactory(name="Billing team")


@pytest.fixture
def queue(team):
    return QueueFactory(name="Billing", team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)


def open_ticket(customer, **kwargs):
    kwargs.setdefault("subject", "Invoice question")
    kwargs.setdefault("description", "Please check the invoice.")
    return services.create_ticket(customer, requester=customer, **kwargs)


def test_routing_rules_pick_the_queue_by_category_channel_address_and_tier(alice, queue):
    billing = CategoryFactory(slug="billing")
    tech = QueueFactory(name="Technical")
    mail = QueueFactory(name="Mail")
    RoutingRule.objects.create(name="By address", order=1, inbound_address="billing@example.com", queue=queue)
    RoutingRule.objects.create(name="By category", order=2, category=billing, queue=tech)
    RoutingRule.objects.create(name="By channel", order=3, channel=Channel.EMAIL, queue=mail)
    assert open_ticket(alice, category=billing).queue == tech
    assert open_ticket(alice, channel=Channel.EMAIL).queue == mail
    assert open_ticket(alice, channel=Channel.EMAIL, inbound_address="Billing@example.com").queue == queue
    assert open_ticket(alice).queue == queue  # the default queue


def test_least_loaded_agent_who_speaks_the_language_gets_the_ticket(alice, queue, team):
    english = AgentFactory(team=team, languages=["en"])
    spanish = AgentFactory(team=team, languages=["es", "en"])
    busy_spanish = AgentFactory(team=team, languages=["es"])
    TicketFactory(assignee=busy_spanish, queue=queue)
    ticket = open_ticket(alice, subject="Factura", description="El pago con mi tarjeta no funciona desde ayer.")
    assert ticket.language == "es" and ticket.assignee == spanish
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED)
    assert explain(event.data) == "speaks Spanish, least loaded (0 of 10 open)"
    assert english.assigned_tickets.count() == 0


def test_skills_and_level_are_preferred(alice, queue, team):
    billing = CategoryFactory(slug="billing")
    AgentFactory(team=team)
    skilled = AgentFactory(team=team)
    skilled.skills.add(billing)
    assert open_ticket(alice, category=billing).assignee == skilled


def test_away_and_full_agents_are_passed_by_and_nobody_with_room_means_the_queue(alice, queue, team):
    away = AgentFactory(team=team)
    set_availability(away, available=False)
    full = AgentFactory(team=team, capacity=1)
    TicketFactory(assignee=full, queue=queue)
    free = AgentFactory(team=team)
    assert open_ticket(alice).assignee == free
    set_availability(free, available=False)
    waiting = open_ticket(alice)
    assert waiting.assignee is None and waiting.queue == queue


def test_agents_below_the_ticket_level_are_passed_by(alice, queue, team):
    AgentFactory(team=team, support_level=1)
    engineer = AgentFactory(team=team, support_level=3)
    ticket = TicketFactory(requester=alice, queue=queue, level=3)
    from helpdesk.triage.routing import assign_by_routing

    agent, _reason = assign_by_routing(ticket, now=timezone.now())
    assert agent == engineer


def test_round_robin_takes_turns(alice, queue, team):
    queue.assignment = AssignmentMode.ROUND_ROBIN
    queue.save()
    agents = [AgentFactory(team=team) for _ in range(3)]
    owners = [open_ticket(alice).assignee for _ in range(6)]
    assert owners[:3] == owners[3:] and set(owners) == set(agents)


def test_manual_queues_wait_for_an_agent(alice, team):
    QueueFactory(name="Manual", team=team, is_default=True)
    AgentFactory(team=team)
    assert open_ticket(alice).assignee is None


def test_tickets_of_an_agent_away_too_long_go_back_to_the_queue(alice, queue, team, time_machine, settings):
    settings.FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES = 30
    time_machine.move_to(timezone.now(), tick=False)
    agent = AgentFactory(team=team)
    tickets = [open_ticket(alice) for _ in range(3)]
    assert all(t.assignee == agent for t in tickets)
    set_availability(agent, available=False)
    time_machine.shift(timedelta(minutes=10))
    assert release_away_tickets() == 0
    time_machine.shift(timedelta(minutes=25))
    assert release_away_tickets() == 3
    assert release_away_tickets() == 0  # a second run finds nothing
    assert not Ticket.objects.filter(assignee=agent).exists()
    released = TicketEvent.objects.filter(kind=EventKind.ASSIGNED, data__from_id=agent.pk)
    assert released.count() == 3
    assert explain(released.first().data) == (
        "back to the queue: the assignee has been away for 30 minutes, no available agent in the queue's team"
    )


def test_availability_toggle_with_and_without_htmx(client, team):
    agent = AgentFactory(team=team)
    client.force_login(agent)
    response = client.post("/agent/availability/", {"available": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="false"' in response.content.decode()
    agent.refresh_from_db()
    assert not agent.is_available and agent.away_since is not None
    response = client.post("/agent/availability/", {"available": "1", "next": "/agent/"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.is_available and agent.away_since is None
    assert 'id="availability-toggle"' in client.get("/agent/").content.decode()


def test_customers_cannot_toggle_availability(client, alice):
    client.force_login(alice)
    assert client.post("/agent/availability/", {"available": "0"}).status_code in (302, 403, 404)


@pytest.mark.django_db(transaction=True)
def test_500_concurrent_tickets_never_push_an_agent_over_capacity():
    """Runs on PostgreSQL (CI); threads cannot share SQLite's in-memory test database."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share an in-memory SQLite database; this runs on PostgreSQL in CI")
    team = TeamFactory(name="Crowd")
    QueueFactory(name="Crowd", team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    agents = [AgentFactory(team=team, capacity=capacity) for capacity in (3, 5, 7, 10, 15, 20, 25, 30)]
    organization = OrganizationFactory()
    customers = [CustomerFactory(organization=organization) for _ in range(10)]
    total, workers = 500, 16
    barrier = threading.Barrier(workers)
    errors = []

    def work(index):
        barrier.wait()
        try:
            for n in range(index, total, workers):
                customer = customers[n % len(customers)]
                services.create_ticket(customer, requester=customer, subject=f"Load {n}", description="Help")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert Ticket.objects.count() == total
    capacity = sum(agent.capacity for agent in agents)
    for agent in agents:
        assert agent.assigned_tickets.filter(is_open=1).count() <= agent.capacity
    assert Ticket.objects.filter(assignee__isnull=False).count() == capacity  # everyone full, the rest wait
    assert Ticket.objects.filter(assignee__isnull=True).count() == total - capacity


def test_an_email_to_the_billing_address_lands_in_the_billing_queue(alice, queue, run_on_commit):
    from comms import inbound
    from comms.models import InboundSource
    from tests.comms.emails import build_email

    general = QueueFactory(name="General desk")
    RoutingRule.objects.create(name="Billing mailbox", inbound_address="billing@example.com", queue=general)
    raw = build_email(sender=f"Alice <{alice.email}>", to="Billing <Billing@Example.com>", subject="Invoice")
    with run_on_commit():
        email, _created = inbound.store_inbound_email(raw, source=InboundSource.IMAP)
    inbound.process_inbound_email(email.pk)
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.EMAIL and ticket.queue == general
