"""Every email Firstline sends comes from a message template: edit the template, and the email changes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from comms.defaults import install_default_templates
from comms.models import MessageTemplate, OutboundMessage
from helpdesk import escalation, reminders, services, sweep
from helpdesk.models import Priority, TicketReminder
from helpdesk.sla_defaults import install_defaults

from .factories import AgentFactory, QueueFactory, TeamFactory

NY = ZoneInfo("America/New_York")


@pytest.fixture
def templates(db):
    install_default_templates()


def edit(slug, subject, body="Edited body {{ site_url }}"):
    MessageTemplate.objects.filter(slug=slug).update(subject_en=subject, body_en=body)


def sent_to(user):
    return OutboundMessage.objects.filter(recipient=user.email)


def test_the_agent_reply_notice_comes_from_its_template_in_the_customers_language(
    templates, agent, alice, run_on_commit
):
    edit("agent-replied", "EDITED {{ ticket_ref }} by {{ author_name }}", "{{ message_excerpt }}")
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    with run_on_commit():
        services.reply_to_ticket(agent, ticket, body="Try   the\n\nnew button.")
    mail = sent_to(alice).exclude(idempotency_key__contains=":created:").get()
    assert mail.subject == f"EDITED {ticket.ref} by {agent.display_name}"
    assert mail.body == "Try the new button."
    alice.language = "es"
    alice.save(update_fields=["language"])
    with run_on_commit():
        message = services.reply_to_ticket(agent, ticket, body="Pruebe el botón nuevo.")
    spanish = OutboundMessage.objects.get(idempotency_key__contains=f":message:{message.pk}:", channel="email")
    assert spanish.subject == f"[{ticket.ref}] Nueva respuesta: Export" and "Pruebe el botón nuevo." in spanish.body


def test_the_customer_reply_notice_comes_from_its_template(templates, agent, alice, run_on_commit):
    edit("customer-replied", "EDITED {{ ticket_ref }} for {{ recipient_name }}", "{{ message_body }}")
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    services.update_ticket(agent, ticket, assignee=agent)
    with run_on_commit():
        services.reply_to_ticket(alice, ticket, body="Still broken.")
    mail = sent_to(agent).get()
    assert mail.subject == f"EDITED {ticket.ref} for {agent.display_name}" and mail.body == "Still broken."


def test_escalation_notices_and_manager_summaries_come_from_their_templates(templates, alice, agent, run_on_commit):
    team = TeamFactory(name="Frontline")
    queue = QueueFactory(name="General", team=team)
    l3 = AgentFactory(support_level=3, team=team)
    manager = AgentFactory(manager=True)
    edit("escalated-to-you", "EDITED {{ ticket_ref }} to {{ to_level }}", "{{ steps_tried }} / {{ handed_by }}")
    edit("escalation-summary", "SUMMARY {{ ticket_ref }} {{ tier }}")
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins", queue=queue)
    with run_on_commit():
        escalation.escalate_ticket(
            agent, ticket, to_level=3, summary="S", impact="I", steps_tried="Cleared cache", next_step="N"
        )
    notice = sent_to(l3).get()
    assert notice.subject == f"EDITED {ticket.ref} to L3 · Engineering"
    assert notice.body == f"Cleared cache / {agent.display_name}"
    assert sent_to(manager).get().subject == f"SUMMARY {ticket.ref} {alice.organization.tier.name}"


def test_the_escalation_request_notice_comes_from_its_template(templates, alice, agent, run_on_commit):
    edit("escalation-requested", "EDITED {{ ticket_ref }}", "{{ reason }}")
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    services.update_ticket(agent, ticket, assignee=agent)
    with run_on_commit():
        escalation.request_escalation(alice, ticket, reason="We lose sales")
    mail = sent_to(agent).get()
    assert (mail.subject, mail.body) == (f"EDITED {ticket.ref}", "We lose sales")


def test_sla_digests_and_time_escalations_come_from_their_templates(templates, alice):
    install_defaults()
    team = TeamFactory(name="Frontline")
    queue = QueueFactory(name="General", team=team)
    assignee = AgentFactory(team=team)
    assignee.time_zone = "America/New_York"
    assignee.save(update_fields=["time_zone"])
    l2 = AgentFactory(support_level=2, team=team)
    edit("sla-warning-digest", "WARN {{ ticket_count }}", "{{ ticket_lines }}")
    edit("sla-breach-digest", "BREACH {{ ticket_count }}", "{{ breaching_url }}")
    edit("time-escalation-digest", "ESC {{ ticket_count }} for {{ recipient_name }}", "{{ ticket_lines }}")
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=NY), tick=False):
        ticket = services.create_ticket(
            alice, requester=alice, subject="Cannot export", description="Spins", queue=queue
        )
        services.update_ticket(assignee, ticket, assignee=assignee)
    with time_machine.travel(datetime(2026, 11, 23, 13, 1, tzinfo=NY), tick=False):
        sweep.sweep_sla()
    warning = sent_to(assignee).get(subject__startswith="WARN")
    assert warning.subject == "WARN 1"
    # The line names the ticket and its due time in the recipient's own time zone.
    assert f"{ticket.ref} · First reply due 2026-11-23 14:00 EST · Cannot export" in warning.body
    with time_machine.travel(datetime(2026, 11, 23, 14, 1, tzinfo=NY), tick=False):
        sweep.sweep_sla()
    assert sent_to(assignee).get(subject__startswith="BREACH").body.endswith("/agent/?view=breaching")
    assert sent_to(l2).get(subject__startswith="ESC").subject == f"ESC 1 for {l2.display_name}"


def test_the_reminder_comes_from_its_template(templates, agent, alice):
    edit("ticket-reminder", "EDITED {{ ticket_ref }} due {{ due_time }}")
    due = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(due - timedelta(days=3), tick=False):
        ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    TicketReminder.objects.create(ticket=ticket, agent=agent, due_at=due, created_at=due - timedelta(days=2))
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        reminders.sweep_reminders()
    assert sent_to(agent).get().subject == f"EDITED {ticket.ref} due 2026-11-25 09:00 UTC"


def test_without_the_admins_row_the_built_in_text_is_sent(agent, alice, run_on_commit):
    ticket = services.create_ticket(alice, requester=alice, subject="Export", description="Spins")
    with run_on_commit():
        services.reply_to_ticket(agent, ticket, body="On it.")
    assert sent_to(alice).get(subject__contains="New reply").subject == f"[{ticket.ref}] New reply: Export"


def test_a_switched_off_template_falls_back_to_the_built_in_text(templates, agent, alice, run_on_commit):
    edit("agent-replied", "EDITED")
    MessageTemplate.objects.filter(slug="agent-replied").update(is_active=False)
    ticket = services.create_ticket(
        alice, requester=alice, subject="Export", description="Spins", priority=Priority.LOW
    )
    with run_on_commit():
        services.reply_to_ticket(agent, ticket, body="On it.")
    assert sent_to(alice).filter(subject=f"[{ticket.ref}] New reply: Export").exists()
