"""Triage on ticket creation: decisions and their reasons, rules, flags, language, failure handling."""

import pytest
from django.utils import translation

from helpdesk import services
from helpdesk.models import (
    AssignmentMode,
    ConditionField,
    EventKind,
    Flag,
    Operator,
    Priority,
    Queue,
    ServiceTier,
    SlaClock,
    TicketEvent,
    TicketTriage,
    TriageCondition,
    TriageRule,
)
from helpdesk.sla_defaults import install_defaults
from helpdesk.triage import classifier, reasons
from helpdesk.triage.defaults import install_default_triage

from .factories import AgentFactory, CategoryFactory, CustomerFactory, OrganizationFactory, QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(db):
    return CategoryFactory(name="Billing", slug="billing")


@pytest.fixture
def demo_rules(billing):
    """The demo's rules, routes and queues, with a billing team whose queue assigns automatically."""
    install_defaults()
    for slug, name in [("security", "Security"), ("connectivity", "Connectivity"), ("bug-report", "Bug report")]:
        CategoryFactory(slug=slug, name=name)
    frontline = TeamFactory(name="Frontline")
    QueueFactory(name="General", team=frontline)
    QueueFactory(name="Billing", team=frontline)
    QueueFactory(name="Technical", team=TeamFactory(name="Technical"))
    install_default_triage()
    return Queue.objects.get(name="Billing")


def triage_events(ticket, language="en"):
    """The ticket's triage decisions as a reader of `language` sees them: what, value and reason."""
    rows = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRIAGED).values_list("data", flat=True)
    with translation.override(language):
        return [
            {"what": data["what"], "value": reasons.describe_value(data), "reason": reasons.explain(data)}
            for data in rows
        ]


def test_payment_failed_goes_to_billing_at_high_priority_with_reasons(demo_rules, alice):
    ticket = services.create_ticket(
        alice, requester=alice, subject="Payment failed", description="My card was declined at checkout."
    )
    assert (ticket.category.slug, ticket.priority, ticket.queue) == ("billing", Priority.HIGH, demo_rules)
    reasons = {(d["what"], d["value"]): d["reason"] for d in triage_events(ticket)}
    assert reasons[("priority", "High")] == "rule “Payment failed” matched"
    assert reasons[("category", "Billing")] == "rule “Payment failed” matched"


def test_triage_priority_feeds_the_sla_clock(demo_rules, alice):
    quiet = services.create_ticket(alice, requester=alice, subject="A question", description="Where is the menu?")
    urgent = services.create_ticket(alice, requester=alice, subject="Payment failed", description="Declined.")
    due = {t.pk: SlaClock.objects.get(ticket=t, target="first_response").due_at for t in (quiet, urgent)}
    assert urgent.priority == Priority.HIGH and quiet.priority == Priority.MEDIUM
    assert due[urgent.pk] < due[quiet.pk]  # the clock started on the priority triage set


def test_values_an_agent_gives_win_over_triage(demo_rules, alice):
    general = Queue.objects.get(name="General")
    ticket = services.create_ticket(
        AgentFactory(),
        requester=alice,
        subject="Payment failed",
        description="Declined.",
        priority=Priority.LOW,
        queue=general,
        language="fr",
    )
    assert (ticket.priority, ticket.queue, ticket.language) == (Priority.LOW, general, "fr")
    assert ticket.category.slug == "billing"  # nobody chose one: the rule did


def test_what_a_customer_picks_stands_unless_a_rule_overrules_it(demo_rules, alice):
    kept = services.create_ticket(alice, requester=alice, subject="A question", description="x", priority=Priority.LOW)
    overruled = services.create_ticket(
        alice, requester=alice, subject="Payment failed", description="Declined.", priority=Priority.LOW
    )
    assert (kept.priority, overruled.priority) == (Priority.LOW, Priority.HIGH)


def test_language_is_read_from_the_text_and_falls_back_to_the_profile(alice):
    spanish = services.create_ticket(
        alice, requester=alice, subject="No puedo pagar", description="El pago con mi tarjeta no funciona desde ayer."
    )
    unclear = services.create_ticket(alice, requester=alice, subject="Help", description="???")
    assert spanish.language == "es" and unclear.language == alice.language
    assert TicketTriage.objects.get(ticket=spanish).language_source == "text"
    assert TicketTriage.objects.get(ticket=unclear).language_source == "profile"
    assert not TicketEvent.objects.filter(ticket=unclear, kind=EventKind.TRIAGED).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ich kann mich nicht anmelden, bitte helfen Sie mir", "de"),
        ("Je ne peux pas payer ma facture depuis lundi", "fr"),
        ("Não consigo pagar a minha fatura, está sempre a falhar", "pt"),
        ("ログインできません。助けてください", "ja"),
        ("我无法登录我的账户", "zh-hans"),
        ("I cannot sign in to my account since this morning", "en"),
    ],
)
def test_language_detection_covers_our_languages(alice, text, expected):
    assert services.create_ticket(alice, requester=alice, subject="?", description=text).language == expected


def test_flags_vip_security_frustration_and_repeat_contact(alice):
    enterprise = ServiceTier.objects.create(name="Enterprise", rank=1, first_response_minutes=60)
    vip = CustomerFactory(organization=OrganizationFactory(tier=enterprise))
    for n in range(2):
        services.create_ticket(vip, requester=vip, subject=f"Question {n}", description="x")
    ticket = services.create_ticket(
        vip,
        requester=vip,
        subject="Account HACKED again",
        description="This is the third time!!! Someone had unauthorized access. Unacceptable.",
    )
    triage = TicketTriage.objects.get(ticket=ticket)
    assert (triage.is_vip, triage.is_security, triage.is_frustrated, triage.is_repeat) == (True, True, True, True)
    assert set(ticket.tags.values_list("name", flat=True)) == {"vip", "security", "frustrated", "repeat-contact"}
    plain = TicketTriage.objects.get(
        ticket=services.create_ticket(alice, requester=alice, subject="Hi", description="x")
    )
    assert not (plain.is_vip or plain.is_security or plain.is_frustrated or plain.is_repeat)


def test_vip_customers_jump_the_line_by_rule(demo_rules):
    enterprise = ServiceTier.objects.get(name="Enterprise")
    vip = CustomerFactory(organization=OrganizationFactory(tier=enterprise))
    ticket = services.create_ticket(vip, requester=vip, subject="A question", description="How do I export?")
    assert ticket.priority == Priority.HIGH  # medium, one step up
    assert any(d["reason"] == "raised one step by rule “VIP customers go first”" for d in triage_events(ticket))


def test_security_words_go_to_the_security_queue_at_critical(demo_rules, alice):
    ticket = services.create_ticket(
        alice, requester=alice, subject="Suspicious login", description="Our account may be compromised."
    )
    ticket.refresh_from_db()
    assert (ticket.queue.name, ticket.priority, ticket.category.slug) == ("Security", Priority.CRITICAL, "security")


def test_a_failing_step_is_logged_and_the_ticket_falls_back_to_the_default_queue(demo_rules, alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(classifier, "predict", broken)
    monkeypatch.setattr("helpdesk.triage.routing.route_queue", broken)
    ticket = services.create_ticket(alice, requester=alice, subject="Hello", description="Just a question.")
    assert ticket.pk and ticket.queue.is_default
    failures = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRIAGE_FAILED)
    assert {e.data["step"] for e in failures} == {"classifier", "routing"}
    assert not failures.filter(is_public=True).exists()
    assert TicketTriage.objects.get(ticket=ticket).failed


def test_a_rule_that_raises_does_not_lose_the_ticket(alice, monkeypatch):
    monkeypatch.setattr("helpdesk.triage.rule_matches", lambda rule, facts: 1 / 0)
    rule = TriageRule.objects.create(name="Anything", set_priority=Priority.HIGH)
    TriageCondition.objects.create(rule=rule, field=ConditionField.SUBJECT, operator=Operator.CONTAINS, value="x")
    ticket = services.create_ticket(alice, requester=alice, subject="x", description="y")
    assert ticket.priority == Priority.MEDIUM
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRIAGE_FAILED).data["step"] == "rules"


def test_rules_run_in_order_and_stop_processing_ends_them(alice):
    first = TriageRule.objects.create(name="First", order=1, set_priority=Priority.LOW, stop_processing=True)
    second = TriageRule.objects.create(name="Second", order=2, set_priority=Priority.CRITICAL)
    for rule in (first, second):
        TriageCondition.objects.create(
            rule=rule, field=ConditionField.TEXT, operator=Operator.CONTAINS, value="printer"
        )
    ticket = services.create_ticket(alice, requester=alice, subject="Printer", description="jammed")
    assert ticket.priority == Priority.LOW
    TriageRule.objects.filter(pk=first.pk).update(stop_processing=False)
    ticket = services.create_ticket(alice, requester=alice, subject="Printer", description="jammed")
    assert ticket.priority == Priority.LOW  # the first rule that sets a field wins


@pytest.mark.parametrize(
    ("field", "operator", "value", "subject", "matches"),
    [
        (ConditionField.SUBJECT, Operator.REGEX, r"invoice\s+\d+", "Invoice 42 wrong", True),
        (ConditionField.SUBJECT, Operator.NOT_CONTAINS, "invoice", "Invoice 42 wrong", False),
        (ConditionField.SENDER, Operator.EQUALS, "alice@example.com", "x", True),
        (ConditionField.CHANNEL, Operator.IN_LIST, "email, api", "x", False),
        (ConditionField.ORGANIZATION, Operator.EQUALS, "acme", "x", True),
        (ConditionField.TEXT, Operator.ANY_WORD, "down, outage", "Download broken", False),
        (ConditionField.TEXT, Operator.ANY_WORD, "down, outage", "Site is down", True),
        (ConditionField.FLAG, Operator.IS_SET, Flag.SECURITY, "We were hacked", True),
    ],
)
def test_condition_operators(alice, field, operator, value, subject, matches):
    rule = TriageRule.objects.create(name="Probe", set_priority=Priority.CRITICAL)
    TriageCondition.objects.create(rule=rule, field=field, operator=operator, value=value)
    ticket = services.create_ticket(alice, requester=alice, subject=subject, description="")
    assert (ticket.priority == Priority.CRITICAL) is matches


def test_business_hours_condition_reads_the_tier_calendar(alice, time_machine):
    install_defaults()  # a New York business calendar, 9:00 to 18:00 on weekdays
    rule = TriageRule.objects.create(name="Night shift", set_priority=Priority.HIGH)
    TriageCondition.objects.create(rule=rule, field=ConditionField.TIME, operator=Operator.OUT_OF_HOURS)
    time_machine.move_to("2026-11-24 15:00:00+00:00", tick=False)  # Tuesday 10:00 in New York
    assert services.create_ticket(alice, requester=alice, subject="a", description="").priority == Priority.MEDIUM
    time_machine.move_to("2026-11-24 04:00:00+00:00", tick=False)  # 23:00 the night before
    assert services.create_ticket(alice, requester=alice, subject="b", description="").priority == Priority.HIGH


def test_escalate_and_template_actions(alice, run_on_commit):
    install_defaults()
    rule = TriageRule.objects.create(name="Legal", escalate_to=3, send_template="ticket-received")
    TriageCondition.objects.create(rule=rule, field=ConditionField.TEXT, operator=Operator.CONTAINS, value="lawyer")
    from comms.models import OutboundMessage

    with run_on_commit():
        ticket = services.create_ticket(alice, requester=alice, subject="Our lawyer", description="writes")
    ticket.refresh_from_db()
    assert ticket.level == 3 and ticket.handoffs.count() == 1
    assert OutboundMessage.objects.filter(idempotency_key__contains=f"triage-rule:{rule.pk}").exists()


def test_rule_tags_and_team_assignment(alice):
    team = TeamFactory(name="Tax")
    expert = AgentFactory(team=team)
    AgentFactory(team=TeamFactory(name="Other"))
    rule = TriageRule.objects.create(name="Tax", set_team=team, set_queue=QueueFactory(name="Tax", team=team))
    TriageCondition.objects.create(rule=rule, field=ConditionField.TEXT, operator=Operator.CONTAINS, value="vat")
    from helpdesk.models import Tag

    rule.add_tags.add(Tag.objects.create(name="tax"))
    ticket = services.create_ticket(alice, requester=alice, subject="VAT number", description="")
    assert ticket.assignee == expert and list(ticket.tags.values_list("name", flat=True)) == ["tax"]
    assert Queue.objects.get(name="Tax").assignment == AssignmentMode.MANUAL  # the rule's team, not the queue's mode
