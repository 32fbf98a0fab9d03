"""Complexity and customer type: read on arrival, stored, shown to agents, usable in rules, used in routing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from helpdesk import services
from helpdesk.models import (
    AssignmentMode,
    Complexity,
    ConditionField,
    CustomerType,
    EventKind,
    Operator,
    Priority,
    ServiceTier,
    TicketEvent,
    TriageCondition,
    TriageRule,
)
from helpdesk.triage import reasons
from helpdesk.triage.rules import check_condition

from .factories import AgentFactory, CustomerFactory, OrganizationFactory, QueueFactory, TeamFactory
from .test_routing import COMPLEX_TEXT

pytestmark = pytest.mark.django_db


def open_ticket(customer, subject="A question", description="Where is the menu?", **kwargs):
    return services.create_ticket(customer, requester=customer, subject=subject, description=description, **kwargs)


def explained(ticket, what):
    with translation.override("en"):
        return [reasons.explain(entry) for entry in ticket.triage.reasons if entry["what"] == what]


def test_a_short_plain_question_is_simple(alice):
    ticket = open_ticket(alice)
    assert ticket.triage.complexity == Complexity.SIMPLE
    assert explained(ticket, "complexity") == ["short, with no sign of complexity"]
    # Simple is the usual case: it stays off the timeline.
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRIAGED, data__what="complexity").exists()


def test_length_questions_technical_terms_and_error_output_make_a_ticket_complex(alice):
    ticket = open_ticket(alice, subject="API down", description=COMPLEX_TEXT)
    assert ticket.triage.complexity == Complexity.COMPLEX
    (why,) = explained(ticket, "complexity")
    assert why.startswith("long message (")
    assert "3 questions" in why and "technical terms: api, webhook" in why and "error output or code" in why
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRIAGED, data__what="complexity").exists()


def test_attachments_count_towards_complexity(alice, settings):
    settings.FIRSTLINE_TRIAGE_MODERATE_SCORE = 2
    files = [SimpleUploadedFile(f"shot{n}.png", b"\x89PNG data", content_type="image/png") for n in range(3)]
    ticket = open_ticket(alice, subject="Screens", description="See the screenshots.", attachments=files)
    assert ticket.triage.complexity == Complexity.MODERATE
    assert explained(ticket, "complexity") == ["3 attachments"]


def test_thresholds_are_settings(alice, settings):
    settings.FIRSTLINE_TRIAGE_LONG_WORDS = 5
    settings.FIRSTLINE_TRIAGE_MODERATE_SCORE = 1
    ticket = open_ticket(alice, description="Where is the menu for the export of the reports?")
    assert ticket.triage.complexity == Complexity.MODERATE


def test_a_rule_sets_complexity_over_the_text(alice):
    rule = TriageRule.objects.create(name="Migrations are complex", set_complexity=Complexity.COMPLEX)
    TriageCondition.objects.create(rule=rule, field=ConditionField.TEXT, operator=Operator.ANY_WORD, value="migrate")
    ticket = open_ticket(alice, subject="Migrate", description="Can we migrate?")
    assert ticket.triage.complexity == Complexity.COMPLEX
    assert explained(ticket, "complexity")[-1] == "rule “Migrations are complex” matched"


def test_rules_can_read_complexity_and_customer_type(alice):
    rule = TriageRule.objects.create(name="Hard ones first", set_priority=Priority.HIGH)
    TriageCondition.objects.create(
        rule=rule, field=ConditionField.COMPLEXITY, operator=Operator.EQUALS, value="complex"
    )
    TriageCondition.objects.create(
        rule=rule, field=ConditionField.CUSTOMER_TYPE, operator=Operator.IN_LIST, value="new, vip"
    )
    assert open_ticket(alice, subject="API", description=COMPLEX_TEXT).priority == Priority.HIGH  # her first
    assert open_ticket(alice, subject="API", description=COMPLEX_TEXT).priority == Priority.MEDIUM  # returning
    assert open_ticket(CustomerFactory(organization=alice.organization)).priority == Priority.MEDIUM  # simple


@pytest.mark.parametrize(
    ("field", "operator", "value"),
    [
        (ConditionField.COMPLEXITY, Operator.EQUALS, "hard"),
        (ConditionField.CUSTOMER_TYPE, Operator.IN_LIST, "new, enterprise"),
        (ConditionField.COMPLEXITY, Operator.CONTAINS, "complex"),
    ],
)
def test_conditions_on_codes_refuse_unknown_values_and_operators(field, operator, value):
    with pytest.raises(ValidationError):
        check_condition(field, operator, value)


def test_customer_type_new_returning_and_vip(alice):
    first = open_ticket(alice)
    second = open_ticket(alice)
    assert (first.triage.customer_type, second.triage.customer_type) == (CustomerType.NEW, CustomerType.RETURNING)
    assert explained(first, "customer_type") == ["first ticket from this customer"]
    enterprise = ServiceTier.objects.create(name="Enterprise", rank=1, first_response_minutes=60)
    vip = CustomerFactory(organization=OrganizationFactory(tier=enterprise))
    ticket = open_ticket(vip)
    assert ticket.triage.customer_type == CustomerType.VIP
    assert explained(ticket, "customer_type") == ["tier Enterprise"]
    flagged = CustomerFactory(organization=OrganizationFactory(is_vip=True))
    assert open_ticket(flagged).triage.customer_type == CustomerType.VIP


def test_complex_tickets_are_assigned_at_a_higher_support_level(alice):
    team = TeamFactory()
    QueueFactory(team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    frontline = AgentFactory(team=team, support_level=1)
    technical = AgentFactory(team=team, support_level=2)
    simple = open_ticket(alice)
    hard = open_ticket(alice, subject="API", description=COMPLEX_TEXT)
    assert (simple.assignee, hard.assignee, hard.level) == (frontline, technical, 1)
    with translation.override("en"):
        why = reasons.explain(TicketEvent.objects.get(ticket=hard, kind=EventKind.ASSIGNED).data)
    assert why.startswith("needs L2 · Technical or above")


def test_complexity_level_can_be_switched_off(alice, settings):
    settings.FIRSTLINE_TRIAGE_COMPLEX_LEVEL = 0
    team = TeamFactory()
    QueueFactory(team=team, assignment=AssignmentMode.LEAST_LOADED, is_default=True)
    frontline = AgentFactory(team=team, support_level=1)
    assert open_ticket(alice, subject="API", description=COMPLEX_TEXT).assignee == frontline


def test_agents_see_complexity_and_customer_type_beside_the_other_triage_facts(client, agent, alice):
    ticket = open_ticket(alice, subject="API", description=COMPLEX_TEXT)
    client.force_login(agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    sidebar = html[html.index('class="triage-panel"') :]
    assert 'Complexity</dt><dd><span class="badge complexity-complex">Complex</span>' in sidebar
    assert "Customer type</dt><dd>New customer</dd>" in sidebar


def test_a_failing_complexity_reading_does_not_lose_the_ticket(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("word list unreadable")

    monkeypatch.setattr("helpdesk.triage.complexity_signals", broken)
    ticket = open_ticket(alice, subject="API", description=COMPLEX_TEXT)
    assert ticket.pk and ticket.triage.failed and ticket.triage.complexity == ""
    failure = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRIAGE_FAILED)
    assert failure.data["step"] == "complexity" and not failure.is_public
