"""Triage reasons are stored as codes and read in the reader's language; old English rows stay readable."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from helpdesk import services
from helpdesk.models import EventKind, Priority, Queue, TicketEvent, TicketTriage
from helpdesk.sla_defaults import install_defaults
from helpdesk.triage import reasons
from helpdesk.triage.defaults import install_default_triage

from .factories import AgentFactory, CategoryFactory, QueueFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def frontline(db):
    install_defaults()
    CategoryFactory(slug="billing", name="Billing")
    CategoryFactory(slug="security", name="Security")
    CategoryFactory(slug="connectivity", name="Connectivity")
    team = TeamFactory(name="Frontline")
    QueueFactory(name="General", team=team)
    QueueFactory(name="Billing", team=team)
    install_default_triage()
    return team


@pytest.fixture
def spanish_agent(frontline):
    # High priority goes to L2 on arrival (the default escalation rules), so she is L2.
    return AgentFactory(team=frontline, languages=["es", "en"], language="es", support_level=2)


def payment_ticket(customer):
    return services.create_ticket(
        customer,
        requester=customer,
        subject="El pago ha fallado",
        description="He intentado pagar la factura con mi tarjeta y el pago ha fallado dos veces.",
    )


def test_reasons_are_stored_as_codes_with_parameters(frontline, alice):
    ticket = payment_ticket(alice)
    stored = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRIAGED, data__what="priority").data
    assert stored == {
        "what": "priority",
        "value": Priority.HIGH,
        "why": [{"code": "rule", "params": {"name": "Payment failed"}}],
    }
    assert "reason" not in stored


def test_a_spanish_speaking_agent_reads_the_reasons_in_spanish(client, spanish_agent, alice):
    ticket = payment_ticket(alice)
    assert ticket.assignee == spanish_agent
    client.force_login(spanish_agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    with translation.override("es"):
        reason = gettext("rule “%(name)s” matched") % {"name": "Payment failed"}
        line = gettext("triage: %(what)s %(value)s — %(reason)s") % {
            "what": gettext("priority"),
            "value": Priority.HIGH.label,
            "reason": reason,
        }
        assignment = reasons.explain(TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED).data)
        speaks = gettext("speaks %(language)s") % {"language": gettext("Spanish")}
    with translation.override("en"):
        english = reasons.explain(TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED).data)
    assert line in html  # the timeline
    assert f"— {reason}" in html  # "Why this ticket is here"
    assert assignment.startswith(speaks) and assignment in html
    # The catalogue translates these sentences, so the Spanish page is not the English one.
    assert reason != "rule “Payment failed” matched" and "rule “Payment failed” matched" not in html
    assert english != assignment and english not in html


def test_the_same_row_reads_in_english_for_an_english_speaking_agent(client, frontline, alice):
    english = AgentFactory(team=frontline, language="en", support_level=2)
    ticket = payment_ticket(alice)
    client.force_login(english)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "triage: priority High — rule “Payment failed” matched" in html


def test_reasons_written_as_english_text_before_the_codes_are_still_shown(client, agent, alice):
    ticket = TicketFactory(requester=alice)
    TicketTriage.objects.create(
        ticket=ticket,
        reasons=[{"what": "priority", "value": "High", "reason": "rule “Old rule” matched"}],
    )
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.TRIAGED, data={"what": "priority", "value": "High", "reason": "old words"}
    )
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.ASSIGNED,
        data={"from": None, "from_id": None, "to": "Ann", "to_id": agent.pk, "reason": "least loaded (0 of 10 open)"},
    )
    client.force_login(agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "triage: priority High — old words" in html
    assert 'High <span class="muted">— rule “Old rule” matched</span>' in html
    assert "to Ann — least loaded (0 of 10 open)" in html


def test_a_customer_never_sees_triage_or_routing_reasons(client, spanish_agent, alice):
    ticket = payment_ticket(alice)
    client.force_login(alice)
    html = client.get(ticket.get_portal_url()).content.decode()
    assert ticket.assignee == spanish_agent
    for language in ("en", "es"):
        with translation.override(language):
            hidden = [
                reasons.explain(data)
                for data in TicketEvent.objects.filter(ticket=ticket, is_public=False).values_list("data", flat=True)
                if data.get("why")
            ]
        assert hidden and not any(text in html for text in hidden)
    assert "Payment failed" not in html  # the rule's name is internal too


def test_rule_and_category_names_are_data_and_shown_escaped(client, agent, alice):
    from helpdesk.models import ConditionField, Operator, TriageCondition, TriageRule

    rule = TriageRule.objects.create(name="<b>Loud</b> rule", set_priority=Priority.LOW)
    TriageCondition.objects.create(rule=rule, field=ConditionField.TEXT, operator=Operator.CONTAINS, value="printer")
    ticket = services.create_ticket(alice, requester=alice, subject="Printer", description="jammed")
    client.force_login(agent)
    html = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
    assert "<b>Loud</b>" not in html and "&lt;b&gt;Loud&lt;/b&gt; rule" in html


def test_the_admin_shows_a_ticket_s_reasons_in_the_admin_s_language(client, frontline, alice):
    from .factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="admin", language="es")
    ticket = payment_ticket(alice)
    client.force_login(admin)
    html = client.get(reverse("admin:helpdesk_tickettriage_change", args=[ticket.triage.pk])).content.decode()
    with translation.override("es"):
        expected = gettext("rule “%(name)s” matched") % {"name": "Payment failed"}
    assert expected in html and '"why"' not in html


def test_the_rule_tester_explains_in_the_admin_s_language(client, frontline):
    from .factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="admin", language="en")
    client.force_login(admin)
    response = client.post(
        reverse("admin:helpdesk_triagerule_test"),
        {"subject": "Payment failed", "body": "Card declined", "channel": "web"},
    )
    html = response.content.decode()
    assert "rule “Payment failed” matched" in html and "Billing" in html
    assert Queue.objects.filter(name="Billing").exists()
