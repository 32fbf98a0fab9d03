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


# --- a rule that names the assignee ------------------------------------------------------------


def naming_rule(agent, *, word="refund", queue=None):
    from helpdesk.models import ConditionField, Operator, TriageCondition, TriageRule

    rule = TriageRule.objects.create(name="Refunds to Rita", set_assignee=agent, set_queue=queue)
    TriageCondition.objects.create(rule=rule, field=ConditionField.TEXT, operator=Operator.CONTAINS, value=word)
    return rule


def assignment_reason(ticket):
    return explain(TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED).data)


def test_a_rule_gives_the_ticket_to_the_agent_it_names_when_they_have_room(alice, queue, team):
    AgentFactory(team=team)  # less loaded, but the rule names Rita
    rita = AgentFactory(team=TeamFactory(name="Refunds"), first_name="Rita", last_name="Ruiz")
    TicketFactory(assignee=rita, queue=queue)
    naming_rule(rita)
    ticket = open_ticket(alice, subject="Refund please")
    assert ticket.assignee == rita
    assert assignment_reason(ticket) == "rule “Refunds to Rita” matched"


def test_a_rule_naming_an_away_agent_hands_the_ticket_to_the_queue_and_says_why(alice, queue, team):
    rita = AgentFactory(team=team, first_name="Rita", last_name="Ruiz")
    set_availability(rita, available=False)
    other = AgentFactory(team=team)
    naming_rule(rita)
    ticket = open_ticket(alice, subject="Refund please")
    assert ticket.assignee == other
    assert assignment_reason(ticket) == (
        "rule “Refunds to Rita” names Rita Ruiz, who is away, speaks English, least loaded (0 of 10 open)"
    )


def test_a_rule_naming_a_full_agent_hands_the_ticket_to_the_queue_and_says_why(alice, queue, team):
    rita = AgentFactory(team=team, first_name="Rita", last_name="Ruiz", capacity=2)
    naming_rule(rita)
    first, second, third = (open_ticket(alice, subject=f"Refund {n}") for n in range(3))
    assert first.assignee == second.assignee == rita
    other = third.assignee
    assert other is None  # nobody else in the team
    triage = third.triage
    with translation.override("en"):
        why = [reasons.explain(entry) for entry in triage.reasons if entry["what"] == "assignee"]
    assert why == [
        "rule “Refunds to Rita” names Rita Ruiz, who is at capacity (2 of 2 open), no available agent "
        "in the queue's team"
    ]
    helper = AgentFactory(team=team)
    assert open_ticket(alice, subject="Refund 4").assignee == helper
    assert rita.assigned_tickets.filter(is_open=1).count() == 2


def test_a_rule_naming_a_busy_agent_in_a_manual_queue_leaves_the_ticket_in_the_queue(alice, team):
    manual = QueueFactory(name="Manual", team=team, is_default=True)
    rita = AgentFactory(team=team, first_name="Rita", last_name="Ruiz")
    AgentFactory(team=team)
    set_availability(rita, available=False)
    naming_rule(rita)
    ticket = open_ticket(alice, subject="Refund please")
    assert ticket.assignee is None and ticket.queue == manual
    with translation.override("en"):
        assert [reasons.explain(e) for e in ticket.triage.reasons if e["what"] == "assignee"] == [
            "rule “Refunds to Rita” names Rita Ruiz, who is away, the ticket waits in its queue"
        ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_tickets_never_push_a_rule_named_agent_over_capacity():
    """Runs on PostgreSQL (CI); threads cannot share SQLite's in-memory test database."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads cannot share an in-memory SQLite database; this runs on PostgreSQL in CI")
    team = TeamFactory(name="Crowd")
    QueueFactory(name="Crowd", team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    rita = AgentFactory(team=team, capacity=5)
    others = [AgentFactory(team=team, capacity=10) for _ in range(2)]
    naming_rule(rita)
    organization = OrganizationFactory()
    customers = [CustomerFactory(organization=organization) for _ in range(4)]
    total, workers = 60, 8
    barrier = threading.Barrier(workers)
    errors = []

    def work(index):
        barrier.wait()
        try:
            for n in range(index, total, workers):
                customer = customers[n % len(customers)]
                services.create_ticket(customer, requester=customer, subject=f"Refund {n}", description="Help")
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
    assert rita.assigned_tickets.filter(is_open=1).count() == 5
    for agent in others:
        assert agent.assigned_tickets.filter(is_open=1).count() <= agent.capacity
    assert not TicketEvent.objects.filter(kind=EventKind.TRIAGE_FAILED).exists()


# --- the away sweep re-routes ----------------------------------------------------------------


@pytest.fixture
def away_for_long(time_machine, settings):
    """Mark `agent` away and move the clock past the release time."""
    settings.FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES = 30
    time_machine.move_to(timezone.now(), tick=False)

    def away(agent):
        set_availability(agent, available=False)
        time_machine.shift(timedelta(minutes=31))

    return away


def test_tickets_of_an_away_agent_are_rerouted_to_an_available_agent_with_a_reason(alice, queue, team, away_for_long):
    leaving = AgentFactory(team=team, languages=["en"], first_name="Leo", last_name="Gone")
    tickets = [open_ticket(alice) for _ in range(2)]
    spanish_ticket = open_ticket(alice, subject="Factura", description="El pago con mi tarjeta no funciona desde ayer.")
    assert {t.assignee for t in [*tickets, spanish_ticket]} == {leaving}
    english = AgentFactory(team=team, languages=["en"])
    spanish = AgentFactory(team=team, languages=["es"])
    away_for_long(leaving)
    assert release_away_tickets() == 3
    assert release_away_tickets() == 0  # a second run finds nothing to do
    spanish_ticket.refresh_from_db()
    assert spanish_ticket.assignee == spanish
    assert {Ticket.objects.get(pk=t.pk).assignee for t in tickets} <= {english, spanish}
    event = TicketEvent.objects.get(ticket=spanish_ticket, kind=EventKind.ASSIGNED, data__from_id=leaving.pk)
    assert event.data["to_id"] == spanish.pk
    assert explain(event.data) == (
        "back to the queue: the assignee has been away for 30 minutes, speaks Spanish, least loaded (0 of 10 open)"
    )
    assert explain(event.data, "es") != explain(event.data)  # in the reader's language


def test_rerouting_respects_capacity_and_leaves_the_rest_in_the_queue(alice, queue, team, away_for_long):
    leaving = AgentFactory(team=team)
    tickets = [open_ticket(alice) for _ in range(4)]
    small = AgentFactory(team=team, capacity=1)
    TicketFactory(assignee=AgentFactory(team=team, capacity=1), queue=queue)  # full already
    away_for_long(leaving)
    assert release_away_tickets() == 4
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=small).count() == 1
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee__isnull=True).count() == 3
    waiting = TicketEvent.objects.filter(kind=EventKind.ASSIGNED, data__from_id=leaving.pk, data__to_id=None)
    assert waiting.count() == 3
    assert explain(waiting.first().data).endswith("every available agent is at capacity")


def test_rerouted_complex_tickets_need_a_higher_level(alice, queue, team, away_for_long):
    leaving = AgentFactory(team=team, support_level=2)
    ticket = open_ticket(alice, subject="API", description=COMPLEX_TEXT)
    assert ticket.triage.complexity == "complex" and ticket.assignee == leaving
    AgentFactory(team=team, support_level=1)
    senior = AgentFactory(team=team, support_level=2)
    away_for_long(leaving)
    assert release_away_tickets() == 1
    ticket.refresh_from_db()
    assert ticket.assignee == senior
    assert "needs L2 · Technical or above" in explain(
        TicketEvent.objects.get(ticket=ticket, data__from_id=leaving.pk).data
    )


def test_tickets_in_a_manual_queue_go_back_to_it_unassigned(alice, team, away_for_long):
    manual = QueueFactory(name="Manual", team=team)
    leaving = AgentFactory(team=team)
    ticket = TicketFactory(requester=alice, queue=manual, assignee=leaving)
    AgentFactory(team=team)
    away_for_long(leaving)
    assert release_away_tickets() == 1
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert explain(TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED).data) == (
        "back to the queue: the assignee has been away for 30 minutes, the ticket waits in its queue"
    )


def test_rerouting_costs_the_same_queries_for_few_or_many_tickets(
    alice, queue, team, away_for_long, django_assert_max_num_queries
):
    first, second = AgentFactory(team=team), AgentFactory(team=team)
    for agent in (first, second):
        TicketFactory.create_batch(2 if agent == first else 12, assignee=agent, queue=queue, requester=alice)
    AgentFactory(team=team, capacity=30)
    AgentFactory(team=team, capacity=30)
    set_availability(first, available=False)
    away_for_long(second)
    with django_assert_max_num_queries(12) as captured:
        assert release_away_tickets() == 14
    assert Ticket.objects.filter(assignee__isnull=True).count() == 0
    assert len(captured) <= 12


COMPLEX_TEXT = (
    "Our API integration stopped working after the SSO migration. The webhook endpoint returns HTTP 500 and "
    "the logs show a TimeoutError: upstream took too long. Is the certificate rotated? Should we change the "
    "proxy configuration? Which DNS records do you need? " + "More detail about our setup follows. " * 30
)
