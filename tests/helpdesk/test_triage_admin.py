"""Triage rules in admin: refused when impossible, tested without creating anything; the manager's figures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk import services
from helpdesk.models import (
    AssignmentMode,
    ConditionField,
    EventKind,
    Operator,
    Priority,
    Ticket,
    TicketEvent,
    TriageCondition,
    TriageRule,
)
from helpdesk.triage.rules import check_regex

from .factories import AgentFactory, CategoryFactory, QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/helpdesk/triagerule/add/"


@pytest.fixture
def admin_client(client):
    client.force_login(AgentFactory(role="admin", is_staff=True, is_superuser=True))
    return client


def rule_data(conditions=(), **fields):
    data = {
        "name": "Probe",
        "order": "10",
        "is_active": "on",
        "match": "all",
        "send_template": "",
        "conditions-TOTAL_FORMS": str(len(conditions)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, (field, operator, value) in enumerate(conditions):
        data.update(
            {f"conditions-{i}-field": field, f"conditions-{i}-operator": operator, f"conditions-{i}-value": value}
        )
    return data


def test_a_valid_rule_is_saved(admin_client):
    response = admin_client.post(ADD, rule_data([("text", "contains", "refund")], set_priority=Priority.HIGH))
    assert response.status_code == 302
    assert TriageRule.objects.get().conditions.get().value == "refund"


@pytest.mark.parametrize(
    ("conditions", "fields", "message"),
    [
        ([("subject", "regex", "(unclosed")], {"set_priority": 2}, "not a valid regular expression"),
        ([("subject", "regex", "(a+)+$")], {"set_priority": 2}, "can take forever"),
        ([("subject", "regex", "x" * 300)], {"set_priority": 2}, "under 200 characters"),
        ([], {"set_priority": 2}, "needs at least one condition"),
        ([("subject", "contains", "x")], {}, "at least one action"),
        ([("subject", "contains", "x")], {"set_priority": 2, "raise_priority": "on"}, "not both"),
        ([("subject", "contains", "x")], {"send_template": "no-such-template"}, "no message template"),
        ([("time", "contains", "x")], {"set_priority": 2}, "cannot be used with"),
        ([("flag", "is_set", "unicorn")], {"set_priority": 2}, "Name one of the flags"),
        ([("subject", "contains", "")], {"set_priority": 2}, "needs a value"),
    ],
)
def test_impossible_rules_are_refused_with_a_clear_message(admin_client, conditions, fields, message):
    response = admin_client.post(ADD, rule_data(conditions, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TriageRule.objects.exists()


def test_contradictory_people_are_refused(admin_client):
    agent = AgentFactory()
    data = rule_data([("subject", "contains", "x")], set_assignee=agent.pk, set_team=TeamFactory().pk)
    assert "not both" in admin_client.post(ADD, data).content.decode()


@pytest.mark.parametrize(
    "person",
    [
        {"is_active": False},  # a former agent
        {"is_active": False, "username": "firstline-signals", "capacity": 0},  # the account the software acts as
    ],
)
def test_a_rule_cannot_assign_to_someone_who_cannot_take_tickets(admin_client, person):
    gone = AgentFactory(**person)
    response = admin_client.post(ADD, rule_data([("subject", "contains", "x")], set_assignee=gone.pk))
    assert "only be assigned to active staff" in response.content.decode()
    assert not TriageRule.objects.exists()


@pytest.mark.parametrize("pattern", [r"(a+)+", r"(\w*)*x", r"(?:ab|c+){2,}", r"((a|b)+)*"])
def test_nested_quantifiers_are_refused(pattern):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        check_regex(pattern)


@pytest.mark.parametrize("pattern", [r"invoice\s+\d+", r"(foo|bar)+", r"^\[urgent\]", r"a{2,3}b*"])
def test_ordinary_patterns_are_accepted(pattern):
    assert check_regex(pattern).pattern == pattern


def test_the_test_button_shows_what_would_happen_and_creates_nothing(admin_client, alice):
    billing = CategoryFactory(slug="billing", name="Billing")
    rule = TriageRule.objects.create(name="Payment failed", set_category=billing, set_priority=Priority.HIGH)
    TriageCondition.objects.create(
        rule=rule, field=ConditionField.TEXT, operator=Operator.ANY_WORD, value="payment failed"
    )
    assert "Test the rules" in admin_client.get("/admin/helpdesk/triagerule/").content.decode()
    response = admin_client.post(
        "/admin/helpdesk/triagerule/test/",
        {"subject": "Payment failed", "body": "Declined again", "sender": alice.email, "channel": "web"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Payment failed" in page and "rule “Payment failed” matched" in page and "Billing" in page
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_routing_rule_needs_a_criterion(admin_client):
    queue = QueueFactory()
    response = admin_client.post("/admin/helpdesk/routingrule/add/", {"name": "Empty", "order": 1, "queue": queue.pk})
    assert "Give at least one of" in response.content.decode()


def test_manager_triage_page_shows_figures_with_flat_query_count(client, alice, django_assert_max_num_queries):
    team = TeamFactory(name="T")
    QueueFactory(name="Q", team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    agents = [AgentFactory(team=team) for _ in range(3)]
    client.force_login(AgentFactory(manager=True))

    def count():
        with django_assert_max_num_queries(12) as captured:
            response = client.get("/manager/triage/", {"period": "30"})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    for n in range(3):
        services.create_ticket(alice, requester=alice, subject=f"t{n}", description="x")
    small, _page = count()
    for n in range(20):
        ticket = services.create_ticket(alice, requester=alice, subject=f"u{n}", description="x")
        services.update_ticket(agents[0], ticket, assignee=agents[n % 3 - 1])
    large, page = count()
    assert small == large
    assert "Reassignments" in page and "Time from opening to assignment" in page
    hx = client.get("/manager/triage/", {"period": "30"}, HTTP_HX_REQUEST="true")
    assert 'id="triage-body"' in hx.content.decode() and "<html" not in hx.content.decode()


def test_triage_figures_measure_assignment_time_and_reassignments(alice, time_machine):
    from helpdesk.triage.reports import triage_figures

    time_machine.move_to(timezone.now(), tick=False)
    start = timezone.now() - timedelta(hours=1)
    agent, other = AgentFactory(), AgentFactory()
    tickets = [services.create_ticket(alice, requester=alice, subject=f"t{n}", description="x") for n in range(3)]
    time_machine.shift(timedelta(minutes=10))
    services.claim_ticket(agent, tickets[0])
    time_machine.shift(timedelta(minutes=20))
    services.claim_ticket(agent, tickets[1])
    services.update_ticket(agent, tickets[1], assignee=other)
    figures = triage_figures(start, timezone.now() + timedelta(minutes=1))
    assert figures.assigned == 2 and figures.reassignments == 1
    assert figures.median_to_assign == timedelta(minutes=20)
    assert figures.p90_to_assign == timedelta(minutes=30)
    assert (figures.new_customers, figures.complex) == (1, 0)  # her first ticket; nothing complex
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 3


def test_the_dashboard_loads_its_triage_panel_apart_with_the_same_filters(client, alice, django_assert_max_num_queries):
    team = TeamFactory(name="T")
    QueueFactory(name="Q", team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    AgentFactory(team=team)
    client.force_login(AgentFactory(manager=True))
    dashboard = client.get("/manager/", {"period": "30"}).content.decode()
    assert 'hx-get="/manager/triage/panel/?period=30"' in dashboard and "Reassignments" not in dashboard

    def panel():
        with django_assert_max_num_queries(8) as captured:
            response = client.get("/manager/triage/panel/", {"period": "30"}, HTTP_HX_REQUEST="true")
        return len(captured), response.content.decode()

    small, _html = panel()
    for n in range(15):
        services.create_ticket(alice, requester=alice, subject=f"p{n}", description="x")
    large, html = panel()
    assert small == large
    assert "Reassignments" in html and "/manager/triage/?period=30" in html and "<html" not in html
    assert client.get("/manager/triage/panel/").status_code == 200
    client.force_login(alice)
    assert client.get("/manager/triage/panel/").status_code in (403, 404)
