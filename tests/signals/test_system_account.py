"""The engine's system account: writes on tickets as "Firstline (automatic)", and is in no list of agents."""

import pytest

from helpdesk.models import User
from helpdesk.triage.routing import assign_by_routing
from incidents.forms import DeclareForm
from incidents.journey.engine import SYSTEM_USERNAME, record_signal, system_user, write_case_notes

pytestmark = pytest.mark.django_db


def test_the_system_account_cannot_sign_in_and_still_writes_on_tickets(types, alice, client):
    robot = system_user()
    assert robot.is_system and robot.is_agent and not robot.is_active and not robot.has_usable_password()
    assert robot.capacity == 0 and not robot.is_available
    assert system_user().pk == robot.pk
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    assert write_case_notes() == 1
    assert event.case.ticket.messages.filter(author=robot, is_internal=True).exists()
    client.force_login(robot)
    assert client.get("/agent/").status_code != 200  # an inactive account is signed out at once


def test_the_timeline_reads_firstline_automatic_in_the_readers_language(agent, types, alice, client):
    event, _ = record_signal(None, signal_type=types["high"], customer=alice, key="a")
    write_case_notes()
    assert system_user().display_name == "Firstline (automatic)"
    client.force_login(agent)
    page = client.get(f"/agent/tickets/{event.case.ticket.ref}/").content.decode()
    assert "Firstline (automatic)" in page and SYSTEM_USERNAME not in page


def test_the_system_account_is_in_no_list_of_agents(agent, client):
    robot = system_user()
    assert robot not in User.objects.agents()
    client.force_login(agent)
    options = client.get("/agent/agents/", {"q": "firstline"}).content.decode()
    assert "Firstline" not in options
    options = client.get("/agent/agents/", {"q": ""}).content.decode()
    assert agent.username in options and "automatic" not in options
    form = DeclareForm()
    assert robot not in form.fields["commander"].queryset


def test_routing_never_hands_a_ticket_to_the_system_account(types, alice):
    from helpdesk.models import AssignmentMode
    from tests.helpdesk.factories import TicketFactory

    ticket = TicketFactory(requester=alice, queue=types["high"].queue)
    queue = ticket.queue
    queue.assignment = AssignmentMode.LEAST_LOADED
    queue.save()
    robot = system_user()
    robot.team, robot.support_level = queue.team, 1  # even in the queue's team, at its level
    robot.save()
    assign_by_routing(ticket, now=ticket.created_at)
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
