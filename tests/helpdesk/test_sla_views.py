"""The SLA and escalation parts of the agent workspace and the portal."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from helpdesk import counts, services
from helpdesk.models import EscalationRequest, Handoff, Priority, Status, Ticket
from helpdesk.sla_defaults import install_defaults

from .factories import AgentFactory, CustomerFactory, OrganizationFactory

NY = ZoneInfo("America/New_York")
HX = {"HTTP_HX_REQUEST": "true"}
PACKAGE = {
    "to_level": 2,
    "summary": "Exports hang for every user of Acme",
    "impact": "Acme cannot invoice",
    "steps_tried": "Cleared cache, second browser",
    "next_step": "Look at the export worker",
}


@pytest.fixture
def policy(db):
    return install_defaults()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def open_ticket(customer, *, at, priority=Priority.MEDIUM, subject="Cannot export invoices"):
    with time_machine.travel(at, tick=False):
        return services.create_ticket(
            customer, requester=customer, subject=subject, description="It spins.", priority=priority
        )


def test_queue_row_shows_the_next_target_as_a_countdown(policy, agent_client, alice):
    open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    with time_machine.travel(datetime(2026, 11, 23, 13, 37, tzinfo=NY), tick=False):
        html = agent_client.get(reverse("helpdesk:ticket-list")).content.decode()
    assert 'class="sla sla-soon"' in html and "First reply due in 23 min" in html
    with time_machine.travel(datetime(2026, 11, 23, 16, 0, tzinfo=NY), tick=False):
        html = agent_client.get(reverse("helpdesk:ticket-list")).content.decode()
    assert 'class="sla sla-breached"' in html and "First reply breached 2 h ago" in html


def test_breaching_soon_lists_only_tickets_due_within_the_hour_nearest_first(policy, agent_client, alice):
    later = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY), subject="Due at two")
    sooner = open_ticket(alice, at=datetime(2026, 11, 23, 9, 30, tzinfo=NY), subject="Due at half past one")
    open_ticket(alice, at=datetime(2026, 11, 23, 13, 0, tzinfo=NY), subject="Due at five")
    with time_machine.travel(datetime(2026, 11, 23, 13, 10, tzinfo=NY), tick=False):
        html = agent_client.get(reverse("helpdesk:ticket-list"), {"view": "breaching"}).content.decode()
    assert html.index(sooner.subject) < html.index(later.subject)
    assert "Due at five" not in html


def test_breaching_soon_query_count_does_not_grow_with_rows(policy, agent_client, alice, django_assert_max_num_queries):
    url = reverse("helpdesk:ticket-list")
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    open_ticket(alice, at=at)
    with (
        time_machine.travel(datetime(2026, 11, 23, 13, 30, tzinfo=NY), tick=False),
        django_assert_max_num_queries(12) as few,
    ):
        agent_client.get(url, {"view": "breaching"}, **HX)
    for n in range(30):
        open_ticket(CustomerFactory(organization=OrganizationFactory()), at=at, subject=f"Ticket {n}")
    counts.invalidate()  # the services do this on commit, which a test transaction never reaches
    with (
        time_machine.travel(datetime(2026, 11, 23, 13, 30, tzinfo=NY), tick=False),
        django_assert_max_num_queries(12) as many,
    ):
        response = agent_client.get(url, {"view": "breaching"}, **HX)
    assert response.content.decode().count('class="sla sla-soon"') == 25  # one full page
    assert len(few.captured_queries) == len(many.captured_queries)


def test_escalation_with_an_empty_field_is_refused_with_a_message(policy, agent_client, alice):
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    response = agent_client.post(
        reverse("helpdesk:ticket-escalate", args=[ticket.ref]), {**PACKAGE, "impact": "  "}, **HX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-escalation"')
    assert "Customer impact is required for a handoff." in html
    ticket.refresh_from_db()
    assert ticket.level == 1 and not Handoff.objects.exists()


def test_escalation_hands_the_package_to_the_next_level(policy, client, agent, alice):
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    client.force_login(agent)
    response = client.post(reverse("helpdesk:ticket-escalate", args=[ticket.ref]), PACKAGE)
    assert response.status_code == 302
    l2 = AgentFactory(support_level=2)
    client.force_login(l2)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "Handoff from L1 · Frontline to L2 · Technical" in html
    assert "Look at the export worker" in html and "It spins." in html  # package and conversation
    queue = client.get(reverse("helpdesk:ticket-list")).content.decode()
    assert ">Handoff</span>" in queue
    client.post(reverse("helpdesk:ticket-acknowledge", args=[ticket.ref]))
    assert Ticket.objects.get(pk=ticket.pk).handoff_pending_since is None


def test_handoff_text_is_shown_as_text(policy, agent_client, alice):
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    agent_client.post(
        reverse("helpdesk:ticket-escalate", args=[ticket.ref]), {**PACKAGE, "summary": "<script>alert(1)</script>"}
    )
    html = agent_client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_explanation_names_calendar_holidays_and_pauses(policy, agent_client, alice, agent):
    policy.calendar.holidays.create(date=datetime(2026, 11, 26).date(), name="Thanksgiving")
    ticket = open_ticket(alice, at=datetime(2026, 11, 25, 16, 0, tzinfo=NY))
    with time_machine.travel(datetime(2026, 11, 25, 16, 30, tzinfo=NY), tick=False):
        services.update_ticket(agent, Ticket.objects.get(pk=ticket.pk), status=Status.WAITING)
    html = agent_client.get(reverse("helpdesk:ticket-sla", args=[ticket.ref])).content.decode()
    assert "Business hours (New York)" in html and "America/New_York" in html
    assert "Nov. 26, 2026" in html  # the holiday that was skipped
    assert "still paused" in html


def test_customer_asks_for_escalation_and_the_team_sees_it(policy, client, alice, agent):
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    client.force_login(alice)
    url = reverse("portal:ticket-escalate", args=[ticket.ref])
    client.post(url, {"reason": "   "})
    assert not EscalationRequest.objects.exists()
    client.post(url, {"reason": "Payroll runs tomorrow"})
    assert "You asked for this ticket to be escalated" in client.get(ticket.get_portal_url()).content.decode()
    client.force_login(agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "asked for escalation" in html and "Payroll runs tomorrow" in html
    response = client.post(
        reverse("helpdesk:ticket-answer-escalation", args=[ticket.ref]), {"answer": "On it", "escalate_to": "2"}
    )
    assert "Summary is required for a handoff." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).level == 1


def test_another_organization_cannot_ask_to_escalate(policy, client, alice, bob):
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    client.force_login(bob)
    response = client.post(reverse("portal:ticket-escalate", args=[ticket.ref]), {"reason": "mine now"})
    assert response.status_code == 404 and not EscalationRequest.objects.exists()


def test_admin_edits_a_policy_and_recomputes_open_tickets(policy, client, alice):
    admin = AgentFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    admin_client = client
    ticket = open_ticket(alice, at=datetime(2026, 11, 23, 10, 0, tzinfo=NY))
    page = admin_client.get(reverse("admin:helpdesk_slapolicy_change", args=[policy.pk]))
    assert "First response (minutes)".lower() in page.content.decode().lower()
    policy.targets.filter(priority=Priority.MEDIUM).update(first_response_minutes=60)
    with time_machine.travel(datetime(2026, 11, 23, 10, 5, tzinfo=NY), tick=False):
        admin_client.post(
            reverse("admin:helpdesk_slapolicy_changelist"),
            {"action": "recompute_open", "_selected_action": [policy.pk]},
        )
    ticket.refresh_from_db()
    assert ticket.sla_due_at == datetime(2026, 11, 23, 11, 0, tzinfo=NY)


def test_breaching_soon_shows_its_nearest_first_order_in_the_sort_menu(policy, agent_client):
    html = agent_client.get(reverse("helpdesk:ticket-list"), {"view": "breaching"}).content.decode()
    assert '<option value="due" selected>' in html
