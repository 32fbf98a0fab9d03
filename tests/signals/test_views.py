"""What agents and managers see: the Proactive queue, the ticket panel and draft, systemic alerts, figures."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.models import Ticket
from helpdesk.services import create_ticket
from incidents.journey.engine import record_signal, send_due_outreach, write_case_notes
from incidents.journey.ladder import raise_systemic_alerts
from incidents.journey.models import ProactiveCase, SystemicAlert
from incidents.models import Incident, IncidentTicketLink
from tests.helpdesk.factories import CustomerFactory, OrganizationFactory, TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def many_cases(types, n, tier):
    org = OrganizationFactory(tier=tier)
    for i in range(n):
        record_signal(None, signal_type=types["high"], customer=CustomerFactory(organization=org), key=f"k{i}")


def test_the_proactive_queue_lists_proactive_tickets_only_with_a_pinned_query_count(
    agent_client, types, tier, django_assert_max_num_queries
):
    TicketFactory()
    many_cases(types, 3, tier)
    with django_assert_max_num_queries(12) as small:
        response = agent_client.get("/agent/?view=proactive")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("[Proactive]") == 3
    many_cases(types, 20, tier)
    with django_assert_max_num_queries(len(small.captured_queries)):
        agent_client.get("/agent/?view=proactive", headers={"HX-Request": "true"})


def test_the_ticket_page_loads_the_panel_with_signal_history_and_touches(agent_client, types, alice):
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    write_case_notes()
    ref = event.case.ticket.ref
    page = agent_client.get(f"/agent/tickets/{ref}/").content.decode()
    assert f"/agent/signals/tickets/{ref}/panel/" in page
    panel = agent_client.get(f"/agent/signals/tickets/{ref}/panel/", headers={"HX-Request": "true"})
    body = panel.content.decode()
    assert "SIG-001" in body and "1 touch" in body and "Put the drafted message in the composer" in body


def test_the_panel_and_draft_are_for_agents_only(client, types, alice):
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    client.force_login(alice)
    ref = event.case.ticket.ref
    assert client.get(f"/agent/signals/tickets/{ref}/panel/").status_code == 404
    assert client.get(f"/agent/signals/tickets/{ref}/draft/").status_code == 404


def test_the_drafted_message_fills_the_composer(agent_client, types, alice):
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    ref = event.case.ticket.ref
    fragment = agent_client.get(
        f"/agent/signals/tickets/{ref}/draft/", headers={"HX-Request": "true", "HX-Target": "ticket-composer"}
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert 'id="ticket-composer"' in html and "We spotted this before you had to tell us" in html
    assert "<html" not in html
    full = agent_client.get(f"/agent/signals/tickets/{ref}/draft/")
    assert "We spotted this before you had to tell us" in full.content.decode()


def test_a_systemic_alert_opens_an_incident_with_the_tickets_linked(agent_client, types, tier, agent):
    with time_machine.travel(NOW, tick=False):
        many_cases(types, 4, tier)
        raise_systemic_alerts()
    alert = SystemicAlert.objects.get()
    page = agent_client.get(f"/agent/signals/systemic/{alert.pk}/")
    assert "Open an incident with their tickets linked" in page.content.decode()
    response = agent_client.post(f"/agent/signals/systemic/{alert.pk}/incident/")
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert IncidentTicketLink.objects.filter(incident=incident, state="linked").count() == 4
    agent_client.post(f"/agent/signals/systemic/{alert.pk}/incident/")
    assert Incident.objects.count() == 1
    assert agent_client.get("/agent/signals/systemic/").status_code == 200


def test_managers_see_signals_per_day_time_to_outreach_and_who_wrote_first(
    client, manager, types, tier, alice, bob, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False):
        record_signal(None, signal_type=types["high"], customer=alice, key="a")
        record_signal(None, signal_type=types["high"], customer=bob, key="b")
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        create_ticket(bob, requester=bob, subject="Is my eSIM broken?", description="?")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        send_due_outreach()
    client.force_login(manager)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        with django_assert_max_num_queries(10) as small:
            response = client.get("/manager/signals/")
        many_cases(types, 15, tier)
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get("/manager/signals/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="wrote-before-us">1<' in page
    assert "11.0 min" in page
    assert ProactiveCase.objects.filter(first_outreach_at__isnull=False).count() == 2
    assert Ticket.objects.count() >= 3


def test_the_manager_page_is_not_for_agents(agent_client):
    assert agent_client.get("/manager/signals/").status_code == 404
