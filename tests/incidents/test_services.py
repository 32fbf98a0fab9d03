from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms.models import OutboundMessage
from helpdesk import services as ticket_services
from helpdesk.models import Status
from incidents import services
from incidents.models import (
    Component,
    ComponentStatus,
    DeadlineKind,
    IncidentStatus,
    IncidentTicketLink,
    LinkState,
)
from incidents.notices import send_update_notices
from tests.helpdesk.factories import TicketFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def declare(people, **kwargs):
    fields = {
        "title": "Checkout is failing",
        "severity": 1,
        "commander": people["manager"],
        "communications_lead": people["agent"],
        "organizations": [people["acme"]],
    }
    fields.update(kwargs)
    return services.declare_incident(people["manager"], **fields)


def test_declare_freezes_the_cadence_and_starts_first_notice_and_resolution_deadlines(people):
    with time_machine.travel(START, tick=False):
        incident = declare(people)
    assert incident.ref == f"INC-{incident.pk:04d}"
    assert incident.terms["first_notice"] == 5 and incident.terms["update"] == 15
    kinds = dict(incident.deadlines.values_list("kind", "due_at"))
    assert kinds[DeadlineKind.FIRST_NOTICE] == START + timedelta(minutes=5)
    assert kinds[DeadlineKind.RESOLUTION] == START + timedelta(hours=24)
    assert incident.next_update_due == START + timedelta(minutes=5)


def test_crisis_level_tightens_the_cadence():
    terms = services.cadence_terms(2, 3)
    assert terms["update"] == 15 and terms["first_notice"] == 8 and terms["executives"]
    assert services.cadence_terms(2)["update"] == 30


def test_impact_matrix_suggests_the_most_severe_answer():
    assert services.suggest_severity(users_affected="single", security_impact="breach") == 1
    assert services.suggest_severity(business_impact="minor") == 3
    assert services.suggest_severity() is None


def test_lifecycle_moves_through_statuses_and_resolution_restores_components(people, api, run_on_commit):
    with time_machine.travel(START, tick=False):
        incident = declare(people, components={api: ComponentStatus.MAJOR_OUTAGE})
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.MAJOR_OUTAGE
    for minute, status in ((3, IncidentStatus.IDENTIFIED), (10, IncidentStatus.MONITORING)):
        with time_machine.travel(START + timedelta(minutes=minute), tick=False), run_on_commit():
            services.post_update(people["manager"], incident, body=f"Now {status}", status=status)
    with time_machine.travel(START + timedelta(minutes=20), tick=False), run_on_commit():
        services.resolve_incident(people["manager"], incident, body="Fixed the **load balancer**.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.first_notice_at == START + timedelta(minutes=3)
    assert incident.resolution == "Fixed the **load balancer**."
    assert incident.next_update_due is None
    assert incident.follow_up_due == START + timedelta(minutes=20, hours=48)
    assert Component.objects.get(pk=api.pk).status == ComponentStatus.OPERATIONAL
    assert list(incident.events.values_list("kind", flat=True)) == [
        "declared",
        "update",
        "update",
        "update",
        "resolved",
    ]
    with pytest.raises(services.IncidentError):
        services.post_update(people["manager"], incident, body="again", status=IncidentStatus.MONITORING)


def test_public_update_notifies_each_affected_contact_once_in_their_language(people, run_on_commit):
    incident = declare(people)
    with run_on_commit():
        update = services.post_update(people["manager"], incident, body="We are on it.")
    rows = OutboundMessage.objects.filter(reference=incident.ref)
    recipients = set(rows.values_list("recipient_user_id", flat=True))
    assert recipients == {people["alice"].pk, people["carmen"].pk}  # bob is in another organization
    # P1 on several channels: alice has a phone, so an SMS as well as email and the portal inbox.
    assert set(rows.filter(recipient_user_id=people["alice"].pk).values_list("channel", flat=True)) == {
        "email",
        "sms",
        "portal",
    }
    carmen = rows.get(recipient_user_id=people["carmen"].pk, channel="email")
    assert carmen.language == "es" and carmen.subject.startswith(f"[{incident.ref}] Incidencia")
    assert "We are on it." in carmen.body
    assert carmen.template_slug == "incident-alert"
    count = rows.count()
    assert send_update_notices(update.pk) == 0  # stamped: a second run writes nothing
    assert OutboundMessage.objects.filter(reference=incident.ref).count() == count


def test_later_updates_use_the_update_template_and_internal_updates_send_nothing(people, run_on_commit):
    incident = declare(people, message="First word.")
    before = OutboundMessage.objects.count()
    with run_on_commit():
        services.post_update(people["manager"], incident, body="Only for us", public=False)
    assert OutboundMessage.objects.count() == before
    with run_on_commit():
        services.post_update(people["manager"], incident, body="Second word.")
    assert OutboundMessage.objects.filter(template_slug="incident-update").exists()


def test_all_organizations_reaches_every_customer(people, run_on_commit):
    with run_on_commit():
        incident = declare(people, organizations=[], all_organizations=True, message="Everyone is affected")
    users = set(OutboundMessage.objects.filter(reference=incident.ref).values_list("recipient_user_id", flat=True))
    assert people["bob"].pk in users and people["alice"].pk in users


def test_crisis_level_sends_the_executive_summary_to_managers(people, run_on_commit):
    with run_on_commit():
        incident = declare(people, crisis_level=3, message="Major outage")
    summary = OutboundMessage.objects.get(reference=incident.ref, recipient_user_id=people["manager"].pk)
    assert summary.template_slug == "incident-executive-summary"
    assert "Level 3" in summary.subject


def test_linked_tickets_get_public_updates_and_the_resolution(people, run_on_commit):
    linked = TicketFactory(requester=people["alice"], subject="Cannot pay")
    unlinked = TicketFactory(requester=people["alice"], subject="Also cannot pay")
    incident = declare(people, ticket=linked)
    services.link_ticket(people["agent"], incident, unlinked)
    services.unlink_ticket(people["agent"], IncidentTicketLink.objects.get(ticket=unlinked))
    with run_on_commit():
        services.post_update(people["manager"], incident, body="Payments are queued.")
        services.post_update(people["manager"], incident, body="Internal only", public=False)
        services.resolve_incident(people["manager"], incident, body="Payments flow again.")
    bodies = list(linked.messages.filter(is_internal=False).values_list("body", flat=True))
    assert any("Payments are queued." in b for b in bodies)
    assert any("Payments flow again." in b for b in bodies)
    assert not any("Internal only" in b for b in bodies)
    linked.refresh_from_db()
    unlinked.refresh_from_db()
    assert linked.status == Status.RESOLVED
    assert unlinked.status != Status.RESOLVED and not unlinked.messages.exists()


def test_a_linked_requester_hears_of_each_update_once_and_an_outsider_by_the_reply(people, run_on_commit):
    """Alice (Acme, affected) gets the notice, not also a reply email; Bob (Globex, linked by hand) gets the reply."""
    alices = TicketFactory(requester=people["alice"], subject="Cannot pay")
    bobs = TicketFactory(requester=people["bob"], subject="Cannot pay either")
    incident = declare(people, ticket=alices)
    services.link_ticket(people["agent"], incident, bobs)
    with run_on_commit():
        update = services.post_update(people["manager"], incident, body="Payments are queued.")
    send_update_notices(update.pk)
    reply_keys = f"ticket:{alices.pk}:message:"
    alice_mail = OutboundMessage.objects.filter(recipient_user_id=people["alice"].pk, channel="email")
    assert alice_mail.filter(idempotency_key__startswith=f"incident:{incident.pk}:update:{update.pk}:").count() == 1
    assert not alice_mail.filter(idempotency_key__startswith=reply_keys).exists()
    assert alices.messages.filter(body__contains="Payments are queued.").exists()  # still on her ticket
    bob_mail = OutboundMessage.objects.filter(recipient_user_id=people["bob"].pk, channel="email")
    assert not bob_mail.filter(idempotency_key__startswith="incident:").exists()
    assert bob_mail.filter(idempotency_key__startswith=f"ticket:{bobs.pk}:message:").count() == 1


def test_new_ticket_from_affected_organization_is_offered_and_accepted(people, api, run_on_commit):
    incident = declare(people)
    other = declare(people, organizations=[], components={api: ComponentStatus.DEGRADED}, title="API slow")
    with run_on_commit():
        ticket = ticket_services.create_ticket(
            people["alice"], requester=people["alice"], subject="Checkout broken", description="Since 9:00"
        )
        mention = ticket_services.create_ticket(
            people["bob"], requester=people["bob"], subject="The api times out", description="Every call"
        )
    offer = IncidentTicketLink.objects.get(incident=incident, ticket=ticket)
    assert offer.state == LinkState.OFFERED and offer.auto_offered
    assert IncidentTicketLink.objects.filter(incident=other, ticket=mention, state=LinkState.OFFERED).exists()
    assert not IncidentTicketLink.objects.filter(incident=incident, ticket=mention).exists()
    services.accept_offer(people["agent"], offer)
    offer.refresh_from_db()
    assert offer.state == LinkState.LINKED


def test_resolved_incidents_offer_nothing(people, run_on_commit):
    incident = declare(people)
    services.resolve_incident(people["manager"], incident, body="Done")
    with run_on_commit():
        ticket_services.create_ticket(people["alice"], requester=people["alice"], subject="x", description="y")
    assert not IncidentTicketLink.objects.filter(state=LinkState.OFFERED).exists()
